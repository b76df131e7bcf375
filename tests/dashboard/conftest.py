"""Fixtures for the dashboard tests: a live server with seeded runs, headless Chromium (Debian's
/usr/bin/chromium through Playwright, never a downloaded browser), logged-in pages, and
screenshots kept under artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.seed import Seeded, seed
from tests.dashboard.web import WebClient
from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in this
# thread while it is open, and tests of other modules that call asyncio.run() must not see it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: scripts/setup installs Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def server(server_factory: Callable[..., LiveServer]) -> LiveServer:
    """A live server that samples dynos' runtime metrics often (for the memory charts)."""
    return server_factory(metrics_interval_seconds=0.5, memory_check_seconds=0.25)


@pytest.fixture
def seeded(server: LiveServer, api: Api) -> Seeded:
    return seed(server, api)


@pytest.fixture
def new_page(browser: Any, server: LiveServer) -> Iterator[Callable[..., Any]]:
    """``new_page(token)``: a fresh browser context logged in with ``token`` (None: not)."""
    contexts: list[Any] = []

    def make(token: str | None = ADMIN_TOKEN) -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        if token is not None:
            login(page, server.url, token)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page: Any, base_url: str, token: str, next_path: str = "/dashboard") -> None:
    page.goto(f"{base_url}/dashboard/login?next={next_path}")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def screenshot(page: Any, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_plots(page: Any, count: int = 4) -> None:
    """Until ``count`` plots are drawn (their section's data-state is ready)."""
    page.wait_for_function(
        "(n) => document.querySelectorAll('.plot[data-state=ready]').length >= n", arg=count
    )


def wait_all_plots(page: Any, **wanted: str) -> None:
    """Until every plot is drawn with the dataset values in ``wanted`` (e.g. filter="x")."""
    page.wait_for_function(
        """(wanted) => [...document.querySelectorAll('.plot')].every(p =>
            p.dataset.state === 'ready'
            && Object.entries(wanted).every(([k, v]) => p.dataset[k] === v))""",
        arg=wanted,
    )


def chart_option(page: Any, plot: str) -> Any:
    """The option ECharts holds for a plot of the metrics page (its real state)."""
    return page.evaluate(
        """(plot) => {
            const option = window.runoffCharts[plot].getOption();
            return {series: option.series.map(s => ({name: s.name, data: s.data})),
                    selected: option.legend[0].selected};
        }""",
        plot,
    )


@pytest.fixture
def admin(server: LiveServer) -> WebClient:
    """A plain HTTP client logged in to the dashboard as the admin."""
    client = WebClient(server.url)
    assert client.login(ADMIN_TOKEN).status == 303
    return client
