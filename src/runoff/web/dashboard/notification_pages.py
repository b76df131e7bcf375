"""Where an app's alerts go, in the dashboard: who gets the e-mails, the add-on's additional
addresses and webhooks (added and removed with CSRF-checked forms over the same
``AlertService`` as the API, so its checks and the plan's limit apply), and how the recent
deliveries went.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from runoff.apps.model import App
from runoff.auth.scopes import Need
from runoff.errors import Invalid, NotFound
from runoff.platform import Platform
from runoff.web.common import platform, sync
from runoff.web.dashboard import render
from runoff.web.dashboard.guard import action, app_for, form_of, page
from runoff.web.dashboard.session import Session

NOTICES = {
    "email-added": "Address added.",
    "email-removed": "Address removed.",
    "webhook-removed": "Webhook removed.",
}
RECENT_DELIVERIES = 25


def _found(plat: Platform, app: App) -> dict[str, Any]:
    alerts = plat.monitoring.alerts
    return {
        **alerts.notifications(app),
        "deliveries": alerts.recent_deliveries(app, RECENT_DELIVERIES),
        "sends_email": plat.settings.smtp_url is not None,
    }


async def _page(
    request: Request, session: Session, app: App, status: int = 200, **extra: Any
) -> Response:
    found = await sync(_found, platform(request), app)
    context = {
        "session": session,
        "app": app,
        "tab": "notifications",
        "title": f"Notifications · {app.name}",
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        **found,
        **extra,
    }
    return render.page(request, "notifications.html", context, status=status)


def _back(app: App, notice: str) -> Response:
    url = f"/dashboard/apps/{app.name}/notifications?notice={notice}"
    return RedirectResponse(url, status_code=303)


@page
async def notifications_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    return await _page(request, session, app)


@action
async def email_action(request: Request) -> Response:
    """``add`` an additional address, or ``remove`` one (the last path segment)."""
    session, app = await app_for(request, Need.WRITE)
    form = await form_of(request)
    email = form.get("email", "")
    alerts = platform(request).monitoring.alerts
    verb = request.path_params["verb"]
    if verb not in ("add", "remove"):
        raise NotFound(f"Unknown e-mail action {verb!r}")
    try:
        await sync(alerts.add_email if verb == "add" else alerts.remove_email, app, email)
    except Invalid as exc:
        return await _page(request, session, app, 422, error=exc.message, email=email)
    return _back(app, "email-added" if verb == "add" else "email-removed")


@action
async def add_webhook(request: Request) -> Response:
    """Add a webhook and show its signing secret, this once (never in a URL)."""
    session, app = await app_for(request, Need.WRITE)
    form = await form_of(request)
    alerts = platform(request).monitoring.alerts
    url, format = form.get("url", "").strip(), form.get("format", "generic")
    try:
        created = await sync(alerts.add_webhook, app, url, format)
    except Invalid as exc:
        return await _page(request, session, app, 422, hook_error=exc.message, url=url)
    return await _page(request, session, app, created=created)


@action
async def remove_webhook(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    alerts = platform(request).monitoring.alerts
    await sync(alerts.remove_webhook, app, request.path_params["webhook"])
    return _back(app, "webhook-removed")
