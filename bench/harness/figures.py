"""Progress on stderr, percentiles, and the one JSON line of figures a benchmark prints on stdout."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any


def progress(bench: str) -> Callable[[str], None]:
    """A log function for `bench`'s progress lines (stderr: stdout carries only the figures)."""

    def log(message: str) -> None:
        print(f"[{bench}] {message}", file=sys.stderr, flush=True)

    return log


def percentile_ms(sorted_s: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted latencies in seconds, in milliseconds."""
    if not sorted_s:
        return 0.0
    return round(sorted_s[min(len(sorted_s) - 1, max(0, math.ceil(q * len(sorted_s)) - 1))] * 1000, 1)


def print_figures(figures: dict[str, Any]) -> None:
    """The benchmark's one line on stdout."""
    print(json.dumps(figures, ensure_ascii=False, separators=(",", ":")), flush=True)
