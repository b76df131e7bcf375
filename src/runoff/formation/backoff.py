"""When a crashed formation dyno may start again.

The first crash restarts the dyno at once. Each further crash in a row waits longer: the base
cool-down (20 s by default), then twice that, and so on, up to a maximum (20 minutes by
default). A dyno that stayed up for ``STABLE_SECONDS`` before it crashed starts a new series.
Everything is derived from the recorded runs of that dyno name, so any server computes the
same moment.
"""

from __future__ import annotations

from dataclasses import dataclass

from runoff.clock import US_PER_SECOND

STABLE_SECONDS = 600
HISTORY = 12  # runs of one dyno name looked at; enough to reach the maximum cool-down


@dataclass(frozen=True)
class PastRun:
    crashed: bool
    up_at: int | None
    ended_at: int


def crashes_in_a_row(runs: list[PastRun]) -> int:
    """Leading crashed runs (newest first) that crashed before staying up ``STABLE_SECONDS``."""
    count = 0
    for run in runs:
        if not run.crashed:
            break
        count += 1
        if run.up_at is not None and run.ended_at - run.up_at >= STABLE_SECONDS * US_PER_SECOND:
            break
    return count


def cooldown_seconds(crashes: int, base: float, maximum: float) -> float:
    """0 after the first crash; ``base * 2**(crashes - 2)`` after more, at most ``maximum``."""
    if crashes <= 1:
        return 0.0
    return float(min(maximum, base * 2 ** min(crashes - 2, 30)))


def restart_at(runs: list[PastRun], base: float, maximum: float) -> int | None:
    """The earliest moment (µs) the dyno may start again; None if it has not crashed."""
    crashes = crashes_in_a_row(runs)
    if crashes == 0:
        return None
    delay = cooldown_seconds(crashes, base, maximum)
    return runs[0].ended_at + int(delay * US_PER_SECOND)
