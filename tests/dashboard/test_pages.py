"""The other pages in a real browser: the app overview, a dyno (live logs, memory and load,
guidance), memory compared across dynos, alerts; user-supplied text stays text and config var
values never show."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.dashboard.conftest import screenshot, wait_plots
from tests.dashboard.seed import SECRET, XSS, Seeded
from tests.support.api import Api, wait_for
from tests.support.live import LiveServer
from tests.support.slugs import deploy

pytestmark = pytest.mark.browser


def _no_secret(page: Any) -> None:
    assert SECRET not in page.content()


def test_overview_shows_formation_running_dynos_runs_and_jobs(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded
) -> None:
    api.post(
        "/apps/shop/scheduler/jobs",
        {"command": f"python nightly.py --key {SECRET}", "schedule": "0 3 * * *"},
    ).ok()
    procfile = f"web: python3 -m http.server $PORT\nworker: python3 work.py --token {SECRET}\n"
    deploy(api, "shop", {"Procfile": procfile})
    api.patch("/apps/shop/formation", {"updates": [{"type": "worker", "quantity": 0}]}).ok()
    page = new_page()
    page.goto(f"{server.url}/dashboard/apps/shop")
    screenshot(page, "overview")
    formation = page.locator("#formation").inner_text()
    assert "python3 -m http.server $PORT" in formation
    assert "python3 work.py --token [REDACTED]" in formation
    running = page.locator("#running tbody tr")
    assert running.count() == seeded.running
    assert "python worker.py" in running.first.inner_text()
    recent = page.locator("#recent-runs").inner_text()
    for name in seeded.names.values():
        assert name in recent
    assert "[REDACTED]" in recent  # the run whose command held the config var's value
    jobs = page.locator("#scheduler").inner_text()
    assert "python nightly.py --key [REDACTED]" in jobs
    assert "0 3 * * *" in jobs
    assert "pro" in page.locator("#addons").inner_text()
    _no_secret(page)
    page.click(f"#recent-runs a:text-is('{seeded.names['report-1']}')")
    page.wait_for_url(f"**/dashboard/apps/shop/dynos/{seeded.names['report-1']}")


def test_apps_page_lists_the_apps(new_page: Any, server: LiveServer, seeded: Seeded) -> None:
    page = new_page()
    page.goto(f"{server.url}/dashboard")
    screenshot(page, "apps")
    assert page.locator("#apps tbody tr").count() == 1
    page.click("#apps a:text-is('shop')")
    page.wait_for_url("**/dashboard/apps/shop")


def test_commands_that_look_like_html_stay_text(
    new_page: Any, server: LiveServer, seeded: Seeded
) -> None:
    page = new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (
        "/dashboard/apps/shop",
        "/apps/shop/one-off-metrics?range=3h",
        f"/dashboard/apps/shop/dynos/{seeded.names['xss']}",
    ):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.get_by_text(XSS, exact=True).count() >= 1, path
        assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    screenshot(page, "dyno-xss")
    # a filter typed with markup in it is echoed as text too (in the error box)
    page.goto(f"{server.url}/apps/shop/one-off-metrics?range=3h")
    wait_plots(page)
    page.fill("#filter", '"<img src=x onerror=alert(2)>')
    page.locator("#filter-error").wait_for(state="visible")
    assert page.locator(".filter-text").inner_text() == '"<img src=x onerror=alert(2)>'
    assert page.locator("#filter-error img").count() == 0
    assert dialogs == []
    assert page.js_errors == []


def test_a_running_dynos_page_streams_its_logs_redacted(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded
) -> None:
    dyno = api.run(
        "shop", 'echo "key is $API_KEY"; for i in 1 2 3 4 5 6; do echo tick-$i; sleep 0.6; done'
    )
    page = new_page()
    page.goto(f"{server.url}/dashboard/apps/shop/dynos/{dyno['name']}")
    assert page.locator("#logs-live").is_visible()
    page.get_by_text("tick-1", exact=False).wait_for()
    # lines keep arriving while the page is open: it is the live stream, not a reload
    page.get_by_text("tick-4", exact=False).wait_for()
    assert page.locator(".log-line").filter(has_text="key is [REDACTED]").count() == 1
    screenshot(page, "dyno-running")
    api.wait_ended("shop", dyno["name"])
    page.locator("#dyno-state .state-succeeded").wait_for(timeout=30_000)  # reloaded when done
    page.get_by_text("tick-6", exact=False).wait_for()
    wait_plots(page, 2)
    samples = int(page.locator("#plot-memory").get_attribute("data-samples") or 0)
    assert samples >= 1
    assert page.locator("#fact-exit").inner_text() == "0"
    screenshot(page, "dyno-ended")
    _no_secret(page)


def test_a_failed_runs_page_has_its_guidance_and_timings(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded
) -> None:
    dyno = api.run("shop", "echo starting; nosuchcommand-xyz")
    api.wait_ended("shop", dyno["name"])
    page = new_page()
    page.goto(f"{server.url}/dashboard/apps/shop/dynos/{dyno['name']}")
    assert "failed" in page.locator("#dyno-state").inner_text()
    assert page.locator("#fact-exit").inner_text() == "127"
    assert not page.locator("#logs-live").is_visible()  # it ended: no live stream
    assert page.locator("#guidance [data-guidance=command-not-found]").count() == 1
    page.get_by_text("command not found", exact=False).first.wait_for()
    events = page.locator("#events").inner_text()
    for event in ("starting", "up", "exited"):
        assert event in events
    page.locator("#logs[data-state=complete]").wait_for()  # the ended stream said "end"
    screenshot(page, "dyno-failed")


def test_memory_compares_the_apps_dynos(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded
) -> None:
    names = [api.run("shop", "python3 -c 'import time; b = bytearray(30_000_000); time.sleep(3)'")
             ["name"] for _ in range(2)]  # fmt: skip
    names.append(api.run("shop", "sleep 3")["name"])
    wait_for(
        lambda: len({s.dyno_id for s in server.platform.runtime.store.app_series(
            server.platform.apps.get("shop").id, 0)}) >= 3,
        what="runtime samples of the three dynos",
    )  # fmt: skip
    page = new_page()
    page.goto(f"{server.url}/dashboard/apps/shop/memory?window=1h")
    wait_plots(page, 1)
    screenshot(page, "memory")
    assert int(page.locator("#plot-memory-compare").get_attribute("data-dynos") or 0) >= 3
    legend = page.locator("#plot-memory-compare .legend-item")
    labels = [legend.nth(i).inner_text() for i in range(legend.count())]
    for name in names:
        assert name in labels
    peaks = page.locator("#memory-peaks tbody").inner_text()
    assert all(name in peaks for name in names)
    option = page.evaluate(
        """() => echarts.getInstanceByDom(document.querySelector('#plot-memory-compare .chart'))
            .getOption().series.map(s => ({name: s.name, n: (s.data || []).length}))"""
    )
    assert {s["name"] for s in option} >= set(names)
    legend.filter(has_text=names[0]).click()
    selected = page.evaluate(
        """() => echarts.getInstanceByDom(document.querySelector('#plot-memory-compare .chart'))
            .getOption().legend[0].selected"""
    )
    assert selected[names[0]] is False


def _first_open_alert(new_page: Any, server: LiveServer, api: Api, shot: str) -> tuple[Any, Any]:
    """Once the API shows an open alert: the alerts page (kept as screenshot ``shot``) and
    its first open alert."""
    wait_for(lambda: api.get("/apps/shop/one-off-metrics/alerts?status=open").ok(), what="an alert")
    page = new_page()
    page.goto(f"{server.url}/dashboard/apps/shop/alerts")
    screenshot(page, shot)
    return page, page.locator("#open-alerts article.alert").first


def test_alerts_show_runs_redacted_commands_and_guidance(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded
) -> None:
    api.post(
        "/apps/shop/one-off-metrics/monitors", {"type": "command-failure", "name": "failures"}
    ).ok()
    dyno = api.run("shop", f"echo using {SECRET}; exit 3")
    api.wait_ended("shop", dyno["name"])
    page, alert = _first_open_alert(new_page, server, api, "alerts")
    text = alert.inner_text()
    assert "failures" in text
    assert dyno["name"] in text
    assert "echo using [REDACTED]; exit 3" in text
    assert alert.locator(".guidance li").count() >= 1
    _no_secret(page)
    api.patch("/apps/shop/one-off-metrics/monitors/failures", {"enabled": False}).ok()
    page.reload()
    assert page.locator("#resolved-alerts article.alert").count() == 1
    assert page.locator("#open-alerts article.alert").count() == 0


def test_an_alert_about_a_run_still_running_says_for_how_long(
    new_page: Any, server: LiveServer, api: Api, seeded: Seeded
) -> None:
    api.post(
        "/apps/shop/one-off-metrics/monitors",
        {"type": "command-execution-time", "threshold": 1, "name": "slow"},
    ).ok()
    dyno = api.run("shop", "sleep 60")
    _, alert = _first_open_alert(new_page, server, api, "alerts-running")
    text = alert.inner_text()
    # The seeded runs include one running for an hour: it or ours opens the alert.
    assert re.search(r"run\.\d+ has been running for [\d.]+ s \(threshold 1 s\)", text)
    assert "so far" in text
    assert "The run is taking longer than expected" in text
    api.post(f"/apps/shop/dynos/{dyno['name']}/actions/stop").ok()
