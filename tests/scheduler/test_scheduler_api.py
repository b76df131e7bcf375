"""Scheduler jobs through the API: CRUD, validation, run now, scopes."""

from __future__ import annotations

from tests.scheduler.conftest import add_job
from tests.support.api import Api


def test_create_list_get_update_delete(api: Api) -> None:
    api.create_app("jobs")
    job = add_job(api, "jobs", "every 10 minutes", "python scrape.py $API_KEY", size="2X")
    assert job["number"] == 1
    assert (job["kind"], job["schedule"], job["size"], job["overlap"]) == (
        "command",
        "every 10 minutes",
        "Standard-2X",
        "allow",
    )
    assert job["command"] == "python scrape.py $API_KEY"
    assert job["last_run"] is None
    assert job["next_run_at"].endswith("0:00Z")
    second = add_job(api, "jobs", "daily at 3:00", overlap="forbid")
    assert second["number"] == 2
    assert [j["number"] for j in api.get("/apps/jobs/scheduler/jobs").ok()] == [1, 2]
    assert api.get("/apps/jobs/scheduler/jobs/2").ok()["id"] == second["id"]
    assert api.get(f"/apps/jobs/scheduler/jobs/{second['id']}").ok()["number"] == 2
    updated = api.patch(
        "/apps/jobs/scheduler/jobs/2", {"schedule": "30 2 * * 1-5", "overlap": "replace"}
    ).ok()
    assert (updated["schedule"], updated["overlap"]) == ("30 2 * * 1-5", "replace")
    assert api.delete("/apps/jobs/scheduler/jobs/1").ok()["number"] == 1
    assert [j["number"] for j in api.get("/apps/jobs/scheduler/jobs").ok()] == [2]
    assert api.get("/apps/jobs/scheduler/jobs/1").status == 404


def test_restart_jobs_need_no_command(api: Api) -> None:
    api.create_app("restarter")
    job = api.post(
        "/apps/restarter/scheduler/jobs", {"kind": "restart", "schedule": "daily at 03:00"}
    ).ok()
    assert (job["kind"], job["command"]) == ("restart", "restart")


def test_validation_errors(api: Api) -> None:
    api.create_app("invalid-jobs")
    path = "/apps/invalid-jobs/scheduler/jobs"
    cases = [
        ({"command": "true"}, "schedule is required"),
        ({"schedule": "every 5 minutes", "command": "true"}, "is not understood"),
        ({"schedule": "hourly"}, "command is required"),
        ({"schedule": "hourly", "command": "true", "overlap": "sometimes"}, "overlap must be"),
        ({"schedule": "hourly", "command": "true", "kind": "reboot"}, "kind must be"),
        ({"schedule": "hourly", "command": "true", "size": "huge"}, "There is no dyno size"),
    ]
    for body, message in cases:
        reply = api.post(path, body)
        assert reply.status == 422, body
        assert message in reply.body["message"], reply.body
    assert api.post(path, ["not", "an", "object"]).status == 400
    assert api.get(path).ok() == []


def test_run_now_starts_a_scheduler_dyno(api: Api) -> None:
    api.create_app("run-now")
    api.patch("/apps/run-now/config-vars", {"SECRET": "s3cr3t"}).ok()
    add_job(api, "run-now", "every hour at :15", 'echo "key=$SECRET"')
    run = api.post("/apps/run-now/scheduler/jobs/1/actions/run").ok()
    assert (run["status"], run["manual"]) == ("started", True)
    dyno = api.wait_ended("run-now", run["dyno"]["name"])
    assert (dyno["type"], dyno["name"], dyno["time_to_live"]) == ("scheduler", "scheduler.1", 3600)
    assert dyno["command"] == 'echo "key=$SECRET"'  # config values are never expanded into it
    assert "app[scheduler.1]: key=s3cr3t" in api.messages("run-now")
    runs = api.get("/apps/run-now/scheduler/jobs/1/runs").ok()
    assert [r["dyno"]["name"] for r in runs] == ["scheduler.1"]
    assert api.get("/apps/run-now/scheduler/jobs/1").ok()["last_run"]["status"] == "started"


def test_read_token_sees_but_cannot_change_jobs(api: Api) -> None:
    api.create_app("scoped-jobs")
    add_job(api, "scoped-jobs", "hourly")
    token = api.post("/oauth/authorizations", {"scope": ["read"]}).ok()["access_token"]["token"]
    reader = api.as_token(token)
    assert len(reader.get("/apps/scoped-jobs/scheduler/jobs").ok()) == 1
    assert reader.post("/apps/scoped-jobs/scheduler/jobs/1/actions/run").status == 403
    assert reader.delete("/apps/scoped-jobs/scheduler/jobs/1").status == 403
