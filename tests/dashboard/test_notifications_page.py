"""The notifications page: who gets alert e-mails, additional addresses and webhooks added
and removed with forms (plan limit, bad input, CSRF), and the recent deliveries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.conftest import screenshot
from tests.dashboard.seed import SECRET, Seeded
from tests.dashboard.web import WebClient
from tests.support.api import Api, wait_for
from tests.support.live import LiveServer
from tests.support.receivers import WebhookReceiver

PAGE = "/dashboard/apps/shop/notifications"
NOTIFICATIONS = "/apps/shop/one-off-metrics/notifications"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    found = WebhookReceiver()
    yield found
    found.close()


def _post(client: WebClient, server: LiveServer, path: str, form: dict[str, str]) -> Any:
    token = client.csrf_token(PAGE)
    return client.post(path, {**form, "csrf_token": token}, headers={"Origin": server.url})


def test_additional_addresses_are_added_and_removed_within_the_plan(
    server: LiveServer, api: Api, seeded: Seeded, admin: WebClient
) -> None:
    page = admin.get(PAGE)
    assert page.status == 200
    assert "admin@localhost" in page.text  # the owner gets every alert
    assert "0 of 10 on this plan" in page.text
    assert "This server sends no e-mail" in page.text  # no RUNOFF_SMTP_URL here
    added = _post(admin, server, f"{PAGE}/emails/add", {"email": " OnCall@Example.com "})
    assert added.status == 303
    assert added.location == f"{PAGE}?notice=email-added"
    assert api.get(NOTIFICATIONS).ok()["emails"] == ["oncall@example.com"]
    assert "Address added." in admin.get(added.location).text
    bad = _post(admin, server, f"{PAGE}/emails/add", {"email": "not-an-address"})
    assert bad.status == 422
    assert "&#39;not-an-address&#39; is not an e-mail address" in bad.text
    assert api.get(NOTIFICATIONS).ok()["emails"] == ["oncall@example.com"]
    # The plan's limit (10 on pro) applies as in the API.
    ten = ["oncall@example.com"] + [f"team{n}@example.com" for n in range(9)]
    api.patch(NOTIFICATIONS, {"emails": ten}).ok()
    over = _post(admin, server, f"{PAGE}/emails/add", {"email": "eleventh@example.com"})
    assert over.status == 422
    assert "The pro plan allows 10 additional e-mail" in over.text
    assert len(api.get(NOTIFICATIONS).ok()["emails"]) == 10
    removed = _post(admin, server, f"{PAGE}/emails/remove", {"email": "oncall@example.com"})
    assert removed.status == 303
    assert "oncall@example.com" not in api.get(NOTIFICATIONS).ok()["emails"]


def test_a_webhook_shows_its_secret_once_and_its_deliveries(
    server: LiveServer, api: Api, seeded: Seeded, admin: WebClient, receiver: WebhookReceiver
) -> None:
    added = _post(admin, server, f"{PAGE}/webhooks", {"url": receiver.url, "format": "slack"})
    assert added.status == 200
    secret = re.search(r'<code class="secret">([0-9a-f]{64})</code>', added.text)
    assert secret, added.text
    [hook] = api.get(NOTIFICATIONS).ok()["webhooks"]
    assert (hook["url"], hook["format"]) == (receiver.url, "slack")
    shown = admin.get(PAGE).text
    assert receiver.url in shown
    assert secret.group(1) not in shown  # only the answer to the form showed it
    assert "No alert has been sent yet." in shown
    bad = _post(admin, server, f"{PAGE}/webhooks", {"url": "ftp://nope", "format": "generic"})
    assert bad.status == 422
    assert 'id="webhook-error"' in bad.text
    # An alert goes out; the page lists the delivery.
    api.post("/apps/shop/one-off-metrics/monitors", {"type": "command-failure"}).ok()
    api.wait_ended("shop", api.run("shop", f"echo {SECRET}; exit 2")["name"])
    wait_for(lambda: receiver.posts, what="the webhook delivery")
    page = wait_for(
        lambda: (text := admin.get(PAGE).text) and 'data-status="sent"' in text and text,
        what="the delivery listed as sent",
    )
    assert "#1" in page
    assert SECRET not in page
    found = api.get("/apps/shop/one-off-metrics/deliveries").ok()
    [sent] = [d for d in found if d["channel"] == "webhook"]
    # Without SMTP here the e-mail waits, pending, for a server that has it: never dropped.
    [mail] = [d for d in found if d["channel"] == "email"]
    assert (mail["to"], mail["status"], mail["attempts"]) == (["admin@localhost"], "pending", 0)
    assert "waiting for a server with SMTP" in page
    assert (sent["alert_number"], sent["kind"], sent["channel"]) == (1, "opened", "webhook")
    assert (sent["to"], sent["status"], sent["attempts"]) == (receiver.url, "sent", 1)
    assert api.get("/apps/shop/one-off-metrics/deliveries?limit=0").status == 422
    removed = _post(admin, server, f"{PAGE}/webhooks/{hook['id']}/remove", {})
    assert removed.status == 303
    assert api.get(NOTIFICATIONS).ok()["webhooks"] == []


def test_changes_need_the_csrf_token_and_write_access(
    server: LiveServer, api: Api, seeded: Seeded, admin: WebClient
) -> None:
    assert admin.post(f"{PAGE}/emails/add", {"email": "x@example.com"}).status == 403
    made = api.post("/oauth/authorizations", {"description": "ro", "scope": ["read"]}).ok()
    reader = WebClient(server.url)
    assert reader.login(made["access_token"]["token"]).status == 303
    assert reader.get(PAGE).status == 200
    refused = _post(reader, server, f"{PAGE}/emails/add", {"email": "x@example.com"})
    assert refused.status in (403, 404)
    assert api.get(NOTIFICATIONS).ok()["emails"] == []


@pytest.mark.browser
def test_the_notifications_page_in_the_browser(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded, receiver: WebhookReceiver
) -> None:
    page = new_page()
    page.goto(f"{server.url}{PAGE}")
    page.fill("#email", "pager@example.com")
    page.click("#add-email button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("#emails tr[data-email='pager@example.com']").count() == 1
    assert page.locator("nav.tabs a.active").inner_text() == "Notifications"
    page.fill("#url", receiver.url)
    page.click("#add-webhook button[type=submit]")
    page.wait_for_load_state("load")
    assert len(page.locator("#webhook-secret code.secret").inner_text()) == 64
    api.post("/apps/shop/one-off-metrics/monitors", {"type": "command-failure"}).ok()
    api.wait_ended("shop", api.run("shop", "exit 2")["name"])
    wait_for(lambda: receiver.posts, what="the webhook delivery")
    page.goto(f"{server.url}{PAGE}")
    assert page.locator("#delivery-list tr[data-status='sent']").count() == 1
    screenshot(page, "notifications")
