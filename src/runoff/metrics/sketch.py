"""A mergeable quantile sketch for execution times (DDSketch-style log buckets).

A duration d >= 1 µs is counted in bin ``ceil(log(d) / log(GAMMA))``; bin i stands for the
value ``2 * GAMMA**i / (GAMMA + 1)``, within ``RELATIVE_ACCURACY`` of every duration it holds.
Durations below 1 µs go to bin 0, shown as 0. Sketches merge by adding bin counts, so the
quantiles of a coarse bucket are those of all its runs' durations (never an average of finer
quantiles), each within 1 % of the exact nearest-rank value and clamped to the exact min/max.

Stored form: little-endian uint64 words, ``bin << 48 | count``, one per non-empty bin, so a
query merges thousands of stored sketches with a few vectorized numpy operations.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
MAX_BIN = 2048  # covers far beyond a day in µs (bin of 86,400 s is about 1,270)
_COUNT_BITS = 48

Bins = Counter[int]


def bin_of(duration_us: int) -> int:
    if duration_us < 1:
        return 0
    return min(MAX_BIN - 1, max(1, math.ceil(math.log(duration_us) / _LOG_GAMMA)))


def encode(bins: Bins) -> bytes:
    words = [(index << _COUNT_BITS) | count for index, count in sorted(bins.items()) if count]
    return b"".join(word.to_bytes(8, "little") for word in words)


def decode(blob: bytes) -> Bins:
    bins: Bins = Counter()
    for offset in range(0, len(blob), 8):
        word = int.from_bytes(blob[offset : offset + 8], "little")
        bins[word >> _COUNT_BITS] += word & ((1 << _COUNT_BITS) - 1)
    return bins


def of(durations: Iterable[int]) -> Bins:
    return Counter(bin_of(d) for d in durations)


def quantiles(
    blobs: Sequence[Sequence[bytes]],
    fractions: Sequence[float],
    lows: Sequence[int],
    highs: Sequence[int],
) -> list[list[float]]:
    """For each group of stored sketches (``blobs[g]``, merged), the nearest-rank quantile
    (µs) at each of ``fractions``, clamped to [lows[g], highs[g]]; groups must not be empty."""
    import numpy as np  # numpy loads only where queries run, never in the CLI

    sizes = [sum(len(b) for b in group) // 8 for group in blobs]
    words = np.frombuffer(b"".join(b for group in blobs for b in group), dtype="<u8")
    group = np.repeat(np.arange(len(blobs)), sizes)
    index = (words >> np.uint64(_COUNT_BITS)).astype(np.int64)
    count = (words & np.uint64((1 << _COUNT_BITS) - 1)).astype(np.float64)
    matrix = np.bincount(group * MAX_BIN + index, weights=count, minlength=len(blobs) * MAX_BIN)
    cumulative = matrix.reshape(len(blobs), MAX_BIN).cumsum(axis=1)
    totals = cumulative[:, -1]
    values = _values(np)
    result: list[list[float]] = [[] for _ in blobs]
    for fraction in fractions:
        ranks = np.maximum(1.0, np.ceil(fraction * totals))
        found = (cumulative < ranks[:, None]).sum(axis=1)
        chosen = np.clip(values[found], np.asarray(lows, float), np.asarray(highs, float))
        for position, value in enumerate(chosen.tolist()):
            result[position].append(value)
    return result


def _values(np: Any) -> Any:
    indices = np.arange(MAX_BIN, dtype=np.float64)
    values = 2 * GAMMA**indices / (GAMMA + 1)
    values[0] = 0.0
    return values
