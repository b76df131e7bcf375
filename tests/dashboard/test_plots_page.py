"""The add-on's page in a real browser: the four plots with the seeded numbers, one filter for
all of them (kept in the URL, errors shown in place), per-plot legend buttons, the runs table."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.dashboard.conftest import chart_option, screenshot, wait_all_plots, wait_plots
from tests.dashboard.seed import Seeded
from tests.support.live import ADMIN_TOKEN, LiveServer

pytestmark = pytest.mark.browser


def _total(option: Any, series: str) -> float:
    found = next(s for s in option["series"] if s["name"] == series)
    return sum(point[1] or 0 for point in found["data"])


def _peak(option: Any, series: str) -> float:
    found = next(s for s in option["series"] if s["name"] == series)
    return max((point[1] or 0 for point in found["data"]), default=0)


def _count(option: Any, series: str) -> int:
    return len(next(s for s in option["series"] if s["name"] == series)["data"])


def _open(new_page: Any, server: LiveServer, query: str = "range=3h") -> Any:
    page = new_page()
    page.goto(f"{server.url}/apps/shop/one-off-metrics?{query}")
    wait_plots(page)
    return page


def test_the_four_plots_show_the_seeded_runs(
    new_page: Any, server: LiveServer, seeded: Seeded
) -> None:
    page = _open(new_page, server)
    screenshot(page, "metrics-3h")
    throughput = chart_option(page, "throughput")
    assert _total(throughput, "0 · succeeded") == seeded.succeeded
    assert _total(throughput, "> 0 · failed") == seeded.failed
    assert _total(throughput, "null · timed out") == seeded.timed_out
    assert len(throughput["series"][0]["data"]) == 180  # 3 h at 1-minute resolution
    execution = chart_option(page, "execution-time")
    assert _peak(execution, "max") == 120  # the run forced out after 120 s
    assert min(p[1] for p in next(s for s in execution["series"] if s["name"] == "min")["data"]
               if p[1] is not None) == 2  # fmt: skip
    assert _peak(chart_option(page, "concurrency"), "max") == 2  # two scrapes overlapped
    events = page.locator("#plot-events")
    assert events.get_attribute("data-runs") == str(len(seeded.names))
    events_option = chart_option(page, "events")
    assert _count(events_option, "exited") == len(seeded.names) - seeded.running
    assert _count(events_option, "starting") == len(seeded.names)
    assert page.locator("#plot-events .resolution").inner_text() == "1-minute resolution"
    rows = page.locator("#runs-table tbody tr")
    assert rows.count() == len(seeded.names)
    assert page.js_errors == []


def test_a_filter_applies_to_all_four_plots_and_stays_in_the_url(
    new_page: Any, server: LiveServer, seeded: Seeded
) -> None:
    page = _open(new_page, server)
    page.fill("#filter", 'type:"scheduler"')
    wait_all_plots(page, filter='type:"scheduler"')
    screenshot(page, "metrics-filtered")
    assert "filter=type%3A%22scheduler%22" in page.url
    throughput = chart_option(page, "throughput")
    assert _total(throughput, "0 · succeeded") == 3
    assert _total(throughput, "> 0 · failed") == 0
    assert _total(throughput, "null · timed out") == 0
    assert _peak(chart_option(page, "execution-time"), "max") == 90
    assert _peak(chart_option(page, "concurrency"), "max") == 2
    assert page.locator("#plot-events").get_attribute("data-runs") == "3"
    assert page.locator("#runs-table tbody tr").count() == 3
    # the URL is a shareable view: opening it shows the same filter and numbers
    shared = new_page()
    shared.goto(page.url)
    wait_plots(shared)
    assert shared.input_value("#filter") == 'type:"scheduler"'
    assert _total(chart_option(shared, "throughput"), "0 · succeeded") == 3
    # another filter: the failures only
    page.fill("#filter", "-state:succeeded -state:running")
    wait_all_plots(page, filter="-state:succeeded -state:running")
    throughput = chart_option(page, "throughput")
    assert (_total(throughput, "0 · succeeded"), _total(throughput, "> 0 · failed")) == (0, 2)
    assert _total(throughput, "null · timed out") == 1
    assert _peak(chart_option(page, "execution-time"), "max") == 120


def test_a_bad_filter_shows_the_column_and_reason_in_place(
    new_page: Any, server: LiveServer, seeded: Seeded
) -> None:
    page = _open(new_page, server)
    before = chart_option(page, "throughput")
    page.fill("#filter", 'command:"python scrape.py')
    error = page.locator("#filter-error")
    error.wait_for(state="visible")
    screenshot(page, "metrics-filter-error")
    assert error.get_attribute("data-column") == "9"
    assert "unbalanced double quote" in error.get_attribute("data-reason")
    assert "Column 9" in page.locator(".filter-reason").inner_text()
    assert page.locator(".filter-caret").inner_text() == " " * 8 + "^"
    assert page.get_attribute("#filter", "aria-invalid") == "true"
    assert chart_option(page, "throughput") == before  # the plots keep the last good data
    page.fill("#filter", 'command:"python scrape.py"')
    error.wait_for(state="hidden")
    wait_plots(page)


def test_a_legend_button_hides_a_series_in_its_plot_only(
    new_page: Any, server: LiveServer, seeded: Seeded
) -> None:
    page = _open(new_page, server)
    button = page.locator('#plot-execution-time .legend-item[data-series="max"]')
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert chart_option(page, "execution-time")["selected"]["max"] is False
    assert chart_option(page, "concurrency")["selected"].get("max", True) is True
    screenshot(page, "metrics-legend-toggled")
    page.locator('#plot-throughput .legend-item[data-series="0 · succeeded"]').click()
    assert chart_option(page, "throughput")["selected"]["0 · succeeded"] is False
    assert chart_option(page, "execution-time")["selected"]["max"] is False
    # a new filter redraws every plot, and the hidden series stay hidden
    page.fill("#filter", "scrape")
    wait_all_plots(page, filter="scrape")
    assert chart_option(page, "execution-time")["selected"]["max"] is False
    button.click()
    assert chart_option(page, "execution-time")["selected"]["max"] is True


@pytest.mark.parametrize(
    ("range_", "buckets", "resolution"),
    [("24h", 144, "10-minute"), ("7d", 168, "1-hour"), ("24h-48h", 144, "10-minute")],
)
def test_ranges_and_resolutions(
    new_page: Any, server: LiveServer, seeded: Seeded, range_: str, buckets: int, resolution: str
) -> None:
    page = _open(new_page, server, f"range={range_}")
    throughput = chart_option(page, "throughput")
    assert len(throughput["series"][0]["data"]) == buckets
    assert page.locator("#plot-throughput .resolution").inner_text() == f"{resolution} resolution"
    expected = 0 if range_ == "24h-48h" else seeded.succeeded
    assert _total(throughput, "0 · succeeded") == expected


def test_range_buttons_switch_every_plot(new_page: Any, server: LiveServer, seeded: Seeded) -> None:
    page = _open(new_page, server, f"range=3h&filter={quote('scrape')}")
    page.click('.ranges a[data-range="72h"]')
    wait_all_plots(page, range="72h")
    assert "range=72h" in page.url
    assert "filter=scrape" in page.url
    assert len(chart_option(page, "concurrency")["series"][0]["data"]) == 144
    screenshot(page, "metrics-72h")


def test_the_addons_web_url_opens_the_dashboard_after_logging_in(
    new_page: Any, server: LiveServer, api: Any, seeded: Seeded
) -> None:
    addon = api.get("/apps/shop/addons").ok()[0]
    page = new_page(None)  # what `runoff addons:open one-off-metrics` opens: no session yet
    page.goto(addon["web_url"] + "?range=3h")
    page.wait_for_url("**/dashboard/login?next=*")
    screenshot(page, "login")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(addon["web_url"] + "?range=3h")
    wait_plots(page)
    assert page.locator("h1").first.inner_text() == "One-off Dyno Metrics"


def test_without_the_chart_library_the_plots_say_so(
    new_page: Any, server: LiveServer, seeded: Seeded
) -> None:
    page = new_page()
    page.route("**/vendor/echarts/echarts.min.js*", lambda route: route.abort())
    page.goto(f"{server.url}/apps/shop/one-off-metrics?range=3h")
    message = page.locator("#plot-throughput .plot-message")
    message.wait_for(state="visible")
    assert "chart library could not be loaded" in message.inner_text()
    assert page.locator("#plot-throughput").get_attribute("data-state") == "error"
    assert page.locator("#runs-table tbody tr").count() == len(seeded.names)  # the rest works


def test_tooltips_name_the_dyno_event_and_exit_status(
    new_page: Any, server: LiveServer, seeded: Seeded
) -> None:
    page = _open(new_page, server)

    def show(plot: str, series: str) -> tuple[str, Any]:
        """Show the tooltip of the first non-empty point of ``series``: (its text, the value)."""
        found: tuple[str, Any] = page.evaluate(
            """([plot, series]) => {
                const chart = window.runoffCharts[plot];
                const all = chart.getOption().series;
                const index = all.findIndex(s => s.name === series);
                const point = all[index].data.findIndex(p => p[1] !== null && p[1] !== 0);
                chart.dispatchAction({type: 'showTip', seriesIndex: index, dataIndex: point});
                const text = [...document.querySelectorAll('.tip')].map(t => t.textContent);
                return [text.join('|'), all[index].data[point][1]];
            }""",
            [plot, series],
        )
        return found

    events, _ = show("events", "exited")
    assert seeded.names["scrape-1"] in events
    assert "event: exited" in events
    assert "exit status: 0" in events
    # Seeded runs a minute apart may share a bucket: the tip says the point's own count.
    tip, count = show("throughput", "0 · succeeded")
    assert count >= 1
    assert f"0 · succeeded: {count}" in tip
