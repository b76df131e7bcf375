"""Alerts by e-mail through a real SMTP server on loopback: recipients, subject, redaction of
config var values, the run's last log lines, guidance, resolution, and SMTP outages."""

from __future__ import annotations

import time

from tests.monitors.conftest import METRICS, create_monitor, monitored_app, wait_mail
from tests.support.api import Api, wait_for
from tests.support.smtp import Inbox

SECRET = "hunter2-s3cr3t-token"


def test_failure_alert_email_then_resolution(mapi: Api, inbox: Inbox, user_api: object) -> None:
    app = monitored_app(mapi, "mailer")
    mapi.patch(f"/apps/{app}/config-vars", {"API_TOKEN": SECRET}).ok()
    alice = mapi.post("/users", {"email": "alice@example.com"}).ok()
    assert alice
    mapi.post(f"/apps/{app}/collaborators", {"user": "alice@example.com"}).ok()
    mapi.patch(f"{METRICS.format(app=app)}/notifications", {"emails": ["oncall@example.com"]}).ok()
    create_monitor(mapi, app, type="command-failure", filters={"type": '"run"'})

    failing = mapi.run(app, f"echo calling with {SECRET}; exit 3")
    mapi.wait_ended(app, failing["name"])
    [opened] = wait_mail(inbox, 1)
    assert sorted(opened.recipients) == [
        "admin@localhost",
        "alice@example.com",
        "oncall@example.com",
    ]
    assert opened.subject.startswith(f"[runoff] ALERT {app}: command-failure")
    assert f"{failing['name']} exited with status 3" in opened.subject
    body = opened.body
    assert SECRET not in body
    assert SECRET not in opened.subject
    assert "echo calling with [REDACTED]; exit 3" in body
    assert f"app[{failing['name']}]: calling with [REDACTED]" in body
    assert "Process exited with status 3" in body
    assert "The command failed" in body  # guidance
    assert f"/apps/{app}/one-off-metrics" in body

    alerts = mapi.get(f"{METRICS.format(app=app)}/alerts?status=open").ok()
    assert [a["number"] for a in alerts] == [1]
    assert SECRET not in str(alerts)

    fine = mapi.run(app, "true")
    mapi.wait_ended(app, fine["name"])
    [_, resolved] = wait_mail(inbox, 2)
    assert resolved.subject.startswith(f"[runoff] RESOLVED {app}:")
    assert mapi.get(f"{METRICS.format(app=app)}/alerts?status=open").ok() == []
    shown = mapi.get(f"{METRICS.format(app=app)}/alerts/1").ok()
    assert shown["status"] == "resolved"
    kinds = [n["kind"] for n in shown["notifications"]]
    assert kinds == ["opened", "resolved"]
    for notification in shown["notifications"]:
        [delivery] = notification["deliveries"]
        assert delivery["status"] == "sent"
        assert delivery["attempts"] == 1, delivery


def test_open_alert_is_not_resent_on_every_failure(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "noisy")
    create_monitor(mapi, app, type="command-failure")
    for _ in range(3):
        dyno = mapi.run(app, "exit 1")
        mapi.wait_ended(app, dyno["name"])
    wait_mail(inbox, 1)
    time.sleep(1.5)  # give a wrong second e-mail the time to arrive
    assert len(inbox.messages()) == 1


def test_smtp_down_then_up_delivers_once(mapi: Api, inbox: Inbox) -> None:
    app = monitored_app(mapi, "outage")
    create_monitor(mapi, app, type="command-failure")
    inbox.stop()
    dyno = mapi.run(app, "exit 2")
    mapi.wait_ended(app, dyno["name"])

    def failed_attempt() -> object:
        alerts = mapi.get(f"{METRICS.format(app=app)}/alerts").ok()
        if not alerts:
            return False
        [alert] = alerts
        shown = mapi.get(f"{METRICS.format(app=app)}/alerts/{alert['number']}").ok()
        deliveries = shown["notifications"][0]["deliveries"]
        if not deliveries:
            return False
        [delivery] = deliveries
        return delivery["attempts"] >= 2 and delivery["status"] == "pending" and delivery

    delivery = wait_for(failed_attempt, 30, "failed delivery attempts")
    assert "SMTP 127.0.0.1" in delivery["last_error"]
    inbox.start()
    [received] = wait_mail(inbox, 1)
    assert "exited with status 2" in received.subject
    time.sleep(1.0)
    assert len(inbox.messages()) == 1
    [alert] = mapi.get(f"{METRICS.format(app=app)}/alerts").ok()
    shown = mapi.get(f"{METRICS.format(app=app)}/alerts/{alert['number']}").ok()
    [delivery] = shown["notifications"][0]["deliveries"]
    assert delivery["status"] == "sent"
