"""CPU accounting from /proc (Linux), in cores used: 1.0 is one core busy the whole time."""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_snapshot(server_pid: int | Collection[int], others: Mapping[str, int] | None = None) -> dict[str, float]:
    """CPU seconds so far of the server (with its children: `serve --processes N`; several servers'
    with --hosts), of each process in `others` by name, of every postgres and redis-server process,
    and of the whole machine, with the wall-clock time taken."""
    servers = {server_pid} if isinstance(server_pid, int) else set(server_pid)
    snap = {"wall": time.monotonic(), "server": 0.0, "postgres": 0.0, "redis": 0.0, "machine": 0.0}
    for name, pid in (others or {}).items():
        snap[name] = 0.0
        with _suppress_os():
            snap[name] = _proc_cpu(pid)
    for pid in servers:
        with _suppress_os():
            snap["server"] += _proc_cpu(pid)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with _suppress_os():
            if _parent(int(entry.name)) in servers:
                snap["server"] += _proc_cpu(int(entry.name))
                continue
            comm = Path(f"/proc/{entry.name}/comm").read_text().strip()
            if comm == "postgres":
                snap["postgres"] += _proc_cpu(int(entry.name))
            elif comm == "redis-server":
                snap["redis"] += _proc_cpu(int(entry.name))
    with _suppress_os():
        fields_ = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        snap["machine"] = (sum(fields_[:8]) - fields_[3] - fields_[4]) / _TICKS  # all but idle, iowait
    return snap


def cores_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Cores each party used between two snapshots."""
    wall = after["wall"] - before["wall"]
    return {k: round((after[k] - before[k]) / wall, 2) for k in before if k != "wall"}


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def _proc_cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(stat[11]) + int(stat[12])) / _TICKS  # utime, stime


@contextmanager
def _suppress_os() -> Iterator[None]:
    try:
        yield
    except (OSError, ValueError, IndexError):
        pass  # a process ended between listing and reading, or no /proc here
