"""The metrics API as seen by a bearer-token client."""

from __future__ import annotations

from tests.support.api import Api, wait_for


def test_runs_list_redacts_config_var_values(api: Api) -> None:
    api.create_app("redacted-runs")
    api.post("/apps/redacted-runs/addons", {"plan": "one-off-metrics"}).ok()
    api.patch("/apps/redacted-runs/config-vars", {"TOKEN": "sup3r-s3cret"}).ok()
    dyno = api.run("redacted-runs", "curl -H 'X-Token: sup3r-s3cret' example.invalid")
    api.wait_ended("redacted-runs", dyno["name"])
    runs = wait_for(
        lambda: api.get("/apps/redacted-runs/one-off-metrics/dynos").ok(), 30, "the run recorded"
    )
    assert runs[0]["command"] == "curl -H 'X-Token: [REDACTED]' example.invalid"


def test_runs_list_keeps_hiding_a_value_changed_since_the_run(api: Api) -> None:
    api.create_app("rotated")
    api.post("/apps/rotated/addons", {"plan": "one-off-metrics"}).ok()
    api.patch("/apps/rotated/config-vars", {"TOKEN": "old-s3cret"}).ok()
    dyno = api.run("rotated", "curl -H 'X-Token: old-s3cret' example.invalid")
    api.wait_ended("rotated", dyno["name"])
    api.patch("/apps/rotated/config-vars", {"TOKEN": "new-s3cret"}).ok()  # a new release
    runs = wait_for(
        lambda: api.get("/apps/rotated/one-off-metrics/dynos").ok(), 30, "the run recorded"
    )
    assert runs[0]["command"] == "curl -H 'X-Token: [REDACTED]' example.invalid"
