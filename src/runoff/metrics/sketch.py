"""A mergeable quantile sketch for execution times (DDSketch-style log buckets).

A duration d > 0 µs is counted in bin ``ceil(log(d) / log(GAMMA))``; bin i stands for the
value ``2 * GAMMA**i / (GAMMA + 1)``, within ``RELATIVE_ACCURACY`` of every duration it holds.
Durations below 1 µs go to bin 0, shown as 0. Sketches merge by adding bin counts, so the
quantiles of a coarse bucket are those of all its runs' durations (never an average of finer
quantiles), each within 1 % of the exact nearest-rank value, and clamped to the exact min/max.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)

Bins = Counter[int]


def bin_of(duration_us: int) -> int:
    if duration_us < 1:
        return 0
    return max(1, math.ceil(math.log(duration_us) / _LOG_GAMMA))


def value_of(index: int) -> float:
    if index == 0:
        return 0.0
    return 2 * GAMMA**index / (GAMMA + 1)


def encode(bins: Bins) -> str:
    """``"i:c,i:c"`` in ascending bin order."""
    return ",".join(f"{i}:{c}" for i, c in sorted(bins.items()) if c)


def decode(text: str) -> Bins:
    bins: Bins = Counter()
    if text:
        for item in text.split(","):
            index, _, count = item.partition(":")
            bins[int(index)] += int(count)
    return bins


def of(durations: Iterable[int]) -> Bins:
    return Counter(bin_of(d) for d in durations)


def quantile(bins: Bins, fraction: float, low: int, high: int) -> float:
    """The nearest-rank ``fraction`` quantile (µs) of the counted durations, clamped to
    [low, high] (the exact min and max); ``bins`` must not be empty."""
    total = sum(bins.values())
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for index in sorted(bins):
        seen += bins[index]
        if seen >= rank:
            return min(max(value_of(index), float(low)), float(high))
    raise ValueError("empty sketch")
