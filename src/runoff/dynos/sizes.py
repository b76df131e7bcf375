"""Dyno sizes: names, memory quotas and CPU shares.

Names are validated case-insensitively and stored in their canonical spelling (``Standard-1X``).
Quotas are enforced by ``runtime`` (R14 above the quota, R15 and the dyno killed above
``kill_factor`` times it); here they are the documented table (docs/logs.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from runoff.errors import Invalid

MB = 1024 * 1024


@dataclass(frozen=True)
class Size:
    name: str
    memory_bytes: int
    cpu_share: int  # relative weight (cgroup cpu.shares)
    kill_factor: float = 2.0  # R15 and killed above this many times the quota


SIZES: tuple[Size, ...] = (
    Size("Free", 512 * MB, 256),
    Size("Eco", 512 * MB, 256),
    Size("Hobby", 512 * MB, 256),
    Size("Basic", 512 * MB, 256),
    Size("Standard-1X", 512 * MB, 512),
    Size("Standard-2X", 1024 * MB, 1024),
    Size("Performance-M", 2560 * MB, 2048, kill_factor=1.0),
    Size("Performance-L", 14336 * MB, 8192, kill_factor=1.0),
    Size("Private-S", 1024 * MB, 1024, kill_factor=1.0),
    Size("Private-M", 2560 * MB, 2048, kill_factor=1.0),
    Size("Private-L", 14336 * MB, 8192, kill_factor=1.0),
)
DEFAULT_SIZE = "Standard-1X"

_BY_KEY = {size.name.lower(): size for size in SIZES}
_ALIASES = {
    "1x": "standard-1x",
    "2x": "standard-2x",
    "performance": "performance-m",
    "pm": "performance-m",
    "pl": "performance-l",
    "standard": "standard-1x",
}


def lookup(name: str) -> Size:
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    size = _BY_KEY.get(key)
    if size is None:
        raise Invalid(f"There is no dyno size {name!r}. Sizes: {', '.join(s.name for s in SIZES)}")
    return size
