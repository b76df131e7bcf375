"""The One-off Dyno Metrics add-on (Platform API add-on shapes) and its data endpoints."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff import redact
from runoff.auth.scopes import Need
from runoff.clock import iso
from runoff.errors import Invalid, NotFound
from runoff.metrics import PLANS, PLOTS, SERVICE, Addon, Plan, Run, plan_named
from runoff.metrics.plans import DEFAULT_PLAN, HUMAN_NAME
from runoff.redact import Redactor
from runoff.web.common import app_for, json_body, platform, principal, respond, sync
from runoff.wholes import whole

SERVICE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, f"runoff:addon-service:{SERVICE}"))


def _plan_id(plan: Plan) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"runoff:addon-plan:{plan.full_name}"))


def render_plan(plan: Plan) -> dict[str, Any]:
    return {
        "id": _plan_id(plan),
        "name": plan.full_name,
        "human_name": plan.human_name,
        "description": f"{HUMAN_NAME} {plan.human_name}",
        "default": plan.name == DEFAULT_PLAN,
        "price": {"cents": plan.price_cents, "contract": False, "unit": "month"},
        "state": "public",
        "addon_service": {"id": SERVICE_ID, "name": SERVICE},
        # runoff addition: what the plan allows
        "limits": plan.limits(),
    }


def render_addon(addon: Addon, base_url: str) -> dict[str, Any]:
    plan = plan_named(addon.plan)
    return {
        "id": addon.id,
        "name": addon.name,
        "addon_service": {"id": SERVICE_ID, "name": SERVICE, "human_name": HUMAN_NAME},
        "plan": {"id": _plan_id(plan), "name": plan.full_name},
        "app": {"id": addon.app_id, "name": addon.app_name},
        "billing_entity": {"id": addon.app_id, "name": addon.app_name, "type": "app"},
        "billed_price": {"cents": plan.price_cents, "contract": False, "unit": "month"},
        "config_vars": [],
        "actions": [],
        "provider_id": addon.id,
        "state": "provisioned",
        "web_url": f"{base_url}/apps/{addon.app_name}/{SERVICE}",
        "created_at": iso(addon.created_at),
        "updated_at": iso(addon.updated_at),
        # runoff addition: the limits the plan enforces
        "limits": plan.limits(),
    }


def render_attachment(addon: Addon, base_url: str) -> dict[str, Any]:
    """The add-on's one attachment, to its own app (the Heroku CLI lists add-ons by them)."""
    app = {"id": addon.app_id, "name": addon.app_name}
    return {
        "id": addon.id,
        "name": SERVICE.upper().replace("-", "_"),
        "addon": {"id": addon.id, "name": addon.name, "app": app},
        "app": app,
        "namespace": None,
        "log_input_url": None,
        "web_url": f"{base_url}/apps/{addon.app_name}/{SERVICE}",
        "created_at": iso(addon.created_at),
        "updated_at": iso(addon.updated_at),
    }


def render_run(run: Run, clean: Redactor) -> dict[str, Any]:
    return {
        "name": run.name,
        "command": clean(run.command),
        "type": run.type,
        "size": run.size,
        "state": run.state.value,
        "exit_status": run.exit_status,
        "created_at": iso(run.created_at),
        "started_at": iso(run.up_at),
        "ended_at": iso(run.ended_at),
        "duration_seconds": run.duration_seconds,
    }


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _plan_in(body: Any) -> str | None:
    """The plan of a create/update body: ``"service:plan"``, ``"plan"`` or ``{"name": ...}``."""
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object")
    plan = body.get("plan")
    if isinstance(plan, dict):
        plan = plan.get("name") or plan.get("id")
    if plan is not None and not isinstance(plan, str):
        raise Invalid("plan must be a plan name such as one-off-metrics:free")
    if plan is not None:
        by_id = {_plan_id(p): p.full_name for p in PLANS}
        plan = by_id.get(plan, plan)
    return plan


# add-ons ------------------------------------------------------------------------------------
async def list_addons(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).metrics.addons.list, app)
    return respond([render_addon(a, _base_url(request)) for a in found])


async def create_addon(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    plan = _plan_in(await json_body(request))
    if plan is None:
        raise Invalid(f"plan is required, e.g. {SERVICE} or {SERVICE}:{DEFAULT_PLAN}")
    if plan.partition(":")[0] == SERVICE and ":" not in plan:
        plan = DEFAULT_PLAN
    found = await sync(platform(request).metrics.addons.provision, app, plan)
    return respond(render_addon(found, _base_url(request)), status=201)


async def get_addon(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).metrics.addons.get, app, request.path_params["addon"])
    return respond(render_addon(found, _base_url(request)))


async def update_addon(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    plan = _plan_in(await json_body(request))
    if plan is None:
        raise Invalid(f"plan is required, e.g. {SERVICE}:pro")
    addons = platform(request).metrics.addons
    found = await sync(addons.change_plan, app, request.path_params["addon"], plan)
    return respond(render_addon(found, _base_url(request)))


async def destroy_addon(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    found = await sync(platform(request).metrics.addons.destroy, app, request.path_params["addon"])
    rendered = render_addon(found, _base_url(request))
    return respond({**rendered, "state": "deprovisioned"})


async def list_attachments(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).metrics.addons.list, app)
    return respond([render_attachment(a, _base_url(request)) for a in found])


async def list_all_attachments(request: Request) -> Response:
    """Attachments of every app the caller can see (the Heroku CLI's ``addons`` asks)."""
    who = await principal(request)
    plat = platform(request)
    apps = await sync(plat.apps.list_for, who.user)
    if who.app_id is not None:
        apps = [a for a in apps if a.id == who.app_id]
    found = await sync(plat.metrics.addons.of_apps, [a.id for a in apps])
    return respond([render_attachment(a, _base_url(request)) for a in found])


async def resolve_addon(request: Request) -> Response:
    """``POST /actions/addons/resolve`` as the Heroku CLI uses it: ``{"addon", "app"}``."""
    body = await json_body(request)
    ref = body.get("addon") if isinstance(body, dict) else None
    if not isinstance(ref, str) or not ref:
        raise Invalid("addon is required: an add-on name, id or service name")
    who = await principal(request)
    plat = platform(request)
    app_ref = body.get("app")
    if isinstance(app_ref, str) and app_ref:
        app = await sync(plat.apps.for_principal, who, app_ref, Need.READ)
        found = await sync(plat.metrics.addons.get, app, ref)
    else:
        found = await sync(plat.metrics.addons.find, ref)
        try:
            await sync(plat.apps.for_principal, who, found.app_id, Need.READ)
        except NotFound:
            # the same answer as for no such add-on: never the hidden app's id or existence
            raise NotFound(f"Couldn't find that add-on: {ref}") from None
    return respond([render_addon(found, _base_url(request))])


async def get_service(request: Request) -> Response:
    if request.path_params["service"] != SERVICE:
        raise NotFound(f"Couldn't find that add-on service: {request.path_params['service']}")
    return respond({"id": SERVICE_ID, "name": SERVICE, "human_name": HUMAN_NAME, "state": "ga"})


async def list_plans(request: Request) -> Response:
    await get_service(request)
    return respond([render_plan(plan) for plan in PLANS])


# metrics data -------------------------------------------------------------------------------
async def list_runs(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    limit = whole(request.query_params.get("limit", "200"))
    if limit is None:
        raise Invalid("limit must be a whole number from 1 to 1000")
    plat = platform(request)
    found = await sync(plat.metrics.runs, app, request.query_params.get("filter"), limit)
    # commands leave runoff without config values
    clean = await sync(redact.for_runs, plat.engine, app.id, [run.dyno_id for run in found])
    return respond([render_run(run, clean) for run in found])


async def get_plot(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    plot = request.path_params["plot"]
    if plot not in PLOTS:
        raise NotFound(f"There is no plot {plot!r}; plots: {', '.join(PLOTS)}")
    params = request.query_params
    data = await sync(
        platform(request).metrics.plot, app, plot, params.get("filter"), params.get("range")
    )
    return respond(data)


routes = [
    Route("/apps/{app}/addons", list_addons, methods=["GET"]),
    Route("/apps/{app}/addons", create_addon, methods=["POST"]),
    Route("/apps/{app}/addons/{addon}", get_addon, methods=["GET"]),
    Route("/apps/{app}/addons/{addon}", update_addon, methods=["PATCH"]),
    Route("/apps/{app}/addons/{addon}", destroy_addon, methods=["DELETE"]),
    Route("/apps/{app}/addon-attachments", list_attachments, methods=["GET"]),
    Route("/addon-attachments", list_all_attachments, methods=["GET"]),
    Route("/actions/addons/resolve", resolve_addon, methods=["POST"]),
    Route("/addon-services/{service}", get_service, methods=["GET"]),
    Route("/addon-services/{service}/plans", list_plans, methods=["GET"]),
    Route(f"/apps/{{app}}/{SERVICE}/dynos", list_runs, methods=["GET"]),
    Route(f"/apps/{{app}}/{SERVICE}/{{plot}}", get_plot, methods=["GET"]),
]
