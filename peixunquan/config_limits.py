"""Range checks of the [worker], [security] and [institutions] numbers (kept apart from config.py
for its size). Returns (key, why) pairs; `config.check` turns the first into a ConfigError."""

from __future__ import annotations

from typing import Any


def limit_problems(config: Any) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    worker = config.worker
    if not worker.reminder_offsets_days or any(d < 1 or d > 365 for d in worker.reminder_offsets_days):
        problems.append(("worker.reminder_offsets_days", "must be days between 1 and 365"))
    if not 0 <= worker.reminder_hour <= 23:
        problems.append(("worker.reminder_hour", "must be an hour between 0 and 23"))
    for key in ("batch_size", "lease_s", "max_attempts", "backoff_base_s", "backoff_max_s", "poll_interval_ms"):
        if getattr(worker, key) < 1:
            problems.append((f"worker.{key}", "must be at least 1"))
    if worker.outbox_retention_days < 30:
        problems.append(("worker.outbox_retention_days", "must be at least 30 days"))
    for key in ("login_max_failures", "login_lock_s", "login_address_max_failures", "login_window_s"):
        if getattr(config.security, key) < 1:
            problems.append((f"security.{key}", "must be at least 1"))
    for key in ("bureau_token_ttl_s", "session_token_ttl_s"):
        if getattr(config.security, key) < 60:
            problems.append((f"security.{key}", "must be at least 60 seconds"))
    inst = config.institutions
    if not 5 <= inst.qr_step_s <= 3600:
        problems.append(("institutions.qr_step_s", "must be between 5 and 3600 seconds"))
    if not 0 <= inst.qr_tolerance_steps <= 10:
        problems.append(("institutions.qr_tolerance_steps", "must be between 0 and 10"))
    if inst.staff_token_ttl_s < 60:
        problems.append(("institutions.staff_token_ttl_s", "must be at least 60 seconds"))
    if inst.annul_window_s < 0 or inst.fence_accuracy_cap_m < 0:
        bad = "annul_window_s" if inst.annul_window_s < 0 else "fence_accuracy_cap_m"
        problems.append((f"institutions.{bad}", "must not be negative"))
    return problems
