"""Monitors and alerts of the One-off Dyno Metrics add-on: list, create, update, destroy
monitors; list and show alerts; set where alerts go (additional e-mails, webhooks)."""

from __future__ import annotations

from runoff.cli import render
from runoff.cli.client import path
from runoff.cli.options import whole_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet

SERVICE = "one-off-metrics"
TYPES = (
    "command-failure",
    "command-timeout",
    "command-execution-time",
    "command-concurrency",
    "total-concurrency",
)
_FILTER_HELP = 'exact in double quotes ("scheduler"), else partial (sched); "" clears'


def register(commands: CommandSet) -> None:
    commands.add(
        "monitors",
        list_monitors,
        "list an app's monitors",
        app=True,
        json=True,
        examples=["runoff monitors -a myapp"],
    )
    commands.add(
        "monitors:create",
        create_monitor,
        "create a monitor",
        arguments=_create_arguments,
        description=(
            "Create a monitor of one-off runs. Types: " + ", ".join(TYPES) + ".\n"
            "command-execution-time takes --threshold in seconds; the concurrency types take\n"
            "--threshold in runs. An alert opens when --sensitivity of the last --window times\n"
            "meet the condition, and closes after --recovery times that do not."
        ),
        app=True,
        json=True,
        examples=[
            "runoff monitors:create command-failure --dyno-type '\"scheduler\"' -a myapp",
            "runoff monitors:create command-execution-time --threshold 600 --command .py",
            "runoff monitors:create total-concurrency --threshold 10 --sensitivity 3",
        ],
    )
    commands.add(
        "monitors:update",
        update_monitor,
        "change, enable or disable a monitor",
        arguments=_update_arguments,
        app=True,
        json=True,
        examples=[
            "runoff monitors:update MONITOR --disable -a myapp",
            "runoff monitors:update MONITOR --sensitivity 3 --window 5",
        ],
    )
    commands.add(
        "monitors:destroy",
        destroy_monitor,
        "delete a monitor with its alerts",
        arguments=lambda parser: parser.add_argument(
            "monitor", metavar="MONITOR", help="id or name"
        ),
        app=True,
        examples=["runoff monitors:destroy MONITOR -a myapp"],
    )
    commands.add(
        "alerts",
        alerts,
        "list an app's alerts, or show one",
        arguments=_alerts_arguments,
        app=True,
        json=True,
        examples=["runoff alerts --open -a myapp", "runoff alerts 3 -a myapp"],
    )
    commands.add(
        "alerts:emails",
        alert_emails,
        "show or set additional addresses for alert e-mails",
        arguments=_emails_arguments,
        description=(
            "Alert e-mails go to the app's owner and collaborators (a team app's admins), and\n"
            "to these addresses; the add-on's plan limits how many."
        ),
        app=True,
        json=True,
        examples=["runoff alerts:emails oncall@example.com -a myapp"],
    )
    commands.add(
        "alerts:deliveries",
        list_deliveries,
        "how the newest alert e-mails and webhook calls went",
        arguments=lambda parser: parser.add_argument(
            "-n", "--num", type=whole_number(1), default=25, metavar="N", help="at most N (200)"
        ),
        app=True,
        json=True,
        examples=["runoff alerts:deliveries -a myapp"],
    )
    commands.add(
        "alerts:webhooks:add",
        add_webhook,
        "send alerts to a URL as signed JSON",
        arguments=_webhook_arguments,
        app=True,
        json=True,
        examples=["runoff alerts:webhooks:add https://hooks.example.com/x --format slack"],
    )
    commands.add(
        "alerts:webhooks:remove",
        remove_webhook,
        "stop sending alerts to a webhook",
        arguments=lambda parser: parser.add_argument("webhook", metavar="ID"),
        app=True,
        examples=["runoff alerts:webhooks:remove ID -a myapp"],
    )


def _settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="a label (default: the type and filters)")
    parser.add_argument("--threshold", type=whole_number(1), help="seconds, or runs at once")
    parser.add_argument("--sensitivity", type=whole_number(1), help="times before opening")
    parser.add_argument("--window", type=whole_number(1), help="out of the last N times")
    parser.add_argument("--recovery", type=whole_number(1), help="times before closing")
    parser.add_argument("--reminder", type=whole_number(1), metavar="MINUTES")
    parser.add_argument("--command", dest="filter_command", metavar="FILTER", help=_FILTER_HELP)
    parser.add_argument("--dyno-type", dest="filter_type", metavar="FILTER", help=_FILTER_HELP)
    parser.add_argument("--size", dest="filter_size", metavar="FILTER", help=_FILTER_HELP)


def _create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("type", choices=TYPES, metavar="TYPE", help=", ".join(TYPES))
    _settings_arguments(parser)
    parser.add_argument("--disabled", action="store_true", help="create it disabled")


def _update_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("monitor", metavar="MONITOR", help="id or name")
    _settings_arguments(parser)
    toggle = parser.add_mutually_exclusive_group()
    toggle.add_argument("--enable", action="store_true")
    toggle.add_argument("--disable", action="store_true")


def _alerts_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("alert", nargs="?", metavar="NUMBER", help="show this alert")
    status = parser.add_mutually_exclusive_group()
    status.add_argument("--open", action="store_true", help="open alerts only")
    status.add_argument("--resolved", action="store_true", help="resolved alerts only")


def _emails_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("emails", nargs="*", metavar="EMAIL", help="replaces the list")
    parser.add_argument("--clear", action="store_true", help="remove every address")


def _webhook_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL")
    parser.add_argument("--format", choices=("generic", "slack"), default="generic")


def _payload(args: argparse.Namespace) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    fields = ("name", "threshold", "sensitivity", "window", "recovery")
    payload.update({f: getattr(args, f) for f in fields if getattr(args, f) is not None})
    if args.reminder is not None:
        payload["reminder_minutes"] = args.reminder
    filters = {
        key: getattr(args, f"filter_{key}") or None
        for key in ("command", "type", "size")
        if getattr(args, f"filter_{key}") is not None
    }
    if filters:
        payload["filters"] = filters
    return payload


def _base(ctx: Context, *rest: str) -> str:
    return path("apps", ctx.app(), SERVICE, *rest)


def monitor_line(monitor: dict[str, Any]) -> list[str]:
    rules = f"{monitor['sensitivity']} of {monitor.get('window') or monitor['sensitivity']}"
    if monitor.get("threshold") is not None:
        rules = f"≥ {monitor['threshold']} {monitor['threshold_unit']}, " + rules
    filters = " ".join(f"{k}:{v}" for k, v in monitor["filters"].items() if v is not None)
    return [monitor["id"][:8], monitor["name"], monitor["type"], monitor["state"], rules, filters]


def list_monitors(args: argparse.Namespace, ctx: Context) -> int:
    found = ctx.client().request("GET", _base(ctx, "monitors"))
    if args.json:
        ctx.json(found)
    elif not found:
        ctx.out(f"No monitors for {ctx.app()}: create one with `runoff monitors:create`.")
    else:
        header = ["ID", "NAME", "TYPE", "STATE", "RULE", "FILTERS"]
        ctx.out(*render.table([header] + [monitor_line(m) for m in found]))
    return 0


def create_monitor(args: argparse.Namespace, ctx: Context) -> int:
    payload = {"type": args.type, **_payload(args)}
    if args.disabled:
        payload["enabled"] = False
    created = ctx.client().request("POST", _base(ctx, "monitors"), payload=payload)
    if args.json:
        ctx.json(created)
    else:
        ctx.out(f"Created monitor {created['name']} ({created['id']}) on {ctx.app()}")
    return 0


def update_monitor(args: argparse.Namespace, ctx: Context) -> int:
    payload = _payload(args)
    if args.enable or args.disable:
        payload["enabled"] = bool(args.enable)
    updated = ctx.client().request("PATCH", _base(ctx, "monitors", args.monitor), payload=payload)
    if args.json:
        ctx.json(updated)
    else:
        ctx.out(f"Updated monitor {updated['name']}: {updated['state']}")
    return 0


def destroy_monitor(args: argparse.Namespace, ctx: Context) -> int:
    removed = ctx.client().request("DELETE", _base(ctx, "monitors", args.monitor))
    ctx.out(f"Destroyed monitor {removed['name']} and its alerts")
    return 0


def alert_lines(alert: dict[str, Any]) -> list[str]:
    detail = alert["detail"]
    lines = [f"=== Alert {alert['number']} ({alert['status']})"]
    lines += render.aligned(
        [
            ("Monitor", alert["monitor"]["name"]),
            ("Opened", alert["opened_at"]),
            ("Resolved", alert["resolved_at"] or ""),
            ("Reason", detail.get("reason", "")),
        ]
    )
    for dyno in detail.get("dynos", []):
        lines.append(f"  {dyno['name']}  {dyno['state']}  {dyno['command']}")
    for advice in detail.get("guidance", []):
        lines += ["", f"Guidance: {advice['title']}", f"  {advice['text']}"]
    for note in alert.get("notifications", []):
        for sent in note["deliveries"]:
            error = f" ({sent['last_error']})" if sent.get("last_error") else ""
            lines.append(f"  {note['kind']}: {sent['channel']} {sent['status']}{error}")
    return lines


def alerts(args: argparse.Namespace, ctx: Context) -> int:
    client = ctx.client()
    if args.alert:
        found = client.request("GET", _base(ctx, "alerts", args.alert))
        if args.json:
            ctx.json(found)
        else:
            ctx.out(*alert_lines(found))
        return 0
    status = "open" if args.open else "resolved" if args.resolved else None
    query = f"?status={status}" if status else ""
    listed = client.request("GET", _base(ctx, "alerts") + query)
    if args.json:
        ctx.json(listed)
    elif not listed:
        ctx.out(f"No {status or ''} alerts for {ctx.app()}.".replace("  ", " "))
    else:
        rows = [["#", "STATUS", "OPENED", "MONITOR", "REASON"]]
        for a in listed:
            rows.append(
                [
                    str(a["number"]),
                    a["status"],
                    a["opened_at"],
                    a["monitor"]["name"],
                    a["detail"].get("reason", "")[:80],
                ]
            )
        ctx.out(*render.table(rows))
    return 0


def alert_emails(args: argparse.Namespace, ctx: Context) -> int:
    client = ctx.client()
    if args.emails or args.clear:
        shown = client.request(
            "PATCH", _base(ctx, "notifications"), payload={"emails": args.emails}
        )
    else:
        shown = client.request("GET", _base(ctx, "notifications"))
    if args.json:
        ctx.json(shown)
        return 0
    ctx.out(
        f"=== Alert e-mails of {ctx.app()}",
        *render.aligned(
            [
                ("Recipients", ", ".join(shown["recipients"])),
                ("Additional", ", ".join(shown["emails"]) or "none"),
                ("Plan allows", f"{shown['limits']['extra_emails']} additional"),
            ]
        ),
    )
    for hook in shown["webhooks"]:
        ctx.out(f"Webhook {hook['id']}: {hook['url']} ({hook['format']})")
    return 0


def list_deliveries(args: argparse.Namespace, ctx: Context) -> int:
    found = ctx.client().request("GET", _base(ctx, "deliveries") + f"?limit={args.num}")
    if args.json:
        ctx.json(found)
    elif not found:
        ctx.out(f"No alert has been sent for {ctx.app()} yet.")
    else:
        rows = [["ALERT", "KIND", "CHANNEL", "TO", "STATUS", "ATTEMPTS", "SENT", "LAST ERROR"]]
        for d in found:
            to = d["to"] if isinstance(d["to"], str) else ", ".join(d["to"] or ["(removed)"])
            rows.append(
                [
                    f"#{d['alert_number']}",
                    d["kind"],
                    d["channel"],
                    to,
                    d["status"],
                    str(d["attempts"]),
                    d["sent_at"] or "",
                    (d["last_error"] or "")[:60],
                ]
            )
        ctx.out(*render.table(rows))
    return 0


def add_webhook(args: argparse.Namespace, ctx: Context) -> int:
    payload = {"url": args.url, "format": args.format}
    hook = ctx.client().request("POST", _base(ctx, "webhooks"), payload=payload)
    if args.json:
        ctx.json(hook)
    else:
        ctx.out(
            f"Added webhook {hook['id']} ({hook['format']})",
            f"Signing secret (shown once): {hook['secret']}",
        )
    return 0


def remove_webhook(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client().request("DELETE", _base(ctx, "webhooks", args.webhook))
    ctx.out(f"Removed webhook {args.webhook}")
    return 0
