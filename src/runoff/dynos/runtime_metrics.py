"""Runtime metrics of dynos: samples, their log lines in Heroku's form, and their series.

A sample holds load averages and memory figures. Load averages are exponentially damped
averages (1, 5, 15 min) of how many CPUs the dyno kept busy, computed from its CPU time like
the kernel's load average; memory is as ``usage`` reads it. Each sample is written to the
dyno's log as ``heroku`` lines and kept in ``dyno_metrics`` so memory per dyno over time can
be plotted.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, select

from runoff.clock import rfc5424
from runoff.dynos.executor import Usage
from runoff.dynos.model import Dyno
from runoff.store.schema import dyno_metrics

MB = 1024 * 1024
WINDOWS_SECONDS = (60.0, 300.0, 900.0)


@dataclass(frozen=True)
class Sample:
    dyno_id: str
    app_id: str
    at: int
    load_avg_1m: float
    load_avg_5m: float
    load_avg_15m: float
    memory_total: int
    memory_rss: int
    memory_cache: int
    memory_swap: int
    memory_pgpgin: int
    memory_pgpgout: int
    memory_quota: int

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = rfc5424(self.at)
        return data


class LoadAverage:
    """Damped averages of CPUs busy, updated with each reading of cumulative CPU time."""

    def __init__(self) -> None:
        self.values = [0.0, 0.0, 0.0]
        self._last: tuple[float, float] | None = None  # (monotonic seconds, cpu seconds)

    def update(self, now: float, cpu_seconds: float) -> list[float]:
        if self._last is not None and now > self._last[0]:
            elapsed = now - self._last[0]
            busy = max(0.0, cpu_seconds - self._last[1]) / elapsed
            for index, window in enumerate(WINDOWS_SECONDS):
                decay = math.exp(-elapsed / window)
                self.values[index] = self.values[index] * decay + busy * (1 - decay)
        self._last = (now, cpu_seconds)
        return list(self.values)


def sample_of(dyno: Dyno, at: int, load: list[float], usage: Usage, quota: int) -> Sample:
    return Sample(
        dyno_id=dyno.id,
        app_id=dyno.app_id,
        at=at,
        load_avg_1m=round(load[0], 4),
        load_avg_5m=round(load[1], 4),
        load_avg_15m=round(load[2], 4),
        memory_total=usage.total,
        memory_rss=usage.rss,
        memory_cache=usage.cache,
        memory_swap=usage.swap,
        memory_pgpgin=usage.pgpgin,
        memory_pgpgout=usage.pgpgout,
        memory_quota=quota,
    )


def log_lines(dyno: Dyno, sample: Sample) -> list[str]:
    """Heroku's log-runtime-metrics lines: one for load, one for memory."""
    head = f"source={dyno.name} dyno=heroku.{dyno.app_id}.{dyno.id}"

    def mb(value: int) -> str:
        return f"{value / MB:.2f}MB"

    return [
        f"{head} sample#load_avg_1m={sample.load_avg_1m:.2f} "
        f"sample#load_avg_5m={sample.load_avg_5m:.2f} "
        f"sample#load_avg_15m={sample.load_avg_15m:.2f}",
        f"{head} sample#memory_total={mb(sample.memory_total)} "
        f"sample#memory_rss={mb(sample.memory_rss)} "
        f"sample#memory_cache={mb(sample.memory_cache)} "
        f"sample#memory_swap={mb(sample.memory_swap)} "
        f"sample#memory_pgpgin={sample.memory_pgpgin}pages "
        f"sample#memory_pgpgout={sample.memory_pgpgout}pages "
        f"sample#memory_quota={mb(sample.memory_quota)}",
    ]


class MetricsStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, samples: list[Sample]) -> None:
        if samples:
            with self._engine.begin() as conn:
                conn.execute(dyno_metrics.insert(), [asdict(s) for s in samples])

    def series(self, dyno_id: str, since: int | None = None, limit: int = 10_000) -> list[Sample]:
        """The dyno's samples, oldest first (the newest ``limit`` of them)."""
        query = select(dyno_metrics).where(dyno_metrics.c.dyno_id == dyno_id)
        if since is not None:
            query = query.where(dyno_metrics.c.at >= since)
        query = query.order_by(dyno_metrics.c.at.desc(), dyno_metrics.c.id.desc()).limit(limit)
        fields = Sample.__dataclass_fields__
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Sample(**{k: v for k, v in row._mapping.items() if k in fields})
            for row in reversed(rows)
        ]

    def app_series(self, app_id: str, since: int, limit: int = 100_000) -> list[Sample]:
        """Every sample of the app's dynos from ``since`` on, oldest first (the newest
        ``limit``): the series to compare its dynos' memory."""
        query = (
            select(dyno_metrics)
            .where(dyno_metrics.c.app_id == app_id, dyno_metrics.c.at >= since)
            .order_by(dyno_metrics.c.at.desc(), dyno_metrics.c.id.desc())
            .limit(limit)
        )
        fields = Sample.__dataclass_fields__
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Sample(**{k: v for k, v in row._mapping.items() if k in fields})
            for row in reversed(rows)
        ]
