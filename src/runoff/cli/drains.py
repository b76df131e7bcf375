"""Log drains: list, add and remove the places an app's logs are forwarded to."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def register(commands: CommandSet) -> None:
    commands.add(
        "drains",
        list_drains,
        "list an app's log drains",
        description="List the log drains of an app: each URL with its drain token.",
        app=True,
        json=True,
        examples=["runoff drains -a myapp"],
    )
    commands.add(
        "drains:add",
        add_drain,
        "forward an app's logs to a syslog or HTTPS endpoint",
        arguments=lambda parser: parser.add_argument(
            "url", metavar="URL", help="syslog+tls://HOST:PORT, syslog://HOST:PORT or https://..."
        ),
        description=(
            "Forward every log line of an app to URL: syslog+tls:// and syslog:// get RFC 5424\n"
            "messages over TCP (octet counting), https:// gets POSTs of application/logplex-1\n"
            "frames. An app has at most 5 drains (the server may say otherwise)."
        ),
        app=True,
        json=True,
        examples=[
            "runoff drains:add syslog+tls://logs.example.com:6514 -a myapp",
            "runoff drains:add https://user:secret@logs.example.com/heroku -a myapp",
        ],
    )
    commands.add(
        "drains:remove",
        remove_drain,
        "stop forwarding an app's logs to a drain",
        arguments=lambda parser: parser.add_argument(
            "drain", metavar="URL|TOKEN", help="the drain's URL or its token (d.…)"
        ),
        app=True,
        examples=["runoff drains:remove syslog+tls://logs.example.com:6514 -a myapp"],
    )


def list_drains(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    drains = ctx.client().get("apps", app, "log-drains")
    if args.json:
        ctx.json(drains)
    elif not drains:
        ctx.out(f"{app} has no drains.")
    else:
        ctx.out("=== Drains", *(f"{d.get('url')} ({d.get('token')})" for d in drains))
    return 0


def add_drain(args: argparse.Namespace, ctx: Context) -> int:
    drain = ctx.client().post("apps", ctx.app(), "log-drains", payload={"url": args.url})
    if args.json:
        ctx.json(drain)
    else:
        ctx.out(f"Successfully added drain {drain.get('url')}")
    return 0


def remove_drain(args: argparse.Namespace, ctx: Context) -> int:
    drain = ctx.client().delete("apps", ctx.app(), "log-drains", args.drain)
    ctx.out(f"Successfully removed drain {drain.get('url')}")
    return 0
