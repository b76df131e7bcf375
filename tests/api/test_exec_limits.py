"""What is stored can later be started: commands and environments within what exec accepts."""

from __future__ import annotations

from runoff.apps.model import MAX_COMMAND_BYTES, MAX_ENVIRONMENT_BYTES
from runoff.apps.releases import MAX_CONFIG_VALUE
from tests.support.api import Api


def test_a_command_too_large_for_exec_is_refused(api: Api) -> None:
    api.create_app("long-command")
    reply = api.post("/apps/long-command/dynos", {"command": "echo " + "x" * MAX_COMMAND_BYTES})
    assert reply.status == 422
    assert "command is larger than" in reply.body["message"]
    assert api.get("/apps/long-command/dynos").ok() == []


def test_config_vars_that_would_not_fit_an_environment_are_refused(api: Api) -> None:
    api.create_app("big-config")
    value = "v" * (MAX_CONFIG_VALUE - 100)
    count = MAX_ENVIRONMENT_BYTES // len(value)
    for n in range(count - 1):
        api.patch("/apps/big-config/config-vars", {f"VAR_{n}": value}).ok()
    before = api.get("/apps/big-config/config-vars").ok()
    too_much = {f"MORE_{n}": value for n in range(3)}
    reply = api.patch("/apps/big-config/config-vars", too_much)
    assert reply.status == 422
    assert "at most" in reply.body["message"]
    assert api.get("/apps/big-config/config-vars").ok() == before  # nothing stored


def test_a_run_env_that_overflows_the_environment_is_refused(api: Api) -> None:
    api.create_app("big-env")
    value = "v" * (MAX_CONFIG_VALUE - 100)
    for n in range(MAX_ENVIRONMENT_BYTES // len(value) - 1):
        api.patch("/apps/big-env/config-vars", {f"VAR_{n}": value}).ok()
    extra = {f"EXTRA_{n}": value for n in range(3)}
    reply = api.post("/apps/big-env/dynos", {"command": "true", "env": extra})
    assert reply.status == 422
    assert "environment" in reply.body["message"]
    assert api.get("/apps/big-env/dynos").ok() == []
    bad_name = api.post("/apps/big-env/dynos", {"command": "true", "env": {"X" * 300: "1"}})
    assert bad_name.status == 422
