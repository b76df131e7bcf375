"""The web dashboard: One-off Dyno Metrics plots, monitors, alerts, dynos and logs.

Served by ``runoff server`` beside the API, at the same origin: the add-on's ``web_url``
(``/apps/{app}/one-off-metrics``) is its plots page; everything else lives under
``/dashboard/`` (pages), ``/dashboard/data/`` (JSON and event streams for the pages'
scripts) and ``/dashboard/static/`` (CSS, scripts, and the chart library copied from npm by
``scripts/setup``). Sign-in is with an API token (``session``); every app is authorized as the
API authorizes it (``guard``). See docs/dashboard.md.
"""

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from runoff.metrics import SERVICE
from runoff.web.dashboard import addon_pages, data, notification_pages, pages
from runoff.web.dashboard.render import STATIC_DIR, STATIC_PATH


async def _home(_request: object) -> Response:
    return RedirectResponse("/dashboard", status_code=303)


APP = "/dashboard/apps/{app}"
DATA = "/dashboard/data/apps/{app}"
NOTES = f"{APP}/notifications"

routes: list[BaseRoute] = [
    Route("/", _home, methods=["GET"]),
    Route("/dashboard", pages.apps_page, methods=["GET"]),
    Route("/dashboard/login", pages.login_page, methods=["GET"]),
    Route("/dashboard/login", pages.login, methods=["POST"]),
    Route("/dashboard/logout", pages.logout, methods=["POST"]),
    Route(f"/apps/{{app}}/{SERVICE}", addon_pages.metrics_page, methods=["GET"]),
    Route(APP, pages.overview_page, methods=["GET"]),
    Route(f"{APP}/dynos/{{dyno}}", pages.dyno_page, methods=["GET"]),
    Route(f"{APP}/memory", pages.memory_page, methods=["GET"]),
    Route(f"{APP}/monitors", addon_pages.monitors_page, methods=["GET"]),
    Route(f"{APP}/monitors", addon_pages.create_monitor, methods=["POST"]),
    Route(f"{APP}/monitors/new", addon_pages.new_monitor_page, methods=["GET"]),
    Route(f"{APP}/monitors/{{monitor}}/edit", addon_pages.edit_monitor_page, methods=["GET"]),
    Route(f"{APP}/monitors/{{monitor}}", addon_pages.update_monitor, methods=["POST"]),
    Route(f"{APP}/monitors/{{monitor}}/{{verb}}", addon_pages.monitor_action, methods=["POST"]),
    Route(f"{APP}/alerts", addon_pages.alerts_page, methods=["GET"]),
    Route(f"{APP}/notifications", notification_pages.notifications_page, methods=["GET"]),
    Route(
        f"{APP}/notifications/emails/{{verb}}", notification_pages.email_action, methods=["POST"]
    ),
    Route(f"{APP}/notifications/webhooks", notification_pages.add_webhook, methods=["POST"]),
    Route(
        f"{APP}/notifications/webhooks/{{webhook}}/remove",
        notification_pages.remove_webhook,
        methods=["POST"],
    ),
    Route(f"{DATA}/{SERVICE}/runs", data.runs, methods=["GET"]),
    Route(f"{DATA}/{SERVICE}/{{plot}}", data.plot, methods=["GET"]),
    Route(f"{DATA}/dynos/{{dyno}}", data.dyno, methods=["GET"]),
    Route(f"{DATA}/dynos/{{dyno}}/logs", data.logs, methods=["GET"]),
    Route(f"{DATA}/memory", data.memory, methods=["GET"]),
    Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"),
]
