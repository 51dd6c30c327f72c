"""One load phase, driven from the benchmark's process: generator processes that start together,
their results merged, and the CPU each party used meanwhile."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Collection, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench.harness.cpu import cores_between, cpu_snapshot
from bench.harness.load import BUCKET_S, LoadResult, LoadSpec, run_load


@dataclass
class Phase:
    """Merged results of every generator process for one phase, with CPU seen around it."""

    outcomes: Counter[str]
    latencies: dict[str, list[float]]  # by outcome, seconds
    codes: list[str]
    buckets: list[int]
    elapsed_s: float  # from the measured start to the last answer
    last_code_s: float  # from the measured start to the last answer with a code
    overlaps: int
    by_base: Counter[str]  # answers per server (--hosts)
    cpu: dict[str, float]  # cores: server, postgres, redis, machine, and any `cpu_others`
    loadgen_cpu_s: float

    @property
    def completed(self) -> int:
        return sum(self.outcomes.values())

    @property
    def rps(self) -> float:
        return self.completed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def sorted_latencies(self, outcome: str | None = None) -> list[float]:
        if outcome is not None:
            return sorted(self.latencies.get(outcome, []))
        return sorted(x for values in self.latencies.values() for x in values)

    def full_windows(self, windows: int) -> list[float]:
        """Requests/s of each whole BUCKET_S window (the last one also holds the drain)."""
        full = self.buckets[:windows] if len(self.buckets) > windows else self.buckets[:-1]
        return [n / BUCKET_S for n in full] or [self.rps]

    def cpu_with_loadgen(self) -> dict[str, float]:
        """`cpu` plus the generators' cores and whatever else ran meanwhile (another test run, the
        kernel's network work): noise to know of."""
        cpu = dict(self.cpu)
        cpu["loadgen"] = round(self.loadgen_cpu_s / max(self.elapsed_s, 1e-9), 2)
        cpu["other"] = round(max(0.0, cpu["machine"] - sum(v for k, v in cpu.items() if k != "machine")), 2)
        return cpu


async def run_phase(
    pool: ProcessPoolExecutor,
    procs: int,
    server_pid: int | Collection[int],
    *,
    cpu_over_duration: bool = False,
    cpu_others: Mapping[str, int] | None = None,
    **spec: Any,
) -> Phase:
    """Splits concurrency and request budget over `procs` processes that start together. `spec`:
    the LoadSpec fields but start_at and seed. CPU is counted from the end of the warm-up until
    every result is back, or, with `cpu_over_duration`, over the phase's measured seconds only;
    `server_pid` may be several servers' (--hosts), `cpu_others` names further processes to count."""
    loop = asyncio.get_running_loop()
    concurrency, max_requests = spec.pop("concurrency"), spec.pop("max_requests", 0)
    start_at = time.monotonic() + 1.0  # time for every process to open its connections
    futures = [
        loop.run_in_executor(
            pool,
            run_load,
            LoadSpec(
                concurrency=_share(concurrency, procs, i),
                max_requests=_share(max_requests, procs, i),
                start_at=start_at,
                seed=random.randrange(2**32),
                **spec,
            ),
        )
        for i in range(procs)
    ]
    measured_start = start_at + spec["warmup_s"]
    await asyncio.sleep(max(0.0, measured_start - time.monotonic()))
    before = cpu_snapshot(server_pid, cpu_others)
    if cpu_over_duration:
        await asyncio.sleep(max(0.0, measured_start + spec["duration_s"] - time.monotonic()))
        after = cpu_snapshot(server_pid, cpu_others)
    parts: list[LoadResult] = await asyncio.gather(*futures)
    if not cpu_over_duration:
        after = cpu_snapshot(server_pid, cpu_others)
    measured_start = min(p.measured_start for p in parts)
    width = max(len(p.buckets) for p in parts)
    latencies: dict[str, list[float]] = {}
    for part in parts:
        for outcome, values in part.latencies.items():
            latencies.setdefault(outcome, []).extend(values)
    return Phase(
        outcomes=sum((p.outcomes for p in parts), Counter()),
        latencies=latencies,
        codes=[c for p in parts for c in p.codes],
        buckets=[sum(p.buckets[i] if i < len(p.buckets) else 0 for p in parts) for i in range(width)],
        elapsed_s=max(p.last_end for p in parts) - measured_start,
        last_code_s=max(0.0, max(p.last_code_at for p in parts) - measured_start),
        overlaps=sum(p.overlaps for p in parts),
        by_base=sum((p.by_base for p in parts), Counter()),
        cpu=cores_between(before, after),
        loadgen_cpu_s=sum(p.cpu_s for p in parts),
    )


def _share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)
