"""The five monitor types on real runs, each alert read back from a real SMTP server."""

from __future__ import annotations

import time
from collections.abc import Callable

from runoff.clock import FakeClock
from tests.monitors.conftest import METRICS, create_monitor, monitored_app, wait_mail
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.smtp import Inbox


def _open_alerts(api: Api, app: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = api.get(f"{METRICS.format(app=app)}/alerts?status=open").ok()
    return found


def _a_quick_run_resolves(api: Api, app: str, inbox: Inbox, mails: int) -> None:
    """A run that exits 0 at once resolves the open alert: the ``mails``-th e-mail says so."""
    api.wait_ended(app, api.run(app, "true")["name"])
    *_, resolved = wait_mail(inbox, mails)
    assert "RESOLVED" in resolved.subject


def test_timeout_by_user_stop_is_harmless(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "stopper")
    create_monitor(mapi, app, type="command-timeout", filters={"command": '"sleep 60"'})
    dyno = mapi.run(app, "sleep 60")
    wait_for(lambda: mapi.dyno(app, dyno["name"])["state"] == "up", 30, "dyno up")
    mapi.post(f"/apps/{app}/dynos/{dyno['name']}/actions/stop").ok()
    [mail] = wait_mail(inbox, 1)
    assert "was forced to exit (stopped)" in mail.subject
    assert "The run was stopped by a user" in mail.body
    assert "harmless" in mail.body


def test_timeout_at_ttl(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "ttl")
    create_monitor(mapi, app, type="command-timeout")
    dyno = mapi.run(app, "sleep 60", time_to_live=1)
    [mail] = wait_mail(inbox, 1)
    assert f"{dyno['name']} was forced to exit (ttl)" in mail.subject
    assert "Stopping all processes with SIGTERM" in mail.body
    assert "Process exited with status 143" in mail.body
    assert "The run reached its time to live (TTL)" in mail.body
    shown = mapi.get(f"{METRICS.format(app=app)}/dynos/{dyno['name']}").ok()
    assert [g["id"] for g in shown["guidance"]] == ["ttl"]
    assert shown["exit_status"] == 143


def test_execution_time_then_recovery(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "slowpoke")
    create_monitor(mapi, app, type="command-execution-time", threshold=1)
    slow = mapi.run(app, "sleep 1.5")
    mapi.wait_ended(app, slow["name"])
    [opened] = wait_mail(inbox, 1)
    assert "(threshold 1 s)" in opened.subject
    assert "Duration:" in opened.body
    _a_quick_run_resolves(mapi, app, inbox, 2)


def test_a_run_past_the_threshold_alerts_while_it_runs(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "stuck")
    create_monitor(mapi, app, type="command-execution-time", threshold=1)
    stuck = mapi.run(app, "echo waiting for a lock; sleep 60")
    [opened] = wait_mail(inbox, 1)
    assert f"{stuck['name']} has been running for" in opened.subject
    assert "(threshold 1 s)" in opened.subject
    assert "s so far (still running)" in opened.body
    assert "waiting for a lock" in opened.body
    assert "The run is taking longer than expected" in opened.body
    assert f"runoff ps:stop {stuck['name']}" in opened.body
    assert mapi.dyno(app, stuck["name"])["state"] == "up"
    [alert] = _open_alerts(mapi, app)
    assert alert["detail"]["dynos"][0]["state"] == "running"  # type: ignore[index]
    # Its end does not count it again: only a run within the threshold resolves the alert.
    mapi.post(f"/apps/{app}/dynos/{stuck['name']}/actions/stop").ok()
    mapi.wait_ended(app, stuck["name"])
    time.sleep(2.5)  # past a sweep
    assert len(inbox.messages()) == 1
    _a_quick_run_resolves(mapi, app, inbox, 2)


def test_a_long_run_counts_once_for_sensitivity(mapi: Api, inbox: Inbox) -> None:
    """Found running past the threshold, then ending past it: one time, not two."""
    app = monitored_app(mapi, "twice")
    create_monitor(mapi, app, type="command-execution-time", threshold=1, sensitivity=2)
    first = mapi.run(app, "sleep 3.5")
    mapi.wait_ended(app, first["name"])
    time.sleep(2.5)  # past a sweep
    assert inbox.messages() == []
    second = mapi.run(app, "sleep 30")
    [opened] = wait_mail(inbox, 1)
    assert f"{second['name']} has been running for" in opened.subject
    assert "held 2 of the last 2 times" in opened.subject
    mapi.post(f"/apps/{app}/dynos/{second['name']}/actions/stop").ok()


def test_command_concurrency_counts_matching_runs(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "crowded")
    create_monitor(
        mapi, app, type="command-concurrency", threshold=2, filters={"command": "sleep 30"}
    )
    first = mapi.run(app, "sleep 30")
    other = mapi.run(app, "sleep 31")  # does not match: no alert yet
    time.sleep(1.0)
    assert inbox.messages() == []
    second = mapi.run(app, "sleep 30")
    [opened] = wait_mail(inbox, 1)
    assert "2 matching runs at once (threshold 2)" in opened.subject
    assert first["name"] in opened.body
    assert second["name"] in opened.body
    assert other["name"] not in opened.body
    mapi.post(f"/apps/{app}/dynos/{first['name']}/actions/stop").ok()
    [_, resolved] = wait_mail(inbox, 2)
    assert "RESOLVED" in resolved.subject
    assert "1 matching runs at once" in resolved.subject
    for dyno in (other, second):
        mapi.post(f"/apps/{app}/dynos/{dyno['name']}/actions/stop").ok()


def test_total_concurrency_counts_every_run(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "busy")
    create_monitor(mapi, app, type="total-concurrency", threshold=2)
    first = mapi.run(app, "sleep 30")
    second = mapi.run(app, "sleep 20", type="worker-job")
    [opened] = wait_mail(inbox, 1)
    assert "2 runs at once (threshold 2)" in opened.subject
    for dyno in (first, second):
        mapi.post(f"/apps/{app}/dynos/{dyno['name']}/actions/stop").ok()
    wait_mail(inbox, 2)


def test_one_run_trips_several_monitors(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "several")
    create_monitor(mapi, app, type="command-failure", name="all failures")
    create_monitor(mapi, app, type="command-failure", name="scripts", filters={"command": ".py"})
    create_monitor(mapi, app, type="command-failure", name="release", filters={"type": '"release"'})
    dyno = mapi.run(app, "python3 missing.py")
    mapi.wait_ended(app, dyno["name"])
    mails = wait_mail(inbox, 2)
    time.sleep(1.0)
    assert len(inbox.messages()) == 2
    assert sorted(m.subject.split(": ")[1].split(" — ")[0] for m in mails) == [
        "all failures",
        "scripts",
    ]
    assert len(_open_alerts(mapi, app)) == 2


def test_sensitivity_3_with_real_runs(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "flaky")
    create_monitor(mapi, app, type="command-failure", sensitivity=3)
    for index in range(3):
        dyno = mapi.run(app, "exit 1")
        mapi.wait_ended(app, dyno["name"])
        if index < 2:
            time.sleep(0.5)
            assert inbox.messages() == []
    [mail] = wait_mail(inbox, 1)
    assert "held 3 of the last 3 times" in mail.subject


def test_missing_command_and_memory_guidance(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "guided")
    create_monitor(mapi, app, type="command-failure")
    missing = mapi.run(app, "no-such-command-here")
    mapi.wait_ended(app, missing["name"])
    [mail] = wait_mail(inbox, 1)
    assert "exited with status 127" in mail.subject
    assert "The command does not exist in the release" in mail.body
    memory = mapi.run(app, "echo 'Error R14 (Memory quota exceeded)'; exit 1")
    mapi.wait_ended(app, memory["name"])
    shown = mapi.get(f"{METRICS.format(app=app)}/dynos/{memory['name']}").ok()
    assert [g["id"] for g in shown["guidance"]] == ["memory", "application-error"]
    assert "bigger size" in shown["guidance"][0]["text"]


def test_reminders_are_sent_while_an_alert_stays_open(
    server_factory: Callable[..., LiveServer], inbox: Inbox
) -> None:
    clock = FakeClock()
    api = Api(server_factory(clock, smtp_url=inbox.url, alert_retry_seconds=0.2).url, ADMIN_TOKEN)
    app = monitored_app(api, "nagging")
    create_monitor(api, app, type="command-failure", reminder_minutes=1)

    def fail() -> None:
        api.wait_ended(app, api.run(app, "exit 1")["name"])

    fail()
    [opened] = wait_mail(inbox, 1)
    assert "ALERT" in opened.subject
    fail()  # still failing, less than a minute after the last message: nothing
    time.sleep(1.0)
    assert len(inbox.messages()) == 1
    clock.advance(61)
    fail()
    [_, reminder] = wait_mail(inbox, 2)
    assert "STILL ALERTING" in reminder.subject
    fail()  # the reminder was just sent: nothing
    time.sleep(1.0)
    assert len(inbox.messages()) == 2
    _a_quick_run_resolves(api, app, inbox, 3)
    [alert] = api.get(f"{METRICS.format(app=app)}/alerts").ok()
    assert alert["status"] == "resolved"


def test_what_happened_while_disabled_is_not_counted_once_enabled(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "dormant")
    monitor = create_monitor(mapi, app, type="command-failure", enabled=False)
    path = f"{METRICS.format(app=app)}/monitors/{monitor['id']}"
    failed = mapi.run(app, "exit 1")
    mapi.wait_ended(app, failed["name"])
    runs = f"{METRICS.format(app=app)}/dynos"
    wait_for(lambda: all(r["ended_at"] for r in mapi.get(runs).ok()), what="the run recorded")
    mapi.patch(path, {"enabled": True}).ok()
    time.sleep(2.5)  # past a sweep, which would find the failure unmarked
    assert inbox.messages() == []
    assert _open_alerts(mapi, app) == []
    again = mapi.run(app, "exit 1")
    mapi.wait_ended(app, again["name"])
    [opened] = wait_mail(inbox, 1)
    assert f"{again['name']} exited with status 1" in opened.subject
