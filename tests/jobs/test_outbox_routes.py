"""Every kind of outbox message that any use case writes has a route in the worker the composition
root builds: a kind without one dies `no_route`, unseen by the person it was meant for.

The kinds are found in the source (every `outbox_row(...)` and `OutboxMessage(kind=...)`), so a
new notice without a route fails here, not in a clerk's or a trainee's hands."""

from __future__ import annotations

import ast
import importlib

import aiohttp

from jobs.delivery import Deliverer
from peixunquan import PROJECT_ROOT
from peixunquan.worker_setup import build_jobs

WRITERS = ("vouchers", "platforms", "jobs")
FACTORY = "vouchers.common.outbox"  # `outbox_row` itself: it passes on its caller's kind

# Kinds that reach `outbox_row` through a parameter, not a name the scan can resolve: the expiry
# sweep's two notices (`vouchers.batches.expire._sweep`, also written by `models.sql.expiry`).
THROUGH_PARAMETERS = {"voucher_expired", "voucher_voided"}


def _kind_argument(call: ast.Call) -> ast.expr | None:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
    if name == "outbox_row" and call.args:
        return call.args[0]
    if name == "OutboxMessage":
        return next((k.value for k in call.keywords if k.arg == "kind"), None)
    return None


def written_kinds() -> tuple[set[str], list[str]]:
    """The kinds written anywhere in the writing packages, and the calls whose kind is a parameter."""
    kinds: set[str] = set()
    unresolved: list[str] = []
    for package in WRITERS:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            module_name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            if module_name == FACTORY:
                continue
            module = importlib.import_module(module_name)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                argument = _kind_argument(node) if isinstance(node, ast.Call) else None
                if argument is None:
                    continue
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    kinds.add(argument.value)
                elif isinstance(argument, ast.Name) and hasattr(
                    module := importlib.import_module(module_name), argument.id
                ):
                    kinds.add(getattr(module, argument.id))
                else:
                    unresolved.append(f"{module_name}:{node.lineno}")
    return kinds, unresolved


def test_the_scan_finds_the_notices_we_know_of() -> None:
    kinds, unresolved = written_kinds()
    assert {"voucher_claimed", "voucher_enrolled", "voucher_expiring", "institution_enrolment"} <= kinds
    assert {"staff_notice", "webhook_notice", "alipay_pass_add"} <= kinds
    # Only the expiry sweep passes its kind as a parameter; anything else must be resolvable.
    assert [where.rsplit(":", 1)[0] for where in unresolved] == ["vouchers.batches.expire"]


async def test_every_kind_written_has_a_route_in_the_worker(config, svc) -> None:
    kinds, _ = written_kinds()
    async with aiohttp.ClientSession() as http:
        jobs = build_jobs(config, svc, http)
    [deliverer] = [job.run.__self__ for job in jobs if isinstance(getattr(job.run, "__self__", None), Deliverer)]
    assert sorted((kinds | THROUGH_PARAMETERS) - set(deliverer.routes)) == []
