"""Add-ons: provision, list, change plan, destroy and open One-off Dyno Metrics."""

from __future__ import annotations

from runoff.cli import render
from runoff.cli.context import UsageError
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet

SERVICE = "one-off-metrics"


def _addon_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("addon", metavar="ADDON", help=f"the add-on, e.g. {SERVICE}")


def _create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", metavar="SERVICE[:PLAN]", help=f"{SERVICE} or {SERVICE}:PLAN")
    parser.add_argument("--plan", metavar="PLAN", help="plan name (default: free)")


def _upgrade_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("addon", metavar="ADDON[:PLAN]", help=f"e.g. {SERVICE}:pro")
    parser.add_argument("plan", nargs="?", metavar="PLAN", help="the new plan, e.g. pro")


def _destroy_arguments(parser: argparse.ArgumentParser) -> None:
    _addon_argument(parser)
    parser.add_argument("--confirm", metavar="APP", help="the app's name, instead of typing it")


def _open_arguments(parser: argparse.ArgumentParser) -> None:
    _addon_argument(parser)
    parser.add_argument(
        "--browser", action="store_true", help="open it in a web browser even without a display"
    )


def register(commands: CommandSet) -> None:
    commands.add("addons", list_addons, "list an app's add-ons", app=True, json=True,
                 examples=["runoff addons -a myapp"])  # fmt: skip
    commands.add(
        "addons:create",
        create_addon,
        "provision an add-on",
        arguments=_create_arguments,
        description=(
            f"Provision an add-on for the app. {SERVICE} records every detached one-off\n"
            "dyno of the app from now on; see `runoff addons:plans one-off-metrics`."
        ),
        app=True,
        json=True,
        examples=[
            f"runoff addons:create {SERVICE} -a myapp",
            f"runoff addons:create {SERVICE}:pro",
        ],
    )
    commands.add(
        "addons:upgrade",
        upgrade_addon,
        "change an add-on's plan",
        arguments=_upgrade_arguments,
        app=True,
        json=True,
        examples=[f"runoff addons:upgrade {SERVICE}:pro -a myapp"],
    )
    commands.add(
        "addons:destroy",
        destroy_addon,
        "permanently destroy an add-on and all of its data",
        arguments=_destroy_arguments,
        description=(
            "Destroy an add-on with every run, series, monitor and alert it recorded.\n"
            "This cannot be undone. Without --confirm the app's name is asked for on the terminal."
        ),
        app=True,
        examples=[f"runoff addons:destroy {SERVICE} -a myapp --confirm myapp"],
    )
    commands.add(
        "addons:open",
        open_addon,
        "print (and, with a display, open) an add-on's dashboard URL",
        arguments=_open_arguments,
        app=True,
        examples=[f"runoff addons:open {SERVICE} -a myapp"],
    )
    commands.add(
        "addons:plans",
        list_plans,
        "list a service's plans and their limits",
        arguments=lambda parser: parser.add_argument(
            "service", nargs="?", default=SERVICE, metavar="SERVICE", help=f"default: {SERVICE}"
        ),
        json=True,
        examples=[f"runoff addons:plans {SERVICE}"],
    )


def _plan_name(service: str, plan: str | None) -> str:
    name, _, inline = service.partition(":")
    if inline and plan and inline != plan:
        raise UsageError(f"two plans given: {inline} and {plan}")
    chosen = plan or inline
    return f"{name}:{chosen}" if chosen else name


def list_addons(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    found = ctx.client().get("apps", app, "addons")
    if args.json:
        ctx.json(found)
    elif not found:
        ctx.out(f"No add-ons for app {app}.")
    else:
        rows = [["Add-on", "Plan", "State"]]
        rows += [[a["name"], a["plan"]["name"], a["state"]] for a in found]
        ctx.out(*render.table(rows))
    return 0


def create_addon(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    plan = _plan_name(args.service, args.plan)
    addon = ctx.client().post("apps", app, "addons", payload={"plan": plan})
    if args.json:
        ctx.json(addon)
    else:
        short = addon["plan"]["name"].partition(":")[2]
        ctx.out(
            f"Creating {addon['addon_service']['name']} on {app}... {short}",
            f"Created {addon['name']}",
            "Your add-on has been provisioned successfully",
        )
    return 0


def upgrade_addon(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    name, _, inline = args.addon.partition(":")
    plan = _plan_name(args.addon, args.plan)
    if not (inline or args.plan):
        raise UsageError(f"no plan given: runoff addons:upgrade {name}:PLAN")
    addon = ctx.client().patch("apps", app, "addons", name, payload={"plan": plan})
    if args.json:
        ctx.json(addon)
    else:
        ctx.out(
            f"Changing {addon['name']} on {app} to {addon['plan']['name']}... done",
            f"Your plan has been updated to: {addon['plan']['name']}",
        )
    return 0


def _ask_for_app(ctx: Context, app: str, addon: str) -> str:
    if not ctx.system.stdin.isatty():
        raise RunoffError(f"refusing to destroy {addon} without confirmation: add --confirm {app}")
    ctx.system.stderr.write(
        f" !    WARNING: Destructive Action\n"
        f" !    This command will destroy {addon} on {app} with all of its data.\n"
        f" !    To proceed, type {app} or re-run this command with --confirm {app}\n\n> "
    )
    ctx.system.stderr.flush()
    return ctx.system.stdin.readline().strip()


def destroy_addon(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    confirmation = args.confirm if args.confirm is not None else _ask_for_app(ctx, app, args.addon)
    if confirmation != app:
        raise RunoffError(f"confirmation {confirmation!r} did not match {app}: nothing destroyed")
    addon = ctx.client().delete("apps", app, "addons", args.addon)
    ctx.out(f"Destroying {addon['name']} on {app}... done")
    return 0


def open_addon(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    addon = ctx.client().get("apps", app, "addons", args.addon)
    url = addon["web_url"]
    ctx.out(f"Opening {addon['addon_service']['name']} for {app}... {url}")
    if args.browser or any(ctx.env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")):
        import webbrowser  # only when a browser may be opened

        webbrowser.open(url)
    return 0


def list_plans(args: argparse.Namespace, ctx: Context) -> int:
    plans = ctx.client().get("addon-services", args.service, "plans")
    if args.json:
        ctx.json(plans)
        return 0
    rows = [["Plan", "Retention", "Monitors", "Extra e-mails"]]
    for plan in plans:
        limits = plan.get("limits", {})
        days = limits.get("retention_seconds", 0) / 86400
        rows.append(
            [plan["name"], f"{days:g} day(s)", str(limits.get("monitors")),
             str(limits.get("extra_emails"))]
        )  # fmt: skip
    ctx.out(*render.table(rows))
    return 0
