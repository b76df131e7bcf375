"""``runoff monitors*``, ``alerts*``, ``teams*`` and ``members*`` against a real server."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from runoff.cli.context import System
from runoff.cli.main import main
from tests.cli.conftest import NOW, Result
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer


def runner(server: LiveServer, tmp_path: Path) -> Callable[..., Result]:
    env = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / ".config"),
        "RUNOFF_API_URL": server.url,
        "RUNOFF_API_KEY": ADMIN_TOKEN,
        "RUNOFF_APP": "clime",
    }

    def run(*argv: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        system = System(
            env=env, cwd=str(tmp_path), stdin=io.StringIO(), stdout=out, stderr=err, now=lambda: NOW
        )
        return Result(main(list(argv), system), out.getvalue(), err.getvalue())

    return run


def test_monitor_commands(server: LiveServer, api: Api, tmp_path: Path) -> None:
    cli = runner(server, tmp_path)
    api.create_app("clime")
    assert cli("monitors").code == 1  # no add-on yet
    api.post("/apps/clime/addons", {"plan": "one-off-metrics:basic"}).ok()
    assert "No monitors" in cli("monitors").out
    created = cli(
        "monitors:create", "command-failure", "--dyno-type", '"run"', "--name", "runs", "--json"
    )
    assert created.code == 0, created.err
    monitor = json.loads(created.out)
    assert monitor["filters"]["type"] == '"run"'
    slow = cli("monitors:create", "command-execution-time", "--threshold", "60", "--command", ".py")
    assert slow.out.startswith("Created monitor command-execution-time command:.py")
    listed = cli("monitors").out.splitlines()
    assert listed[0].split() == ["ID", "NAME", "TYPE", "STATE", "RULE", "FILTERS"]
    assert "≥ 60 seconds, 1 of 1" in listed[2]
    bad = cli("monitors:create", "command-concurrency")
    assert bad.code == 1
    assert bad.err == "runoff: threshold is required for command-concurrency monitors (runs)\n"
    assert cli("monitors:update", "runs", "--disable").out == "Updated monitor runs: disabled\n"
    assert cli("monitors:update", "runs", "--enable", "--sensitivity", "2").code == 0
    assert cli("monitors:update", "runs", "--dyno-type", "").code == 0
    shown = json.loads(cli("monitors", "--json").out)
    assert shown[0]["filters"]["type"] is None
    assert shown[0]["sensitivity"] == 2
    assert cli("alerts:emails", "oncall@example.com").code == 0
    emails = cli("alerts:emails").out
    assert "Additional:  oncall@example.com" in emails
    assert "Recipients:  admin@localhost" in emails
    assert cli("alerts:deliveries").out == "No alert has been sent for clime yet.\n"
    hook = cli("alerts:webhooks:add", "http://127.0.0.1:9/hook", "--format", "slack").out
    assert "Signing secret (shown once):" in hook
    hook_id = hook.split()[2]
    assert cli("alerts:webhooks:remove", hook_id).code == 0
    # an alert
    cli("monitors:update", "runs", "--sensitivity", "1")
    for command in ("exit 5", "exit 5"):
        dyno = api.run("clime", command)
        api.wait_ended("clime", dyno["name"])
    wait_for(lambda: "1  open" in cli("alerts", "--open").out, 30, "the alert listed")
    detail = cli("alerts", "1").out
    assert "=== Alert 1 (open)" in detail
    assert "Guidance: The command failed" in detail
    assert "No resolved alerts for clime." in cli("alerts", "--resolved").out
    deliveries = cli("alerts:deliveries").out.splitlines()
    assert deliveries[0].split() == [
        "ALERT", "KIND", "CHANNEL", "TO", "STATUS", "ATTEMPTS", "SENT", "LAST", "ERROR"
    ]  # fmt: skip
    # no SMTP on this server: the e-mail to the owner and the extra address waits, pending
    assert deliveries[1].split()[:6] == [
        "#1", "opened", "email", "admin@localhost,", "oncall@example.com", "pending"
    ]  # fmt: skip
    assert cli("alerts:deliveries", "-n", "0").code == 2
    assert cli("monitors:destroy", "runs").out == "Destroyed monitor runs and its alerts\n"
    assert cli("alerts").out == "No alerts for clime.\n"


def test_team_commands(server: LiveServer, api: Api, tmp_path: Path) -> None:
    cli = runner(server, tmp_path)
    api.post("/users", {"email": "bob@example.com"}).ok()
    assert cli("teams").out == "You are not a member of any team.\n"
    assert cli("teams:create", "ops").code == 0
    assert cli("members:add", "bob@example.com", "-t", "ops").code == 0
    assert cli("members", "-t", "ops").out.split() == [
        "admin@localhost",
        "admin",
        "bob@example.com",
        "member",
    ]
    assert cli("apps:create", "team-app", "--team", "ops").code == 0
    assert cli("teams:destroy", "ops").code == 1
    assert cli("members:remove", "bob@example.com", "-t", "ops").code == 0
    assert cli("teams").out.split() == ["TEAM", "ROLE", "ops", "admin"]
