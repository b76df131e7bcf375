"""Monitors, alerts, where alerts go, and run guidance (One-off Dyno Metrics add-on)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff.auth.scopes import Need
from runoff.clock import iso
from runoff.errors import Invalid
from runoff.monitors.model import Monitor
from runoff.web.common import app_for, json_body, platform, respond, sync

BASE = "/apps/{app}/one-off-metrics"


def render_monitor(monitor: Monitor) -> dict[str, Any]:
    rules = monitor.rules
    return {
        "id": monitor.id,
        "name": monitor.name,
        "type": rules.type.value,
        "type_name": rules.type.human,
        "enabled": monitor.enabled,
        "state": monitor.progress.state.value,
        "threshold": rules.threshold,
        "threshold_unit": rules.type.threshold_unit,
        "sensitivity": rules.sensitivity,
        "window": rules.window,
        "recovery": rules.recovery,
        "reminder_minutes": None
        if rules.reminder_seconds is None
        else rules.reminder_seconds // 60,
        "filters": monitor.filters.as_dict(),
        "alert": None if monitor.alert_id is None else {"id": monitor.alert_id},
        "created_at": iso(monitor.created_at),
        "updated_at": iso(monitor.updated_at),
    }


# monitors -----------------------------------------------------------------------------------
async def list_monitors(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).monitoring.monitors.list, app)
    return respond([render_monitor(m) for m in found])


async def create_monitor(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    body = await json_body(request)
    created = await sync(platform(request).monitoring.monitors.create, app, body)
    return respond(render_monitor(created), status=201)


async def get_monitor(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    monitors = platform(request).monitoring.monitors
    found = await sync(monitors.get, app, request.path_params["monitor"])
    return respond(render_monitor(found))


async def update_monitor(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    body = await json_body(request)
    monitors = platform(request).monitoring.monitors
    updated = await sync(monitors.update, app, request.path_params["monitor"], body)
    return respond(render_monitor(updated))


async def destroy_monitor(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    monitors = platform(request).monitoring.monitors
    removed = await sync(monitors.destroy, app, request.path_params["monitor"])
    return respond(render_monitor(removed))


# alerts -------------------------------------------------------------------------------------
async def list_alerts(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    status = request.query_params.get("status") or None
    found = await sync(platform(request).monitoring.alerts.list_alerts, app, status)
    return respond(found)


async def get_alert(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    alerts = platform(request).monitoring.alerts
    return respond(await sync(alerts.get, app, request.path_params["alert"]))


# where alerts go ----------------------------------------------------------------------------
async def get_notifications(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    return respond(await sync(platform(request).monitoring.alerts.notifications, app))


async def update_notifications(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    body = await json_body(request)
    if not isinstance(body, dict) or "emails" not in body:
        raise Invalid('The body must be {"emails": ["oncall@example.com", ...]}')
    alerts = platform(request).monitoring.alerts
    await sync(alerts.set_emails, app, body["emails"])
    return respond(await sync(alerts.notifications, app))


async def list_deliveries(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    limit = request.query_params.get("limit", "25")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= 200:
        raise Invalid("limit must be a whole number from 1 to 200")
    alerts = platform(request).monitoring.alerts
    return respond(await sync(alerts.recent_deliveries, app, int(limit)))


async def create_webhook(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object")
    alerts = platform(request).monitoring.alerts
    created = await sync(alerts.add_webhook, app, body.get("url"), body.get("format"))
    return respond(created, status=201)


async def destroy_webhook(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    alerts = platform(request).monitoring.alerts
    await sync(alerts.remove_webhook, app, request.path_params["webhook"])
    return respond({"id": request.path_params["webhook"]})


async def run_guidance(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    plat = platform(request)
    found = await sync(
        plat.monitoring.alerts.run_guidance,
        app,
        plat.settings.base_url,
        request.path_params["dyno"],
    )
    return respond(found)


routes = [
    Route(f"{BASE}/monitors", list_monitors, methods=["GET"]),
    Route(f"{BASE}/monitors", create_monitor, methods=["POST"]),
    Route(f"{BASE}/monitors/{{monitor}}", get_monitor, methods=["GET"]),
    Route(f"{BASE}/monitors/{{monitor}}", update_monitor, methods=["PATCH"]),
    Route(f"{BASE}/monitors/{{monitor}}", destroy_monitor, methods=["DELETE"]),
    Route(f"{BASE}/alerts", list_alerts, methods=["GET"]),
    Route(f"{BASE}/alerts/{{alert}}", get_alert, methods=["GET"]),
    Route(f"{BASE}/notifications", get_notifications, methods=["GET"]),
    Route(f"{BASE}/notifications", update_notifications, methods=["PATCH"]),
    Route(f"{BASE}/deliveries", list_deliveries, methods=["GET"]),
    Route(f"{BASE}/webhooks", create_webhook, methods=["POST"]),
    Route(f"{BASE}/webhooks/{{webhook}}", destroy_webhook, methods=["DELETE"]),
    Route(f"{BASE}/dynos/{{dyno}}", run_guidance, methods=["GET"]),
]
