"""Templates (Jinja2, autoescaped), their filters, and the static files the pages load.

Every value a template prints is HTML-escaped (``autoescape=True``); data handed to the pages'
scripts goes through ``tojson`` inside ``<script type="application/json">`` blocks, which
escapes ``<``, ``>``, ``&`` and quotes, so a command like ``</script><script>...`` stays text.

The chart library (Apache ECharts) is installed by npm and copied by ``scripts/setup`` into
``static/vendor/echarts/`` (git-ignored); ``missing_assets`` names what is missing so that a
page says so instead of drawing nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from runoff.clock import US_PER_SECOND

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/dashboard/static"
CHART_LIBRARY = "vendor/echarts/echarts.min.js"

# Pages hold an app's data: never cached, never framed, scripts and styles only from here.
# ECharts writes inline style attributes into its tooltips, hence 'unsafe-inline' for styles
# (scripts stay strict: no inline script runs).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def missing_assets(static_dir: Path = STATIC_DIR) -> str | None:
    """Why the charts cannot be drawn, or None when the chart library is in place."""
    path = static_dir / CHART_LIBRARY
    if path.is_file():
        return None
    return (
        f"The chart library is missing ({path}): run scripts/setup, which installs Apache "
        "ECharts with npm and copies it there. Plots cannot be drawn until then."
    )


@functools.lru_cache(maxsize=64)
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """The URL of a static file, versioned by its content so browsers may cache it."""
    path = STATIC_DIR / name
    try:
        version = _digest(path, path.stat().st_mtime_ns)
    except OSError:
        version = "missing"
    return f"{STATIC_PATH}/{name}?v={version}"


def when(us: int | None) -> str:
    """``2026-11-23 10:00:05 UTC`` (or an em dash for no time)."""
    if us is None:
        return "—"
    moment = dt.datetime.fromtimestamp(us / US_PER_SECOND, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_time(us: int | None) -> str:
    if us is None:
        return ""
    return dt.datetime.fromtimestamp(us / US_PER_SECOND, dt.UTC).isoformat()


def duration(seconds: float | None) -> str:
    """``0.4 s``, ``41 s``, ``5 min 3 s``, ``2 h 10 min``."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def size_bytes(value: int | None) -> str:
    if value is None or value < 0:
        return "—"
    return f"{value / (1024 * 1024):.1f} MB"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, iso_time=iso_time, duration=duration, size_bytes=size_bytes)
    env.globals.update(static_url=static_url, chart_library=CHART_LIBRARY)
    return env


templates = Jinja2Templates(env=_environment())


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """Render template ``name`` with the security headers every dashboard page carries."""
    team = getattr(request.state, "team", None)  # set by guard.app_for on app pages
    context = {
        "missing_assets": missing_assets(),
        "unisolated": request.app.state.platform.executor.isolation == "none",
        "team": team,
        **context,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response
