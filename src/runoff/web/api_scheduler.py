"""Scheduler jobs: list, create, info, update, delete, run now, run history."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff import redact
from runoff.apps.model import App
from runoff.auth.model import Principal
from runoff.auth.scopes import Need, allows
from runoff.platform import Platform
from runoff.redact import Redactor
from runoff.scheduler.model import Job
from runoff.web import render
from runoff.web.common import app_for, json_body, platform, respond, sync


def _render(plat: Platform, app: App, job: Job, clean: Redactor | None = None) -> dict[str, Any]:
    """The job, its command redacted by ``clean`` when given."""
    runs = plat.scheduler.runs(job, limit=1)
    next_run = plat.scheduler.next_run_at(job, plat.clock.now_us())
    shown = job if clean is None else dataclasses.replace(job, command=clean(job.command))
    return render.scheduler_job(shown, app.name, next_run, runs[0] if runs else None)


def _render_all(plat: Platform, who: Principal, app: App, jobs: list[Job]) -> list[dict[str, Any]]:
    """The jobs; their commands redacted for a principal that may not read config vars (as
    dyno commands are: a command typed with a secret in it must not show it)."""
    clean = None
    if not allows(list(who.scopes), Need.READ_PROTECTED):
        clean = redact.for_runs(plat.engine, app.id, ())  # the current release's config
    return [_render(plat, app, job, clean) for job in jobs]


async def list_jobs(request: Request) -> Response:
    who, app = await app_for(request, Need.READ)
    plat = platform(request)
    jobs = await sync(plat.scheduler.list, app)
    return respond(await sync(_render_all, plat, who, app, jobs))


async def create_job(request: Request) -> Response:
    # A job runs commands with the app's config, as creating a dyno does.
    _, app = await app_for(request, Need.WRITE_PROTECTED)
    plat = platform(request)
    job = await sync(plat.scheduler.create, app, await json_body(request))
    return respond(await sync(_render, plat, app, job), status=201)


async def get_job(request: Request) -> Response:
    who, app = await app_for(request, Need.READ)
    plat = platform(request)
    job = await sync(plat.scheduler.get, app, request.path_params["job"])
    return respond((await sync(_render_all, plat, who, app, [job]))[0])


async def update_job(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE_PROTECTED)
    plat = platform(request)
    body = await json_body(request)
    job = await sync(plat.scheduler.update, app, request.path_params["job"], body)
    return respond(await sync(_render, plat, app, job))


async def delete_job(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE_PROTECTED)
    plat = platform(request)
    job = await sync(plat.scheduler.delete, app, request.path_params["job"])
    return respond(render.scheduler_job(job, app.name, job.checked_until, None))


async def run_job(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE_PROTECTED)
    plat = platform(request)
    job = await sync(plat.scheduler.get, app, request.path_params["job"])
    run = await plat.scheduler.run(job)
    return respond(render.scheduler_run(run), status=201)


async def list_runs(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    plat = platform(request)
    job = await sync(plat.scheduler.get, app, request.path_params["job"])
    runs = await sync(plat.scheduler.runs, job)
    return respond([render.scheduler_run(run) for run in runs])


routes = [
    Route("/apps/{app}/scheduler/jobs", list_jobs, methods=["GET"]),
    Route("/apps/{app}/scheduler/jobs", create_job, methods=["POST"]),
    Route("/apps/{app}/scheduler/jobs/{job}", get_job, methods=["GET"]),
    Route("/apps/{app}/scheduler/jobs/{job}", update_job, methods=["PATCH"]),
    Route("/apps/{app}/scheduler/jobs/{job}", delete_job, methods=["DELETE"]),
    Route("/apps/{app}/scheduler/jobs/{job}/actions/run", run_job, methods=["POST"]),
    Route("/apps/{app}/scheduler/jobs/{job}/runs", list_runs, methods=["GET"]),
]
