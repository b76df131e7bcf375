"""The One-off Dyno Metrics pages: the plots (the add-on's ``web_url``), monitors, alerts.

Monitors are created, edited, enabled, disabled and deleted with plain forms posted to the
dashboard (CSRF-checked by ``guard.action``) that call the same ``MonitorService`` as the API,
so its validation and plan limits apply; a rejected form is shown again with the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from runoff.apps.model import App
from runoff.auth.scopes import Need
from runoff.errors import Invalid, NotFound
from runoff.metrics import RANGES, plan_named, range_named
from runoff.monitors.model import MonitorType
from runoff.monitors.spec import FILTER_FIELDS
from runoff.platform import Platform
from runoff.web.api_monitors import render_monitor
from runoff.web.common import platform, sync
from runoff.web.dashboard import render
from runoff.web.dashboard.guard import action, app_for, form_of, page
from runoff.web.dashboard.session import Session

RANGE_LABELS = {
    "3h": ("Past 3 hours", "1 minute"),
    "24h": ("Past 24 hours", "10 minutes"),
    "24h-48h": ("48–24 hours ago", "10 minutes"),
    "48h-72h": ("72–48 hours ago", "10 minutes"),
    "72h": ("Past 72 hours", "30 minutes"),
    "7d": ("Past 7 days", "1 hour"),
}
NUMBERS = ("threshold", "sensitivity", "window", "recovery", "reminder_minutes")
NOTICES = {
    "created": "Monitor created.",
    "updated": "Monitor saved.",
    "enabled": "Monitor enabled.",
    "disabled": "Monitor disabled.",
    "deleted": "Monitor deleted.",
}
TYPES = [{"value": t.value, "human": t.human, "unit": t.threshold_unit or ""} for t in MonitorType]


def _base(session: Session, app: App, tab: str, title: str) -> dict[str, Any]:
    return {"session": session, "app": app, "tab": tab, "title": f"{title} · {app.name}"}


def _addon_or_none(plat: Platform, app: App) -> Any:
    return plat.metrics.addons.for_app(app.id)


@page
async def metrics_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    plat = platform(request)
    chosen = range_named(request.query_params.get("range")).name
    addon = await sync(_addon_or_none, plat, app)
    context = {
        **_base(session, app, "metrics", "One-off Dyno Metrics"),
        "addon": addon,
        "ranges": [(r.name, *RANGE_LABELS[r.name]) for r in RANGES],
        "range": chosen,
        "filter": request.query_params.get("filter", ""),
    }
    return render.page(request, "metrics.html", context)


# monitors -----------------------------------------------------------------------------------
def _monitors(plat: Platform, app: App) -> dict[str, Any]:
    addon = plat.metrics.addons.require(app)
    found = plat.monitoring.monitors.list(app)
    return {
        "monitors": [render_monitor(m) for m in found],
        "limit": plan_named(addon.plan).monitors,
        "plan": addon.plan,
    }


@page
async def monitors_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    found = await sync(_monitors, platform(request), app)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    context = {**_base(session, app, "monitors", "Monitors"), **found, "notice": notice}
    return render.page(request, "monitors.html", context)


def _form(
    request: Request,
    session: Session,
    app: App,
    values: dict[str, Any],
    *,
    monitor: dict[str, Any] | None = None,
    error: str | None = None,
) -> Response:
    title = "New monitor" if monitor is None else f"Edit {monitor['name']}"
    context = {
        **_base(session, app, "monitors", title),
        "heading": title,
        "monitor": monitor,
        "values": values,
        "types": TYPES,
        "filter_fields": FILTER_FIELDS,
        "error": error,
    }
    return render.page(request, "monitor_form.html", context, status=422 if error else 200)


def _values_of(monitor: dict[str, Any]) -> dict[str, Any]:
    """A monitor's fields as the form shows them."""
    values = {f: "" if monitor[f] is None else str(monitor[f]) for f in NUMBERS}
    values.update({f"filter_{f}": monitor["filters"].get(f) or "" for f in FILTER_FIELDS})
    return {**values, "type": monitor["type"], "name": monitor["name"], "enabled": True}


def _text(form: Mapping[str, str], field: str) -> str:
    return form.get(field, "").strip()


def body_of(form: Mapping[str, str], *, creating: bool) -> dict[str, Any]:
    """The API body a monitor form means. Blank numbers are left out when creating (defaults)
    and cleared when editing; blank filters are left out / removed the same way."""
    body: dict[str, Any] = {}
    if creating:
        body["type"] = _text(form, "type")
        body["enabled"] = form.get("enabled") == "on"
    if name := _text(form, "name"):
        body["name"] = name
    for field in NUMBERS:
        if value := _text(form, field):
            body[field] = value
        elif not creating and field in ("threshold", "window", "reminder_minutes"):
            body[field] = None
    filters = {field: _text(form, f"filter_{field}") for field in FILTER_FIELDS}
    body["filters"] = (
        {k: v for k, v in filters.items() if v}
        if creating
        else {k: v or None for k, v in filters.items()}
    )
    return body


def _form_values(form: Mapping[str, str]) -> dict[str, Any]:
    fields = ["type", "name", *NUMBERS, *(f"filter_{f}" for f in FILTER_FIELDS)]
    return {**{f: _text(form, f) for f in fields}, "enabled": form.get("enabled") == "on"}


@page
async def new_monitor_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    await sync(platform(request).metrics.addons.require, app)
    chosen = request.query_params.get("type", MonitorType.COMMAND_FAILURE.value)
    blank = _form_values({})
    values = {**blank, "type": chosen, "sensitivity": "1", "recovery": "1", "enabled": True}
    return _form(request, session, app, values)


@action
async def create_monitor(request: Request) -> Response:
    session, app = await app_for(request, Need.WRITE)
    form = await form_of(request)
    monitors = platform(request).monitoring.monitors
    try:
        await sync(monitors.create, app, body_of(form, creating=True))
    except Invalid as exc:
        return _form(request, session, app, _form_values(form), error=exc.message)
    return _to_monitors(app, "created")


@page
async def edit_monitor_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    found = await sync(platform(request).monitoring.monitors.get, app, _monitor_ref(request))
    rendered = render_monitor(found)
    return _form(request, session, app, _values_of(rendered), monitor=rendered)


@action
async def update_monitor(request: Request) -> Response:
    session, app = await app_for(request, Need.WRITE)
    form = await form_of(request)
    monitors = platform(request).monitoring.monitors
    ref = _monitor_ref(request)
    try:
        await sync(monitors.update, app, ref, body_of(form, creating=False))
    except Invalid as exc:
        current = render_monitor(await sync(monitors.get, app, ref))
        values = {**_form_values(form), "type": current["type"]}
        return _form(request, session, app, values, monitor=current, error=exc.message)
    return _to_monitors(app, "updated")


@action
async def monitor_action(request: Request) -> Response:
    """``enable``, ``disable`` or ``delete`` (the last path segment)."""
    _, app = await app_for(request, Need.WRITE)
    monitors = platform(request).monitoring.monitors
    ref, verb = _monitor_ref(request), request.path_params["verb"]
    if verb == "delete":
        await sync(monitors.destroy, app, ref)
    elif verb in ("enable", "disable"):
        await sync(monitors.update, app, ref, {"enabled": verb == "enable"})
    else:
        raise NotFound(f"Unknown monitor action {verb!r}")
    return _to_monitors(app, "deleted" if verb == "delete" else f"{verb}d")


def _monitor_ref(request: Request) -> str:
    ref: str = request.path_params["monitor"]
    return ref


def _to_monitors(app: App, notice: str) -> Response:
    return RedirectResponse(f"/dashboard/apps/{app.name}/monitors?notice={notice}", status_code=303)


# alerts -------------------------------------------------------------------------------------
def _alerts(plat: Platform, app: App) -> dict[str, Any]:
    alerts = plat.monitoring.alerts
    return {
        "open_alerts": alerts.list_alerts(app, "open"),
        "resolved_alerts": alerts.list_alerts(app, "resolved", limit=50),
    }


@page
async def alerts_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    found = await sync(_alerts, platform(request), app)
    context = {**_base(session, app, "alerts", "Alerts"), **found}
    return render.page(request, "alerts.html", context)
