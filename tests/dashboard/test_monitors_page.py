"""Monitors from the page, in a real browser: create, a rejected form shown again, edit,
disable, enable, delete — each checked through the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.dashboard.conftest import screenshot
from tests.dashboard.seed import Seeded
from tests.support.api import Api
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser


def _monitor(api: Api, name: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/apps/shop/one-off-metrics/monitors/{quote(name)}").ok()
    return found


def test_create_edit_disable_enable_and_delete_a_monitor(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded
) -> None:
    page = new_page()
    page.goto(f"{server.url}/dashboard/apps/shop/monitors")
    assert "No monitors yet" in page.content()
    page.click("#new-monitor")
    page.select_option("#type", "command-execution-time")
    assert page.locator("#threshold-unit").inner_text() == "seconds"
    page.fill("#name", "slow scrapes")
    page.fill("#threshold", "600")
    page.fill("#sensitivity", "2")
    page.fill("#filter_command", ".py")
    page.fill("#filter_type", '"scheduler"')
    screenshot(page, "monitor-new")
    page.click("#save-monitor")
    page.wait_for_url("**/monitors?notice=created")
    screenshot(page, "monitors")
    row = page.locator('tr[data-monitor="slow scrapes"]')
    text = row.inner_text()
    for expected in ("One-off Dyno Command Execution Time", "600 seconds", ".py", '"scheduler"'):
        assert expected in text
    created = _monitor(api, "slow scrapes")
    assert created["type"] == "command-execution-time"
    assert (created["threshold"], created["sensitivity"], created["enabled"]) == (600, 2, True)
    assert created["filters"] == {"command": ".py", "type": '"scheduler"', "size": None}

    # a form the monitors reject comes back with the message and what was typed
    page.click("#new-monitor")
    page.select_option("#type", "command-concurrency")
    page.fill("#name", "too many")
    page.click("#save-monitor")
    assert "threshold is required" in page.locator("#form-error").inner_text()
    assert page.input_value("#name") == "too many"
    assert page.input_value("#type") == "command-concurrency"
    screenshot(page, "monitor-rejected")
    page.fill("#threshold", "3")
    page.click("#save-monitor")
    page.wait_for_url("**/monitors?notice=created")
    assert _monitor(api, "too many")["threshold"] == 3

    # edit: a new threshold, and the command filter removed
    row.get_by_role("link", name="Edit").click()
    assert page.input_value("#threshold") == "600"
    page.fill("#threshold", "900")
    page.fill("#filter_command", "")
    page.click("#save-monitor")
    page.wait_for_url("**/monitors?notice=updated")
    edited = _monitor(api, "slow scrapes")
    assert edited["threshold"] == 900
    assert edited["filters"]["command"] is None

    row.get_by_role("button", name="Disable").click()
    page.wait_for_url("**/monitors?notice=disabled")
    assert row.get_attribute("data-state") == "disabled"
    assert _monitor(api, "slow scrapes")["enabled"] is False
    row.get_by_role("button", name="Enable").click()
    page.wait_for_url("**/monitors?notice=enabled")
    assert _monitor(api, "slow scrapes")["enabled"] is True

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/monitors?notice=deleted")
    assert row.count() == 0
    names = [m["name"] for m in api.get("/apps/shop/one-off-metrics/monitors").ok()]
    assert names == ["too many"]
    assert page.js_errors == []


def test_total_concurrency_takes_no_filters_on_the_form(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded
) -> None:
    page = new_page()
    page.goto(f"{server.url}/dashboard/apps/shop/monitors/new?type=total-concurrency")
    assert page.locator("#filter_command").is_disabled()
    page.fill("#threshold", "10")
    page.click("#save-monitor")
    page.wait_for_url("**/monitors?notice=created")
    assert _monitor(api, "total-concurrency")["threshold"] == 10


def test_monitors_page_without_the_addon_says_how_to_provision_it(
    new_page: Any, server: LiveServer, api: Api
) -> None:
    api.create_app("bare")
    page = new_page()
    page.goto(f"{server.url}/dashboard/apps/bare/monitors")
    assert "not provisioned" in page.locator(".error-message").inner_text()
    page.goto(f"{server.url}/apps/bare/one-off-metrics")
    hint = page.locator("#not-provisioned").inner_text()
    assert "runoff addons:create one-off-metrics -a bare" in hint
    screenshot(page, "metrics-not-provisioned")
