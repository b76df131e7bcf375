"""The monitors and alerts API: CRUD, enable/disable, plan limits, access, errors, webhooks,
and destroying the add-on."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest

from runoff.alerts.webhook import verify
from runoff.dynos.fake import FakeExecutor
from tests.monitors.conftest import METRICS, create_monitor, monitored_app, wait_mail
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.receivers import WebhookReceiver
from tests.support.smtp import Inbox


def test_crud_and_enable_disable(api: Api) -> None:
    app = monitored_app(api, "crud")
    base = METRICS.format(app=app)
    created = create_monitor(
        api,
        app,
        type="command-execution-time",
        threshold=600,
        sensitivity=2,
        window=5,
        recovery=2,
        reminder_minutes=60,
        filters={"type": '"scheduler"', "command": ".py"},
    )
    assert created["type_name"] == "One-off Dyno Command Execution Time"
    assert created["threshold_unit"] == "seconds"
    assert created["state"] == "ok"
    assert created["enabled"] is True
    assert created["filters"] == {"command": ".py", "type": '"scheduler"', "size": None}
    assert (created["sensitivity"], created["window"], created["recovery"]) == (2, 5, 2)
    assert created["reminder_minutes"] == 60
    assert api.get(f"{base}/monitors/{created['id']}").ok() == created
    by_name = api.get(f"{base}/monitors/{quote(created['name'])}").ok()
    assert by_name["id"] == created["id"]
    disabled = api.patch(f"{base}/monitors/{created['id']}", {"enabled": False}).ok()
    assert disabled["state"] == "disabled"
    assert disabled["enabled"] is False
    enabled = api.patch(f"{base}/monitors/{created['id']}", {"enabled": True, "threshold": 60})
    assert enabled.ok()["state"] == "ok"
    assert enabled.ok()["threshold"] == 60
    assert [m["id"] for m in api.get(f"{base}/monitors").ok()] == [created["id"]]
    assert api.delete(f"{base}/monitors/{created['id']}").ok()["id"] == created["id"]
    assert api.get(f"{base}/monitors").ok() == []
    assert api.get(f"{base}/monitors/{created['id']}").status == 404


def test_errors(api: Api) -> None:
    api.create_app("noaddon")
    missing = api.get(f"{METRICS.format(app='noaddon')}/monitors")
    assert missing.status == 404
    assert "not provisioned" in missing.body["message"]
    app = monitored_app(api, "errs")
    base = METRICS.format(app=app)
    bad = api.post(f"{base}/monitors", {"type": "command-concurrency"})
    assert bad.status == 422
    assert bad.body == {
        "id": "invalid_params",
        "message": "threshold is required for command-concurrency monitors (runs)",
    }
    assert api.post(f"{base}/monitors", raw=b"{nope").status == 400
    assert api.get(f"{base}/alerts?status=closed").status == 422
    assert api.get(f"{base}/alerts/7").status == 404
    assert api.patch(f"{base}/notifications", {"emails": ["not-an-address"]}).status == 422
    assert api.post(f"{base}/webhooks", {"url": "ftp://x"}).status == 422


def test_plan_limits(api: Api) -> None:
    app = monitored_app(api, "limited", plan="free")
    base = METRICS.format(app=app)
    for _ in range(2):
        create_monitor(api, app, type="command-failure")
    third = api.post(f"{base}/monitors", {"type": "command-timeout"})
    assert third.status == 422
    assert third.body["id"] == "plan_limit"
    assert "allows 2 monitor" in third.body["message"]
    emails = api.patch(f"{base}/notifications", {"emails": ["a@example.com"]})
    assert emails.status == 422
    assert emails.body["id"] == "plan_limit"
    api.patch(f"/apps/{app}/addons/one-off-metrics", {"plan": "one-off-metrics:basic"}).ok()
    create_monitor(api, app, type="command-timeout")
    shown = api.patch(f"{base}/notifications", {"emails": ["A@example.com", "b@example.com"]})
    assert shown.ok()["emails"] == ["a@example.com", "b@example.com"]
    assert shown.ok()["recipients"] == ["admin@localhost"]


def test_other_users_cannot_see_monitors(api: Api, user_api: Callable[[str], Api]) -> None:
    app = monitored_app(api, "private")
    create_monitor(api, app, type="command-failure")
    bob = user_api("bob")
    assert bob.get(f"{METRICS.format(app=app)}/monitors").status == 404
    assert bob.get(f"{METRICS.format(app=app)}/alerts").status == 404


def test_destroying_the_addon_deletes_monitors_and_alerts(api: Api) -> None:
    app = monitored_app(api, "fleeting")
    create_monitor(api, app, type="command-failure")
    dyno = api.run(app, "exit 1")
    api.wait_ended(app, dyno["name"])
    base = METRICS.format(app=app)
    wait_for(lambda: api.get(f"{base}/alerts").ok(), 30, "an alert")
    api.delete(f"/apps/{app}/addons/one-off-metrics").ok()
    api.post(f"/apps/{app}/addons", {"plan": "one-off-metrics:basic"}).ok()
    assert api.get(f"{base}/monitors").ok() == []
    assert api.get(f"{base}/alerts").ok() == []


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    found = WebhookReceiver()
    yield found
    found.close()


def test_webhooks_generic_and_slack(mapi: Api, inbox: Inbox, receiver: WebhookReceiver) -> None:
    app = monitored_app(mapi, "hooked")
    base = METRICS.format(app=app)
    mapi.patch(f"/apps/{app}/config-vars", {"PASSWORD": "pa55word-value"}).ok()
    generic = mapi.post(f"{base}/webhooks", {"url": receiver.url}).ok()
    slack = mapi.post(f"{base}/webhooks", {"url": receiver.url + "?slack", "format": "slack"})
    assert len(generic["secret"]) == 64
    receiver.failing = 1  # the first POST fails: it is retried
    create_monitor(mapi, app, type="command-failure")
    dyno = mapi.run(app, "echo pa55word-value; exit 4")
    mapi.wait_ended(app, dyno["name"])
    wait_mail(inbox, 1)
    wait_for(lambda: len(receiver.posts) == 2, 30, "two webhook posts")
    bodies = [json.loads(body) for _, body in receiver.posts]
    plain = next(b for b in bodies if "event" in b)
    chat = next(b for b in bodies if "blocks" in b)
    assert plain["event"] == "alert.opened"
    assert plain["alert"]["monitor"]["type"] == "command-failure"
    assert plain["alert"]["dynos"][0]["exit_status"] == 4
    assert "pa55word-value" not in json.dumps(bodies)
    assert "[REDACTED]" in plain["alert"]["dynos"][0]["command"]
    assert chat["text"].startswith(f"ALERT {app}:")
    for headers, body in receiver.posts:
        secret = generic["secret"] if "event" in json.loads(body) else slack.ok()["secret"]
        assert verify(secret, headers["Runoff-Signature"], body)
        assert not hmac.compare_digest(headers["Runoff-Signature"], "")
    [alert] = mapi.get(f"{base}/alerts").ok()
    shown = mapi.get(f"{base}/alerts/{alert['number']}").ok()
    deliveries = shown["notifications"][0]["deliveries"]
    assert sorted(d["channel"] for d in deliveries) == ["email", "webhook", "webhook"]
    assert max(d["attempts"] for d in deliveries) == 2
    assert all(d["status"] == "sent" for d in deliveries)


def test_a_webhook_that_keeps_failing_ends_as_a_failed_delivery(
    server_factory: Callable[..., LiveServer], receiver: WebhookReceiver
) -> None:
    server = server_factory(executor=FakeExecutor(), alert_retry_seconds=0.05, alert_max_attempts=3)
    api = Api(server.url, ADMIN_TOKEN)
    app = monitored_app(api, "unheard")
    base = METRICS.format(app=app)
    api.post(f"{base}/webhooks", {"url": receiver.url}).ok()
    receiver.failing = 1_000  # every POST answers 500
    create_monitor(api, app, type="command-failure")
    api.wait_ended(app, api.run(app, "exit 1")["name"])

    def given_up() -> list[dict[str, object]]:
        found = api.get(f"{base}/deliveries").ok()
        return [d for d in found if d["channel"] == "webhook" and d["status"] == "failed"]

    [failed] = wait_for(given_up, 30, "the webhook delivery to be given up")
    assert failed["attempts"] == 3
    assert "500" in str(failed["last_error"])
    assert receiver.posts == []  # none succeeded, and no more are tried
    tried = 1_000 - receiver.failing
    assert tried == 3
