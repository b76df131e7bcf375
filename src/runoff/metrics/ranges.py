"""Time ranges of the plots, their resolutions, and bucket arithmetic (all in µs).

A range is a window ending ``until`` seconds ago and starting ``since`` seconds ago, shown at
``resolution``: its buckets are aligned to multiples of the resolution since the epoch, the
last one holds the window's end (for ranges ending now, the current, partial bucket), and
there are exactly (since - until) / resolution of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from runoff.clock import US_PER_SECOND
from runoff.errors import Invalid

MINUTE = 60
HOUR = 3600


@dataclass(frozen=True)
class Range:
    name: str
    since: int  # seconds ago the window starts
    until: int  # seconds ago the window ends
    resolution: int  # seconds per bucket

    @property
    def resolution_us(self) -> int:
        return self.resolution * US_PER_SECOND

    @property
    def bucket_count(self) -> int:
        return (self.since - self.until) // self.resolution

    def buckets(self, now_us: int) -> list[int]:
        """Bucket starts (µs), oldest first."""
        res = self.resolution_us
        # For a range ending ``until`` ago the last bucket holds that instant; the newer
        # range's buckets start right after it, so consecutive ranges tile without a gap.
        last = (now_us - self.until * US_PER_SECOND) // res * res
        first = last - (self.bucket_count - 1) * res
        return list(range(first, last + res, res))

    def window(self, now_us: int) -> tuple[int, int]:
        """[start, end) in µs covered by the buckets, never past ``now_us``."""
        starts = self.buckets(now_us)
        return starts[0], min(starts[-1] + self.resolution_us, now_us)


RANGES: tuple[Range, ...] = (
    Range("3h", 3 * HOUR, 0, MINUTE),
    Range("24h", 24 * HOUR, 0, 10 * MINUTE),
    Range("24h-48h", 48 * HOUR, 24 * HOUR, 10 * MINUTE),
    Range("48h-72h", 72 * HOUR, 48 * HOUR, 10 * MINUTE),
    Range("72h", 72 * HOUR, 0, 30 * MINUTE),
    Range("7d", 7 * 24 * HOUR, 0, HOUR),
)
DEFAULT_RANGE = "24h"
_BY_NAME = {r.name: r for r in RANGES}

RESOLUTIONS: dict[int, int] = {MINUTE: 3 * HOUR, 10 * MINUTE: 72 * HOUR, 30 * MINUTE: 72 * HOUR}
RESOLUTIONS[HOUR] = 7 * 24 * HOUR
"""Resolution (s) -> how far back (s) its rollups are kept: the longest range shown at it."""

MAX_RETENTION_SECONDS = 7 * 24 * HOUR


def range_named(name: str | None) -> Range:
    found = _BY_NAME.get(name or DEFAULT_RANGE)
    if found is None:
        raise Invalid(f"Unknown range {name!r}; ranges: {', '.join(_BY_NAME)}")
    return found


def floor(at_us: int, resolution: int) -> int:
    res = resolution * US_PER_SECOND
    return at_us // res * res
