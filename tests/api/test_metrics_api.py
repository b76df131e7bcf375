"""The One-off Dyno Metrics API: the add-on's lifecycle, recording real runs, the seed's
filter examples over the runs list and the plots, and errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from runoff.dynos.model import Outcome, State
from tests.query.rows import ROWS
from tests.query.test_seed_examples import DATA_FILTER_EXAMPLES
from tests.support.api import Api, wait_for
from tests.support.live import LiveServer

METRICS = "/apps/{app}/one-off-metrics"


def _runs(api: Api, app: str, text: str = "") -> list[dict[str, Any]]:
    reply = api.get(f"{METRICS.format(app=app)}/dynos?filter={quote(text)}&limit=1000")
    result: list[dict[str, Any]] = reply.ok()
    return result


def test_addon_lifecycle(api: Api) -> None:
    api.create_app("lifecycle")
    assert api.get("/apps/lifecycle/addons").ok() == []
    created = api.post("/apps/lifecycle/addons", {"plan": "one-off-metrics"})
    assert created.status == 201, created.body
    addon = created.body
    assert addon["addon_service"]["name"] == "one-off-metrics"
    assert addon["plan"]["name"] == "one-off-metrics:free"
    assert addon["app"]["name"] == "lifecycle"
    assert addon["state"] == "provisioned"
    assert addon["web_url"].endswith("/apps/lifecycle/one-off-metrics")
    assert addon["limits"]["retention_seconds"] == 86400
    again = api.post("/apps/lifecycle/addons", {"plan": {"name": "one-off-metrics:pro"}})
    assert again.status == 409
    assert [a["name"] for a in api.get("/apps/lifecycle/addons").ok()] == [addon["name"]]
    upgraded = api.patch("/apps/lifecycle/addons/one-off-metrics", {"plan": "one-off-metrics:pro"})
    assert upgraded.ok()["plan"]["name"] == "one-off-metrics:pro"
    assert api.get(f"/apps/lifecycle/addons/{addon['name']}").ok()["limits"]["monitors"] == 50
    bad = api.patch("/apps/lifecycle/addons/one-off-metrics", {"plan": "one-off-metrics:gold"})
    assert bad.status == 422
    assert "gold" in bad.body["message"]
    gone = api.delete(f"/apps/lifecycle/addons/{addon['id']}").ok()
    assert gone["state"] == "deprovisioned"
    assert api.get("/apps/lifecycle/addons").ok() == []
    missing = api.get(METRICS.format(app="lifecycle") + "/throughput")
    assert missing.status == 404
    assert "not provisioned" in missing.body["message"]


def test_plans_are_listed_with_limits(api: Api) -> None:
    plans = api.get("/addon-services/one-off-metrics/plans").ok()
    assert [p["name"] for p in plans] == [
        "one-off-metrics:free",
        "one-off-metrics:basic",
        "one-off-metrics:pro",
    ]
    assert all({"retention_seconds", "monitors", "extra_emails"} <= set(p["limits"]) for p in plans)


def test_real_detached_runs_are_recorded(api: Api) -> None:
    api.create_app("real")
    api.post("/apps/real/addons", {"plan": "one-off-metrics:pro"}).ok()
    ok = api.run("real", "echo done")
    failing = api.run("real", "exit 3", type="advanced-scheduler", size="performance-l")
    stopped = api.run("real", "sleep 60")
    api.wait_ended("real", ok["name"])
    api.wait_ended("real", failing["name"])
    api.post(f"/apps/real/dynos/{stopped['name']}/actions/stop")
    api.wait_ended("real", stopped["name"])
    runs = wait_for(
        lambda: (r := _runs(api, "real")) and all(x["ended_at"] for x in r) and len(r) == 3 and r,
        what="three recorded, ended runs",
    )
    by_name = {r["name"]: r for r in runs}
    assert by_name[ok["name"]]["state"] == "succeeded"
    assert by_name[ok["name"]]["exit_status"] == 0
    assert by_name[failing["name"]] | {"duration_seconds": 0} == {
        **by_name[failing["name"]],
        "name": "advanced-scheduler.1",
        "type": "advanced-scheduler",
        "size": "Performance-L",
        "state": "failed",
        "exit_status": 3,
        "duration_seconds": 0,
    }
    assert by_name[stopped["name"]]["state"] == "timed out"
    assert by_name[stopped["name"]]["exit_status"] is None
    assert by_name[stopped["name"]]["started_at"] is not None
    plot = api.get(METRICS.format(app="real") + "/throughput?range=3h").ok()
    totals = {k: sum(b[k] for b in plot["buckets"]) for k in ("succeeded", "failed", "timed_out")}
    assert totals == {"succeeded": 1, "failed": 1, "timed_out": 1}


def test_attached_runs_are_not_recorded(api: Api, server: LiveServer) -> None:
    app = api.create_app("attached")
    api.post("/apps/attached/addons", {"plan": "one-off-metrics"}).ok()
    store = server.platform.dyno_store
    common = {"release_id": None, "release_version": None, "command": "bash", "size": "Standard-1X"}
    attached = store.create(app_id=app["id"], type="run", attach=True, one_off=True,
                            ttl_seconds=60, server_id=None, **common)  # fmt: skip
    store.record_end(attached, exit_status=0, outcome=Outcome.SUCCEEDED)
    detached = api.run("attached", "true")
    api.wait_ended("attached", detached["name"])
    runs = wait_for(lambda: _runs(api, "attached"), what="the detached run")
    assert [r["name"] for r in runs] == [detached["name"]]


@pytest.fixture
def seeded(api: Api, server: LiveServer) -> Api:
    """An app with the add-on and one run per row of the query tests' seed rows."""
    app = api.create_app("seeded")
    api.post("/apps/seeded/addons", {"plan": "one-off-metrics:pro"}).ok()
    store = server.platform.dyno_store
    for row in ROWS:
        dyno = store.create(
            app_id=app["id"], release_id=None, release_version=None, type=row["type"],
            command=row["command"], size=row["size"], attach=False, one_off=True,
            ttl_seconds=600, server_id=None, name=row["name"],
        )  # fmt: skip
        store.transition(dyno, State.UP)
        ends = {"succeeded": (0, Outcome.SUCCEEDED), "failed": (1, Outcome.FAILED),
                "timed out": (None, Outcome.TIMED_OUT)}  # fmt: skip
        if row["state"] in ends:
            status, outcome = ends[row["state"]]
            store.record_end(dyno, exit_status=status, outcome=outcome)
    wait_for(
        lambda: (
            len(r := _runs(api, "seeded")) == len(ROWS)
            and sum(x["state"] != "running" for x in r)
            == sum(x["state"] != "running" for x in ROWS)
        ),
        what="every seed row recorded",
    )
    return api


@pytest.mark.parametrize(("text", "expected"), DATA_FILTER_EXAMPLES)
def test_seed_filter_examples_through_the_api(seeded: Api, text: str, expected: set[str]) -> None:
    assert {r["name"] for r in _runs(seeded, "seeded", text)} == expected
    ended = {r["name"] for r in ROWS if r["state"] != "running"} & expected
    for range_ in ("3h", "24h", "72h", "7d"):
        path = METRICS.format(app="seeded") + f"/throughput?range={range_}&filter={quote(text)}"
        plot = seeded.get(path).ok()
        counted = sum(b["succeeded"] + b["failed"] + b["timed_out"] for b in plot["buckets"])
        assert counted == len(ended), range_
    concurrency = seeded.get(
        METRICS.format(app="seeded") + f"/concurrency?range=3h&filter={quote(text)}"
    ).ok()
    # Rows are run one after another; those left running pile up.
    piled, peak = 0, 0
    for row in ROWS:
        if row["name"] in expected:
            peak = max(peak, piled + 1)
            piled += row["state"] == "running"
    assert max(b["max"] for b in concurrency["buckets"]) == peak


def test_bad_filter_and_range_are_422(seeded: Api) -> None:
    base = METRICS.format(app="seeded")
    for path in ("/dynos?filter=stat:failed", "/events?filter=command:%22x"):
        reply = seeded.get(base + path)
        assert reply.status == 422
        assert reply.body["message"].startswith("invalid filter at column")
    reply = seeded.get(base + "/throughput?range=2h")
    assert reply.status == 422
    assert "3h" in reply.body["message"]
    assert seeded.get(base + "/latency").status == 404


def test_plot_shapes(seeded: Api) -> None:
    base = METRICS.format(app="seeded")
    fields = {
        "throughput": {"time", "succeeded", "failed", "timed_out"},
        "execution-time": {"time", "count", "min", "mean", "p50", "p95", "max"},
        "concurrency": {"time", "max", "mean"},
        "events": {"time", "events"},
    }
    for plot, keys in fields.items():
        data = seeded.get(f"{base}/{plot}?range=24h").ok()
        assert data["resolution_seconds"] == 600
        assert len(data["buckets"]) == 144
        assert all(set(b) == keys for b in data["buckets"])
    only = quote('name:"run.2001"')
    events = seeded.get(f"{base}/events?range=3h&filter={only}").ok()
    listed = [e for b in events["buckets"] for e in b["events"]]
    assert [e["event"] for e in listed] == ["starting", "up", "complete", "exited"]
    assert set(listed[0]) == {"name", "event", "time", "exit_status"}
