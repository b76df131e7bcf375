"""Detached one-off dynos through the API: records, logs, environment, workspace."""

from __future__ import annotations

import pytest

from tests.support.api import Api, wait_for
from tests.support.live import LiveServer
from tests.support.slugs import deploy


def test_run_records_and_logs_a_successful_run(api: Api) -> None:
    api.create_app("hello")
    dyno = api.run("hello", "echo hello; echo oops >&2")
    assert dyno["name"] == "run.1"
    assert dyno["state"] == "up"
    assert dyno["type"] == "run"
    assert dyno["size"] == "Standard-1X"
    assert dyno["release"]["version"] == 1

    ended = api.wait_ended("hello", "run.1")
    assert ended["state"] == "complete"
    assert ended["exit_status"] == 0
    assert ended["outcome"] == "succeeded"
    assert api.messages("hello") == [
        "heroku[run.1]: Starting process with command `echo hello; echo oops >&2`",
        "heroku[run.1]: State changed from starting to up",
        "app[run.1]: hello",
        "app[run.1]: oops",
        "heroku[run.1]: Process exited with status 0",
        "heroku[run.1]: State changed from up to complete",
    ]


def test_names_grow_per_app_and_type_prefixes_the_name(api: Api) -> None:
    api.create_app("names")
    api.create_app("others")
    assert api.run("names", "true")["name"] == "run.1"
    assert api.run("names", "true")["name"] == "run.2"
    assert api.run("others", "true")["name"] == "run.1"
    assert api.run("names", "true", type="scheduler")["name"] == "scheduler.1"
    assert api.run("names", "true", type="advanced-scheduler")["type"] == "advanced-scheduler"


@pytest.mark.parametrize(
    ("command", "status", "outcome"),
    [
        ("exit 0", 0, "succeeded"),
        ("exit 3", 3, "failed"),
        ("no-such-command-xyz", 127, "failed"),
        ("kill -KILL $$", 137, "failed"),
    ],
)
def test_exit_status_and_outcome(api: Api, command: str, status: int, outcome: str) -> None:
    api.create_app("outcomes")
    name = api.run("outcomes", command)["name"]
    ended = api.wait_ended("outcomes", name)
    assert (ended["exit_status"], ended["outcome"]) == (status, outcome)
    assert f"heroku[{name}]: Process exited with status {status}" in api.messages("outcomes")


def test_procfile_type_is_substituted_with_remaining_words(api: Api) -> None:
    api.create_app("procs")
    deploy(api, "procs", {"Procfile": "myworker: echo worker says\nweb: echo web\n"})
    dyno = api.run("procs", "myworker 42")
    assert dyno["command"] == "echo worker says 42"
    api.wait_ended("procs", dyno["name"])
    assert "app[run.1]: worker says 42" in api.messages("procs")


def test_env_is_config_then_request_env_then_dyno(api: Api) -> None:
    api.create_app("envs")
    api.patch("/apps/envs/config-vars", {"FROM_CONFIG": "c", "OVERRIDDEN": "config"}).ok()
    api.run(
        "envs",
        'echo "$FROM_CONFIG $OVERRIDDEN $FROM_REQUEST $DYNO"; env | grep -c RUNOFF_ADMIN || true',
        env={"OVERRIDDEN": "request", "FROM_REQUEST": "r"},
    )
    api.wait_ended("envs", "run.1")
    lines = api.messages("envs", source="app")
    assert lines == ["app[run.1]: c request r run.1", "app[run.1]: 0"]


def test_each_dyno_gets_its_own_copy_of_the_slug(api: Api) -> None:
    api.create_app("fsapp")
    deploy(
        api,
        "fsapp",
        {"data.txt": "original\n", "bin/tool": "#!/bin/sh\necho tool ran\n"},
        modes={"bin/tool": 0o755},
    )
    api.run("fsapp", "cat data.txt; bin/tool; echo changed > data.txt; rm bin/tool; touch new")
    api.wait_ended("fsapp", "run.1")
    api.run("fsapp", "cat data.txt; ls bin; ls new 2>&1 | head -c 0; test -e new || echo no-new")
    api.wait_ended("fsapp", "run.2")
    assert api.messages("fsapp", source="app") == [
        "app[run.1]: original",
        "app[run.1]: tool ran",
        "app[run.2]: original",
        "app[run.2]: tool",
        "app[run.2]: no-new",
    ]


def test_working_directory_is_discarded_after_exit(api: Api, server: LiveServer) -> None:
    api.create_app("gone")
    dyno = api.run("gone", "pwd; touch marker; sleep 30")
    workspace = server.settings.data_dir / "dynos" / dyno["id"]
    wait_for(
        lambda: (workspace / "upper" / "marker").exists() or (workspace / "app" / "marker").exists()
    )
    api.post("/apps/gone/dynos/run.1/actions/stop").ok()
    api.wait_ended("gone", "run.1")
    assert api.messages("gone", source="app") == ["app[run.1]: /app"]
    assert not workspace.exists()


def test_ps_lists_running_dynos_only(api: Api) -> None:
    api.create_app("psapp")
    api.run("psapp", "sleep 30")
    api.run("psapp", "true")
    api.wait_ended("psapp", "run.2")
    listed = api.get("/apps/psapp/dynos").ok()
    assert [d["name"] for d in listed] == ["run.1"]
    assert listed[0]["command"] == "sleep 30"
    api.post("/apps/psapp/dynos/run.1/actions/stop").ok()
    api.wait_ended("psapp", "run.1")
    assert api.get("/apps/psapp/dynos").ok() == []


def test_long_output_lines_are_split(api: Api) -> None:
    api.create_app("long")
    api.run("long", "head -c 25000 /dev/zero | tr '\\0' x; echo")
    api.wait_ended("long", "run.1")
    lines = api.messages("long", source="app")
    assert [len(line.split(": ", 1)[1]) for line in lines] == [10000, 10000, 5000]


def test_lifecycle_events_are_recorded_in_order(api: Api, server: LiveServer) -> None:
    api.create_app("events")
    natural = api.run("events", "exit 2")
    api.wait_ended("events", "run.1")
    forced = api.run("events", "sleep 60", time_to_live=1)
    api.wait_ended("events", "run.2")
    store = server.platform.dyno_store

    def summary(dyno_id: str) -> list[tuple[str, int | None, str | None]]:
        return [(e.event.value, e.exit_status, e.detail) for e in store.events(dyno_id)]

    assert summary(natural["id"]) == [
        ("starting", None, None),
        ("up", None, None),
        ("complete", None, None),
        ("exited", 2, "failed"),
    ]
    assert summary(forced["id"]) == [
        ("starting", None, None),
        ("up", None, None),
        ("stopping", None, "ttl"),
        ("complete", None, None),
        ("exited", 143, "timed_out"),
    ]


def test_split_lines_survive_any_read_boundary(api: Api) -> None:
    """Output arriving slowly: a 20,000-byte line written in pieces, then its newline."""
    api.create_app("slow-long")
    api.run(
        "slow-long",
        "head -c 10000 /dev/zero | tr '\\0' a; sleep 0.2; head -c 10000 /dev/zero | tr '\\0' b;"
        " sleep 0.2; echo; echo next",
    )
    api.wait_ended("slow-long", "run.1")
    lines = [m.split(": ", 1)[1] for m in api.messages("slow-long", source="app")]
    assert lines == ["a" * 10000, "b" * 10000, "next"]
