"""Runs with known times for the dashboard tests, recorded by the live server's own recorder.

The server runs on the real clock; the runs are written through a ``DynoStore`` of the same
database driven by a ``FakeClock`` set in the past, so their durations and overlaps are exact
(the recorder reads the events they leave, as it does for real runs). The add-on is provisioned
at the same fake time, before the first run, so every run counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runoff.apps.model import App
from runoff.clock import US_PER_SECOND, FakeClock
from runoff.dynos.model import Dyno, Outcome, State
from runoff.dynos.store import DynoStore
from runoff.metrics import MetricsService
from tests.support.api import Api, wait_for
from tests.support.live import LiveServer

SECRET = "s3cr3t-value-123"
XSS = "<script>alert(1)</script>"
SECRET_COMMAND = f'curl -H "Authorization: {SECRET}" https://example.com/hook'


@dataclass
class Seeded:
    app: str
    names: dict[str, str] = field(default_factory=dict)  # label -> dyno name

    # what the plots over 3h (and 24h) must show without a filter
    succeeded: int = 5
    failed: int = 2
    timed_out: int = 1
    running: int = 1


def _runs(store: DynoStore, clock: FakeClock, app: App, seeded: Seeded) -> None:
    def start(label: str, command: str, type: str = "run") -> Dyno:
        dyno = store.create(
            app_id=app.id, release_id=None, release_version=None, type=type, command=command,
            size="Standard-1X", attach=False, one_off=True, ttl_seconds=3600, server_id=None,
        )  # fmt: skip
        store.transition(dyno, State.UP)
        seeded.names[label] = dyno.name
        return dyno

    def end(dyno: Dyno, status: int | None) -> None:
        if status is None:
            store.mark_stopping(dyno, "ttl")
            store.record_end(dyno, exit_status=None, outcome=Outcome.TIMED_OUT)
            return
        outcome = Outcome.SUCCEEDED if status == 0 else Outcome.FAILED
        store.record_end(dyno, exit_status=status, outcome=outcome)

    # three scheduler runs of 30, 60 and 90 s; the first two overlap (concurrency 2)
    a = start("scrape-1", "python scrape.py", "scheduler")
    clock.advance(10)
    b = start("scrape-2", "python scrape.py", "scheduler")
    clock.advance(20)
    end(a, 0)  # 30 s
    clock.advance(50)
    end(b, 0)  # 60 s
    clock.advance(600)
    c = start("scrape-3", "python scrape.py", "scheduler")
    clock.advance(90)
    end(c, 0)
    for label in ("report-1", "report-2"):  # two failures of 10 s
        clock.advance(300)
        run = start(label, "bin/report 100")
        clock.advance(10)
        end(run, 3)
    clock.advance(300)
    slow = start("sleeper", "sleep 999")  # forced to exit after 120 s
    clock.advance(120)
    end(slow, None)
    clock.advance(300)
    xss = start("xss", XSS)
    clock.advance(5)
    end(xss, 0)
    clock.advance(60)
    secret = start("secret", SECRET_COMMAND)
    clock.advance(2)
    end(secret, 0)
    clock.advance(60)
    start("worker", "python worker.py")  # still running


def seed(server: LiveServer, api: Api, app_name: str = "shop") -> Seeded:
    """An app with the add-on (pro), a config var, and the runs above, all recorded."""
    created = api.create_app(app_name)
    api.patch(f"/apps/{app_name}/config-vars", {"API_KEY": SECRET}).ok()
    plat = server.platform
    now = plat.clock.now_us()
    clock = FakeClock(now - 100 * 60 * US_PER_SECOND)  # the runs fit in the past 100 minutes
    app = plat.apps.get(created["id"])
    MetricsService(plat.engine, clock).addons.provision(app, "pro")
    clock.advance(60)
    seeded = Seeded(app_name)
    _runs(DynoStore(plat.engine, clock), clock, app, seeded)
    total = len(seeded.names)
    wait_for(
        lambda: (
            len(plat.metrics.runs(app, None, 100)) == total
            and sum(r.ended_at is not None for r in plat.metrics.runs(app, None, 100)) == total - 1
        ),
        what="every seeded run recorded",
    )
    return seeded
