"""The metrics runs API keeps config var values out of the commands it lists."""

from __future__ import annotations

from tests.support.api import Api, wait_for


def _listed_command(api: Api, app: str, token: str, *, rotated_to: str | None = None) -> str:
    """The command of a run that sent config var TOKEN's value ``token``, as the runs list
    shows it (after TOKEN became ``rotated_to``, in a new release, if given)."""
    api.create_app(app)
    api.post(f"/apps/{app}/addons", {"plan": "one-off-metrics"}).ok()
    api.patch(f"/apps/{app}/config-vars", {"TOKEN": token}).ok()
    dyno = api.run(app, f"curl -H 'X-Token: {token}' example.invalid")
    api.wait_ended(app, dyno["name"])
    if rotated_to is not None:
        api.patch(f"/apps/{app}/config-vars", {"TOKEN": rotated_to}).ok()
    runs = wait_for(lambda: api.get(f"/apps/{app}/one-off-metrics/dynos").ok(), 30, "the run")
    command: str = runs[0]["command"]
    return command


def test_runs_list_redacts_config_var_values(api: Api) -> None:
    command = _listed_command(api, "redacted-runs", "sup3r-s3cret")
    assert command == "curl -H 'X-Token: [REDACTED]' example.invalid"


def test_runs_list_keeps_hiding_a_value_changed_since_the_run(api: Api) -> None:
    command = _listed_command(api, "rotated", "old-s3cret", rotated_to="new-s3cret")
    assert command == "curl -H 'X-Token: [REDACTED]' example.invalid"
