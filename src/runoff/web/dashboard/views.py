"""What the dashboard shows of an app, built from the domain services, redacted.

Every command (one-off runs, formation, scheduler jobs) and every log line leaves here through
the app's ``Redactor`` (``runoff.redact``: the values of its config vars become
``[REDACTED]``, the same code that cleans alerts), so no config var value reaches a page.
These functions block on the database: call them through ``common.sync``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runoff import redact
from runoff.apps.model import App
from runoff.clock import US_PER_SECOND
from runoff.dynos.model import Dyno
from runoff.dynos.runtime_metrics import Sample
from runoff.errors import NotFound
from runoff.metrics import Run
from runoff.monitors.describe import Describer, log_excerpt
from runoff.platform import Platform
from runoff.redact import Redactor

RECENT_RUNS = 25
MEMORY_WINDOWS = {"1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "72h": 72 * 3600}
DEFAULT_MEMORY_WINDOW = "6h"
MB = 1024 * 1024


def redactor(plat: Platform, app: App, release_ids: Iterable[str | None] = ()) -> Redactor:
    with plat.engine.connect() as conn:
        return redact.for_app(conn, app.id, release_ids)


def state_label(dyno: Dyno) -> str:
    """``running``, or how the run ended as One-off Dyno Metrics says it (``timed out``)."""
    if dyno.ended_at is None:
        return "running"
    if dyno.outcome is None:
        return dyno.state.value
    return dyno.outcome.value.replace("_", " ")


def _seconds(start: int, end: int | None) -> float | None:
    return None if end is None else round((end - start) / US_PER_SECOND, 3)


def dyno_row(dyno: Dyno, clean: Redactor, *, whole: bool = False) -> dict[str, Any]:
    """A dyno as the pages show it; its command redacted, cut to an excerpt unless ``whole``."""
    return {
        "id": dyno.id,
        "name": dyno.name,
        "type": dyno.type,
        "size": dyno.size,
        "command": clean(dyno.command) if whole else clean.excerpt(dyno.command),
        "state": dyno.state.value,
        "label": state_label(dyno),
        "one_off": dyno.one_off,
        "attach": dyno.attach,
        "exit_status": dyno.exit_status,
        "stop_reason": dyno.stop_reason,
        "release_version": dyno.release_version,
        "ttl_seconds": dyno.ttl_seconds,
        "created_at": dyno.created_at,
        "up_at": dyno.up_at,
        "stopping_at": dyno.stopping_at,
        "ended_at": dyno.ended_at,
        "duration_seconds": _seconds(dyno.created_at, dyno.ended_at),
    }


def run_row(run: Run, clean: Redactor) -> dict[str, Any]:
    """A recorded One-off Dyno Metrics run as the runs table shows it (JSON for scripts)."""
    return {
        "name": run.name,
        "command": clean.excerpt(run.command),
        "type": run.type,
        "size": run.size,
        "state": run.state.value,
        "exit_status": run.exit_status,
        "created_at": run.created_at // 1000,
        "ended_at": None if run.ended_at is None else run.ended_at // 1000,
        "duration_seconds": run.duration_seconds,
    }


def overview(plat: Platform, app: App) -> dict[str, Any]:
    """Formation, running dynos, recent one-off runs, scheduler jobs and add-ons."""
    running = plat.dynos.list(app)
    recent = [d for d in plat.dyno_store.history(app.id, limit=200) if d.one_off][:RECENT_RUNS]
    formation = plat.formations.list(app)
    jobs = plat.scheduler.list(app)
    clean = redactor(plat, app, [d.release_id for d in running + recent])
    now = plat.clock.now_us()
    job_rows = []
    for job in jobs:
        last = plat.scheduler.runs(job, limit=1)
        job_rows.append(
            {
                "number": job.number,
                "kind": job.kind.value,
                "command": clean.excerpt(job.command),
                "schedule": job.schedule,
                "size": job.size,
                "overlap": job.overlap.value,
                "next_run_at": plat.scheduler.next_run_at(job, now),
                "last_run": last[0] if last else None,
            }
        )
    release = plat.releases.current(app.id)
    return {
        "formation": [
            {
                "type": f.type,
                "quantity": f.quantity,
                "size": f.size,
                "command": clean.excerpt(f.command),
            }
            for f in formation
        ],
        "running": [dyno_row(d, clean) for d in running],
        "recent": [dyno_row(d, clean) for d in recent],
        "jobs": job_rows,
        "addons": plat.metrics.addons.list(app),
        "release": release,
    }


def dyno_detail(plat: Platform, app: App, ref: str) -> dict[str, Any]:
    """One dyno (its running incarnation, else its latest run): what it is, its lifecycle
    events, guidance if it failed or timed out, its size's limits and its runtime samples."""
    dyno = plat.dyno_store.find(app.id, ref)
    clean = redactor(plat, app, [dyno.release_id])
    lines = log_excerpt(plat.log_store, dyno) if dyno.ended_at is not None else []
    described = Describer(clean, plat.settings.base_url).run(dyno, lines)
    return {
        "dyno": dyno_row(dyno, clean, whole=True),
        "events": [
            {"event": e.event.value, "at": e.at, "exit_status": e.exit_status, "detail": e.detail}
            for e in plat.dyno_store.events(dyno.id)
        ],
        "guidance": described["guidance"],
        "limits": plat.runtime.describe(dyno),
        "samples": samples_json(plat.runtime.store.series(dyno.id)),
    }


def samples_json(samples: list[Sample]) -> dict[str, Any]:
    """Runtime samples as columns for the charts: times in ms, memory in MB."""
    return {
        "time": [s.at // 1000 for s in samples],
        "memory_total": [round(s.memory_total / MB, 3) for s in samples],
        "memory_rss": [round(s.memory_rss / MB, 3) for s in samples],
        "memory_cache": [round(s.memory_cache / MB, 3) for s in samples],
        "memory_swap": [round(s.memory_swap / MB, 3) for s in samples],
        "memory_quota": [round(s.memory_quota / MB, 3) for s in samples],
        "load_avg_1m": [s.load_avg_1m for s in samples],
        "load_avg_5m": [s.load_avg_5m for s in samples],
        "load_avg_15m": [s.load_avg_15m for s in samples],
    }


def memory_window(name: str | None) -> tuple[str, int]:
    chosen = name or DEFAULT_MEMORY_WINDOW
    if chosen not in MEMORY_WINDOWS:
        raise NotFound(f"Unknown window {chosen!r}; windows: {', '.join(MEMORY_WINDOWS)}")
    return chosen, MEMORY_WINDOWS[chosen]


def memory_by_dyno(plat: Platform, app: App, window: str | None) -> dict[str, Any]:
    """Memory (total, MB) of each of the app's dynos over the window, one series per dyno."""
    name, seconds = memory_window(window)
    since = plat.clock.now_us() - seconds * US_PER_SECOND
    by_dyno: dict[str, list[Sample]] = {}
    for sample in plat.runtime.store.app_series(app.id, since):
        by_dyno.setdefault(sample.dyno_id, []).append(sample)
    found = plat.dyno_store.get_many(by_dyno)
    series = []
    for dyno_id, samples in by_dyno.items():
        dyno = found.get(dyno_id)
        if dyno is None:
            continue  # deleted with its app meanwhile
        series.append(
            {
                "dyno": dyno.name,
                "id": dyno.id,
                "type": dyno.type,
                "label": state_label(dyno),
                "quota_mb": round(samples[-1].memory_quota / MB, 3),
                "peak_mb": round(max(s.memory_total for s in samples) / MB, 3),
                "points": [[s.at // 1000, round(s.memory_total / MB, 3)] for s in samples],
            }
        )
    series.sort(key=lambda s: _order(str(s["dyno"]), str(s["id"])))
    return {"window": name, "since": since // 1000, "series": series}


def _order(name: str, dyno_id: str) -> tuple[str, int, str]:
    """web.2 before web.10: by type, then number."""
    kind, _, tail = name.rpartition(".")
    return (kind or name, int(tail) if tail.isdigit() else 0, dyno_id)
