"""What each API operation reads and answers, declared once for ``/openapi.json``.

``OPERATIONS`` maps every API route (method, path as in the route table) to an ``Operation``;
``openapi.document`` joins the two and fails when either has an entry the other lacks, so the
document cannot drift from the routes. Schemas are JSON Schema (OpenAPI 3.1): request schemas
say what a well-formed request looks like (the handlers still check everything themselves),
response schemas what every answer of that status holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
NSTR: Schema = {"type": ["string", "null"]}
INT: Schema = {"type": "integer"}
NINT: Schema = {"type": ["integer", "null"]}
BOOL: Schema = {"type": "boolean"}
ANY_OBJECT: Schema = {"type": "object"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(*required: str, **properties: Schema) -> Schema:
    """An object with these properties (others allowed), ``required`` always present."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


NAMED = obj("id", "name", id=STR, name=STR)
USER = obj("id", "email", id=STR, email=STR)

COMPONENTS: dict[str, Schema] = {
    "Error": obj("id", "message", id=STR, message=STR),
    "User": USER,
    "Account": obj("id", "email", "runoff_admin", id=STR, email=STR, runoff_admin=BOOL),
    "NewUser": obj("id", "email", "access_token", id=STR, email=STR, access_token=obj("token")),
    "Authorization": obj(
        "id",
        "scope",
        "created_at",
        id=STR,
        description=STR,
        scope=array(STR),
        app=nullable(obj("id", id=STR)),
        access_token=nullable(obj("id", "token", id=STR, token=STR, expires_in=NINT)),
        expires_at=NSTR,
    ),
    "App": obj(
        "id",
        "name",
        "owner",
        "created_at",
        id=STR,
        name=STR,
        owner=obj("id", "email", id=STR, email=STR),
        released_at=NSTR,
        slug_size=NINT,
        team=nullable(obj("name", name=STR)),
    ),
    "Collaborator": obj("app", "user", "role", app=NAMED, user=USER, role=STR),
    "ConfigVars": {"type": "object", "additionalProperties": STR},
    "Slug": obj("id", "size", "process_types", id=STR, size=INT, process_types=ANY_OBJECT),
    "Release": obj(
        "id",
        "version",
        "status",
        "current",
        id=STR,
        version=INT,
        description=STR,
        status=STR,
        current=BOOL,
        app=NAMED,
        slug=nullable(obj("id", id=STR)),
    ),
    "Dyno": obj(
        "id",
        "name",
        "type",
        "command",
        "state",
        "app",
        id=STR,
        name=STR,
        type=STR,
        command=STR,
        size=STR,
        state=STR,
        attach_url=NSTR,
        app=NAMED,
        one_off=BOOL,
        time_to_live=INT,
        exit_status=NINT,
        outcome=NSTR,
        stop_reason=NSTR,
    ),
    "DynoMetrics": obj("dyno", "samples", dyno=ANY_OBJECT, samples=array(ANY_OBJECT)),
    "LogSession": obj("id", "logplex_url", id=STR, logplex_url=STR),
    "Formation": obj(
        "id", "type", "quantity", "size", id=STR, type=STR, quantity=INT, size=STR, app=NAMED
    ),
    "SchedulerRun": obj("id", "status", "manual", id=STR, status=STR, manual=BOOL),
    "SchedulerJob": obj(
        "id",
        "number",
        "kind",
        "schedule",
        id=STR,
        number=INT,
        kind=STR,
        command=NSTR,
        schedule=STR,
        size=STR,
        overlap=STR,
        next_run_at=NSTR,
        last_run=nullable(ref("SchedulerRun")),
    ),
    "Drain": obj("id", "url", "token", id=STR, url=STR, token=STR, app=NAMED),
    "Addon": obj(
        "id",
        "name",
        "plan",
        "app",
        "state",
        id=STR,
        name=STR,
        plan=NAMED,
        app=NAMED,
        state=STR,
        limits=ANY_OBJECT,
    ),
    "Attachment": obj("id", "name", "addon", "app", id=STR, name=STR, addon=ANY_OBJECT, app=NAMED),
    "AddonService": obj("id", "name", id=STR, name=STR, human_name=STR, state=STR),
    "Plan": obj("id", "name", "price", id=STR, name=STR, default=BOOL, price=ANY_OBJECT),
    "Run": obj("name", "command", "state", name=STR, command=STR, state=STR, exit_status=NINT),
    "Monitor": obj(
        "id",
        "name",
        "type",
        "enabled",
        "state",
        id=STR,
        name=STR,
        type=STR,
        enabled=BOOL,
        state=STR,
        filters=ANY_OBJECT,
    ),
    "Team": obj("id", "name", "role", id=STR, name=STR, role=NSTR),
    "Member": obj("user", "email", "role", user=USER, email=STR, role=STR),
}

# request bodies
_NEW_DYNO = obj(
    "command",
    command=STR,
    attach=BOOL,
    env={"type": "object", "additionalProperties": STR},
    size=STR,
    type=STR,
    time_to_live=INT,
    force_no_tty=BOOL,
)
_JOB = obj(
    command=STR,
    schedule=STR,
    kind={"enum": ["command", "restart"]},
    size=STR,
    overlap={"enum": ["allow", "forbid", "replace"]},
)
_MONITOR = obj(
    type=STR,
    name=STR,
    enabled=BOOL,
    threshold=INT,
    sensitivity=INT,
    window=INT,
    recovery=INT,
    reminder_minutes=INT,
    filters=ANY_OBJECT,
)
_FORMATION_UPDATE = obj(type=STR, quantity={"type": ["integer", "string"]}, size=STR)
_PLAN = obj("plan", plan=STR)


@dataclass(frozen=True)
class Link:
    """An OpenAPI link from an answer to the operation ``method path``: its parameters taken
    from the answer or the request (``$response.body#/name``, ``$request.path.app``)."""

    method: str
    path: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class Operation:
    """One operation: ``returns`` is the body of the ``status`` answer (None: no schema);
    ``links`` name operations that take what that answer created."""

    summary: str
    tag: str
    status: int = 200
    returns: Schema | None = None
    body: Schema | None = None
    body_type: str = "application/json"
    query: dict[str, Schema] = field(default_factory=dict)
    headers: dict[str, Schema] = field(default_factory=dict)
    public: bool = False  # no token: the route needs none
    media_type: str = "application/json"
    links: tuple[Link, ...] = ()
    paged: bool = False  # honours Range: 206 with Next-Range while more pages follow


def _list(name: str) -> Schema:
    return array(ref(name))


def _to(path: str, field: str, name: str, *methods: str) -> tuple[Link, ...]:
    """Links to ``methods`` of ``path`` whose last parameter ``name`` is the answer's
    ``field`` (and whose ``{app}``, if any, is the request's)."""
    parameters = {name: f"$response.body#/{field}"}
    if "{app}" in path and name != "app":
        parameters["app"] = "$request.path.app"
    return tuple(Link(method, path, parameters) for method in methods)


EMPTY = {"type": "object", "maxProperties": 0}
APP = "/apps/{app}"
METRICS = "/apps/{app}/one-off-metrics"

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/healthz"): Operation("Health check", "platform", public=True, returns=ANY_OBJECT),
    ("GET", "/openapi.json"): Operation(
        "This document (OpenAPI 3.1)", "platform", public=True, returns=ANY_OBJECT
    ),
    # account
    ("GET", "/account"): Operation("The token's user", "account", returns=ref("Account")),
    ("POST", "/oauth/authorizations"): Operation(
        "Create a token",
        "account",
        201,
        ref("Authorization"),
        obj(description=STR, scope=array(STR), expires_in=INT, app=STR),
        links=_to("/oauth/authorizations/{id}", "id", "id", "GET", "DELETE"),
    ),
    ("GET", "/oauth/authorizations"): Operation(
        "Your tokens", "account", returns=_list("Authorization")
    ),
    ("GET", "/oauth/authorizations/{id}"): Operation(
        "One token", "account", returns=ref("Authorization")
    ),
    ("DELETE", "/oauth/authorizations/{id}"): Operation(
        "Revoke a token", "account", returns=ref("Authorization")
    ),
    ("POST", "/users"): Operation(
        "Create a user (admin)", "account", 201, ref("NewUser"), obj("email", email=STR)
    ),
    # apps
    ("GET", "/apps"): Operation("Your apps", "apps", returns=_list("App")),
    ("POST", "/apps"): Operation(
        "Create an app",
        "apps",
        201,
        ref("App"),
        obj(name=STR),
        links=_to(APP, "name", "app", "GET", "DELETE")
        + _to(f"{APP}/config-vars", "name", "app", "PATCH")
        + _to(f"{APP}/dynos", "name", "app", "POST")
        + _to(f"{APP}/addons", "name", "app", "POST"),
    ),
    ("GET", APP): Operation("One app", "apps", returns=ref("App")),
    ("DELETE", APP): Operation("Delete an app (owner)", "apps", returns=ref("App")),
    ("GET", f"{APP}/collaborators"): Operation(
        "Collaborators", "apps", returns=_list("Collaborator")
    ),
    ("POST", f"{APP}/collaborators"): Operation(
        "Add a collaborator", "apps", 201, ref("Collaborator"), obj("user", user=STR)
    ),
    ("DELETE", f"{APP}/collaborators/{{user}}"): Operation(
        "Remove a collaborator", "apps", returns=ANY_OBJECT
    ),
    ("GET", f"{APP}/config-vars"): Operation("Config vars", "config", returns=ref("ConfigVars")),
    ("PATCH", f"{APP}/config-vars"): Operation(
        "Set or unset config vars (null unsets)",
        "config",
        returns=ref("ConfigVars"),
        body={"type": "object", "additionalProperties": NSTR},
    ),
    ("GET", f"{APP}/releases/{{release}}/config-vars"): Operation(
        "A release's config vars", "config", returns=ref("ConfigVars")
    ),
    ("POST", f"{APP}/slugs"): Operation(
        "Upload a slug (the body is the gzipped tar)",
        "releases",
        201,
        ref("Slug"),
        {"type": "string", "format": "binary"},
        body_type="application/octet-stream",
    ),
    ("GET", f"{APP}/slugs/{{slug}}"): Operation("One slug", "releases", returns=ref("Slug")),
    ("GET", f"{APP}/releases"): Operation(
        "Releases", "releases", returns=_list("Release"), headers={"Range": STR}
    ),
    ("POST", f"{APP}/releases"): Operation(
        "Release a slug", "releases", 201, ref("Release"), obj("slug", slug=STR, description=STR)
    ),
    ("GET", f"{APP}/releases/{{release}}"): Operation(
        "One release", "releases", returns=ref("Release")
    ),
    # dynos
    ("POST", f"{APP}/dynos"): Operation(
        "Run a one-off dyno",
        "dynos",
        201,
        ref("Dyno"),
        _NEW_DYNO,
        links=_to(f"{APP}/dynos/{{dyno}}", "name", "dyno", "GET", "DELETE")
        + _to(f"{APP}/dynos/{{dyno}}/actions/stop", "name", "dyno", "POST")
        + _to(f"{METRICS}/dynos/{{dyno}}", "name", "dyno", "GET"),
    ),
    ("GET", f"{APP}/dynos"): Operation(
        "Dynos", "dynos", returns=_list("Dyno"), headers={"Range": STR}, paged=True
    ),
    ("DELETE", f"{APP}/dynos"): Operation("Restart the formation's dynos", "dynos", 202, EMPTY),
    ("GET", f"{APP}/dynos/{{dyno}}"): Operation("One dyno", "dynos", returns=ref("Dyno")),
    ("DELETE", f"{APP}/dynos/{{dyno}}"): Operation("Restart a dyno", "dynos", 202, EMPTY),
    ("POST", f"{APP}/dynos/{{dyno}}/actions/stop"): Operation(
        "Stop a dyno", "dynos", 202, ref("Dyno")
    ),
    ("GET", f"{APP}/dynos/{{dyno}}/metrics"): Operation(
        "A dyno's runtime samples", "dynos", returns=ref("DynoMetrics"), query={"since": STR}
    ),
    # logs
    ("POST", f"{APP}/log-sessions"): Operation(
        "Open a log session",
        "logs",
        201,
        ref("LogSession"),
        obj(
            dyno=STR,
            dyno_name=STR,
            type=STR,
            source=STR,
            lines=INT,
            tail=BOOL,
            format=STR,
        ),
    ),
    ("GET", "/log-streams/{id}/{secret}"): Operation(
        "A log session's lines (Server-Sent Events)",
        "logs",
        public=True,
        returns=STR,
        headers={"Last-Event-ID": STR},
        media_type="text/event-stream",
    ),
    ("GET", f"{APP}/log-drains"): Operation("Log drains", "logs", returns=_list("Drain")),
    ("POST", f"{APP}/log-drains"): Operation(
        "Add a log drain",
        "logs",
        201,
        ref("Drain"),
        obj("url", url=STR),
        links=_to(f"{APP}/log-drains/{{drain}}", "id", "drain", "GET", "DELETE"),
    ),
    ("GET", f"{APP}/log-drains/{{drain}}"): Operation(
        "One log drain (by id, token or URL)", "logs", returns=ref("Drain")
    ),
    ("DELETE", f"{APP}/log-drains/{{drain}}"): Operation(
        "Remove a log drain", "logs", returns=ref("Drain")
    ),
    # formation
    ("GET", f"{APP}/formation"): Operation("Formation", "formation", returns=_list("Formation")),
    ("PATCH", f"{APP}/formation"): Operation(
        "Scale several process types",
        "formation",
        returns=_list("Formation"),
        body=obj("updates", updates=array(_FORMATION_UPDATE)),
    ),
    ("GET", f"{APP}/formation/{{type}}"): Operation(
        "One process type", "formation", returns=ref("Formation")
    ),
    ("PATCH", f"{APP}/formation/{{type}}"): Operation(
        "Scale one process type", "formation", returns=ref("Formation"), body=_FORMATION_UPDATE
    ),
    ("DELETE", f"{APP}/formations/{{type}}"): Operation(
        "Restart a process type's dynos", "formation", 202, EMPTY
    ),
    ("POST", f"{APP}/formations/{{type}}/actions/stop"): Operation(
        "Stop a process type's dynos", "formation", 202, EMPTY
    ),
    # scheduler
    ("GET", f"{APP}/scheduler/jobs"): Operation(
        "Scheduler jobs", "scheduler", returns=_list("SchedulerJob")
    ),
    ("POST", f"{APP}/scheduler/jobs"): Operation(
        "Create a job",
        "scheduler",
        201,
        ref("SchedulerJob"),
        obj("schedule", **_JOB["properties"]),
        links=_to(f"{APP}/scheduler/jobs/{{job}}", "id", "job", "GET", "PATCH", "DELETE")
        + _to(f"{APP}/scheduler/jobs/{{job}}/actions/run", "id", "job", "POST")
        + _to(f"{APP}/scheduler/jobs/{{job}}/runs", "id", "job", "GET"),
    ),
    ("GET", f"{APP}/scheduler/jobs/{{job}}"): Operation(
        "One job", "scheduler", returns=ref("SchedulerJob")
    ),
    ("PATCH", f"{APP}/scheduler/jobs/{{job}}"): Operation(
        "Change a job", "scheduler", returns=ref("SchedulerJob"), body=_JOB
    ),
    ("DELETE", f"{APP}/scheduler/jobs/{{job}}"): Operation(
        "Delete a job", "scheduler", returns=ref("SchedulerJob")
    ),
    ("POST", f"{APP}/scheduler/jobs/{{job}}/actions/run"): Operation(
        "Run a job now", "scheduler", 201, ref("SchedulerRun")
    ),
    ("GET", f"{APP}/scheduler/jobs/{{job}}/runs"): Operation(
        "A job's runs", "scheduler", returns=_list("SchedulerRun")
    ),
    # One-off Dyno Metrics add-on
    ("GET", f"{APP}/addons"): Operation("Add-ons", "addons", returns=_list("Addon")),
    ("POST", f"{APP}/addons"): Operation(
        "Provision",
        "addons",
        201,
        ref("Addon"),
        _PLAN,
        links=_to(f"{APP}/addons/{{addon}}", "id", "addon", "GET", "PATCH", "DELETE")
        + _to(f"{METRICS}/monitors", "app/name", "app", "POST")
        + _to(f"{METRICS}/webhooks", "app/name", "app", "POST"),
    ),
    ("GET", f"{APP}/addons/{{addon}}"): Operation("One add-on", "addons", returns=ref("Addon")),
    ("PATCH", f"{APP}/addons/{{addon}}"): Operation(
        "Change plan", "addons", returns=ref("Addon"), body=_PLAN
    ),
    ("DELETE", f"{APP}/addons/{{addon}}"): Operation("Deprovision", "addons", returns=ref("Addon")),
    ("GET", f"{APP}/addon-attachments"): Operation(
        "The app's add-on attachments", "addons", returns=_list("Attachment")
    ),
    ("GET", "/addon-attachments"): Operation(
        "Attachments of your apps", "addons", returns=_list("Attachment")
    ),
    ("POST", "/actions/addons/resolve"): Operation(
        "Resolve an add-on reference",
        "addons",
        returns=_list("Addon"),
        body=obj("addon", addon=STR, app=STR),
    ),
    ("GET", "/addon-services/{service}"): Operation(
        "The add-on service", "addons", returns=ref("AddonService")
    ),
    ("GET", "/addon-services/{service}/plans"): Operation(
        "Its plans", "addons", returns=_list("Plan")
    ),
    ("GET", f"{METRICS}/dynos"): Operation(
        "Runs (filter language)",
        "metrics",
        returns=_list("Run"),
        query={"filter": STR, "limit": STR},
    ),
    ("GET", f"{METRICS}/{{plot}}"): Operation(
        "A plot's data", "metrics", returns=ANY_OBJECT, query={"filter": STR, "range": STR}
    ),
    ("GET", f"{METRICS}/monitors"): Operation("Monitors", "monitors", returns=_list("Monitor")),
    ("POST", f"{METRICS}/monitors"): Operation(
        "Create a monitor",
        "monitors",
        201,
        ref("Monitor"),
        obj("type", **_MONITOR["properties"]),
        links=_to(f"{METRICS}/monitors/{{monitor}}", "id", "monitor", "GET", "PATCH", "DELETE"),
    ),
    ("GET", f"{METRICS}/monitors/{{monitor}}"): Operation(
        "One monitor", "monitors", returns=ref("Monitor")
    ),
    ("PATCH", f"{METRICS}/monitors/{{monitor}}"): Operation(
        "Change a monitor", "monitors", returns=ref("Monitor"), body=_MONITOR
    ),
    ("DELETE", f"{METRICS}/monitors/{{monitor}}"): Operation(
        "Delete a monitor", "monitors", returns=ref("Monitor")
    ),
    ("GET", f"{METRICS}/alerts"): Operation(
        "Alerts", "monitors", returns=array(ANY_OBJECT), query={"status": STR}
    ),
    ("GET", f"{METRICS}/alerts/{{alert}}"): Operation("One alert", "monitors", returns=ANY_OBJECT),
    ("GET", f"{METRICS}/notifications"): Operation(
        "Where alerts go", "monitors", returns=ANY_OBJECT
    ),
    ("PATCH", f"{METRICS}/notifications"): Operation(
        "Set alert e-mails",
        "monitors",
        returns=ANY_OBJECT,
        body=obj("emails", emails=array(STR)),
    ),
    ("GET", f"{METRICS}/deliveries"): Operation(
        "Recent alert deliveries", "monitors", returns=array(ANY_OBJECT), query={"limit": STR}
    ),
    ("POST", f"{METRICS}/webhooks"): Operation(
        "Add an alert webhook",
        "monitors",
        201,
        ANY_OBJECT,
        obj("url", url=STR, format=STR),
        links=_to(f"{METRICS}/webhooks/{{webhook}}", "id", "webhook", "DELETE"),
    ),
    ("DELETE", f"{METRICS}/webhooks/{{webhook}}"): Operation(
        "Remove an alert webhook", "monitors", returns=obj("id", id=STR)
    ),
    ("GET", f"{METRICS}/dynos/{{dyno}}"): Operation(
        "Guidance for one run", "monitors", returns=ANY_OBJECT
    ),
    # teams
    ("GET", "/teams"): Operation("Your teams", "teams", returns=_list("Team")),
    ("POST", "/teams"): Operation(
        "Create a team",
        "teams",
        201,
        ref("Team"),
        obj("name", name=STR),
        links=_to("/teams/{team}", "name", "team", "GET", "DELETE")
        + _to("/teams/{team}/members", "name", "team", "GET", "PUT")
        + _to("/teams/{team}/apps", "name", "team", "GET"),
    ),
    ("POST", "/teams/apps"): Operation(
        "Create a team app", "teams", 201, ref("App"), obj("team", team=STR, name=STR)
    ),
    ("GET", "/teams/{team}"): Operation("One team", "teams", returns=ref("Team")),
    ("DELETE", "/teams/{team}"): Operation("Delete a team", "teams", returns=ref("Team")),
    ("GET", "/teams/{team}/members"): Operation("Members", "teams", returns=_list("Member")),
    ("PUT", "/teams/{team}/members"): Operation(
        "Add a member or change their role",
        "teams",
        returns=ref("Member"),
        body=obj("email", email=STR, role={"enum": ["admin", "member"]}),
    ),
    ("DELETE", "/teams/{team}/members/{member}"): Operation(
        "Remove a member", "teams", returns=ANY_OBJECT
    ),
    ("GET", "/teams/{team}/apps"): Operation(
        "A team's apps", "teams", returns=array(obj("name", name=STR))
    ),
}
