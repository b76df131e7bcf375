"""Logging in, the current account, API tokens (OAuth authorizations) and users."""

from __future__ import annotations

from runoff.cli import config, render
from runoff.cli.options import whole_number
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def _create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--description", default="", metavar="TEXT", help="what it is for")
    parser.add_argument(
        "-s", "--scope", metavar="SCOPES", help="comma-separated scopes (default: global)"
    )
    parser.add_argument(
        "-e", "--expires-in", type=whole_number(1), metavar="SECONDS", help="lifetime in seconds"
    )
    parser.add_argument(
        "-a",
        "--app",
        metavar="APP",
        help="bind the token to this app only (needed for the dynos:restart scope)",
    )


def register(commands: CommandSet) -> None:
    commands.add(
        "login",
        log_in,
        "save an API URL and token for later commands",
        arguments=lambda parser: parser.add_argument(
            "--token", metavar="TOKEN", help="API token (default: prompt or stdin)"
        ),
        description=(
            "Check TOKEN with GET /account and save it with the API URL in\n"
            "$XDG_CONFIG_HOME/runoff/config.json (mode 0600). Without --token the token is read\n"
            "from a prompt, or from the first line of stdin when that is not a terminal."
        ),
        examples=[
            "runoff login --api-url https://runoff.example.com",
            'echo "$TOKEN" | runoff login --api-url http://127.0.0.1:5000',
        ],
    )
    commands.add("logout", log_out, "forget the saved token", examples=["runoff logout"])
    commands.add(
        "auth:whoami",
        who_am_i,
        "print the e-mail of the token's user",
        examples=["runoff auth:whoami"],
    )
    commands.add(
        "authorizations",
        list_authorizations,
        "list your API tokens (the tokens are not shown)",
        json=True,
        examples=["runoff authorizations"],
    )
    commands.add(
        "authorizations:create",
        create_authorization,
        "create an API token",
        arguments=_create_arguments,
        description=(
            "Create an API token; it is shown only this once. With --app the token acts on\n"
            "that app only; the dynos:restart scope (restart the app's dynos, nothing else)\n"
            "needs it, so a scheduled restart never holds a global key."
        ),
        json=True,
        examples=[
            'runoff authorizations:create -d "nightly restart" -a myapp -s dynos:restart',
            'runoff authorizations:create -d "CI" -s write -e 86400',
        ],
    )
    commands.add(
        "authorizations:revoke",
        revoke_authorization,
        "revoke an API token",
        arguments=lambda parser: parser.add_argument(
            "id", metavar="ID", help="the authorization's id"
        ),
        examples=["runoff authorizations:revoke 01234567-89ab-cdef-0123-456789abcdef"],
    )
    commands.add(
        "users:create",
        create_user,
        "create a user and print its first token (admins only)",
        arguments=lambda parser: parser.add_argument("email", metavar="EMAIL"),
        json=True,
        examples=["runoff users:create bob@example.com"],
    )


def _read_token(ctx: Context) -> str:
    stdin = ctx.system.stdin
    if stdin.isatty():
        import getpass

        token = getpass.getpass("Token: ")
    else:
        token = stdin.readline()
    token = token.strip()
    if not token:
        raise RunoffError("no token given: use --token TOKEN or pass it on stdin")
    return token


def log_in(args: argparse.Namespace, ctx: Context) -> int:
    url = ctx.api_url()
    token = args.token or _read_token(ctx)
    account = ctx.client(token).get("account")
    config.save(ctx.config_path, {**ctx.saved(), "api_url": url, "token": token})
    ctx.out(f"Logged in to {url} as {account.get('email')}")
    return 0


def log_out(args: argparse.Namespace, ctx: Context) -> int:
    saved = ctx.saved()
    if "token" in saved:
        config.save(ctx.config_path, {k: v for k, v in saved.items() if k != "token"})
    ctx.out(f"Logged out of {saved.get('api_url', ctx.api_url())}")
    return 0


def who_am_i(args: argparse.Namespace, ctx: Context) -> int:
    ctx.out(str(ctx.client().get("account").get("email")))
    return 0


def list_authorizations(args: argparse.Namespace, ctx: Context) -> int:
    authorizations = ctx.client().get("oauth", "authorizations")
    if args.json:
        ctx.json(authorizations)
    elif not authorizations:
        ctx.out("No OAuth authorizations.")
    else:
        rows = [
            [str(a.get("description") or ""), str(a.get("id")), ", ".join(a.get("scope") or [])]
            for a in authorizations
        ]
        ctx.out(*render.table(rows))
    return 0


def create_authorization(args: argparse.Namespace, ctx: Context) -> int:
    payload: dict[str, object] = {"description": args.description}
    if args.scope:
        payload["scope"] = [s.strip() for s in args.scope.split(",") if s.strip()]
    if args.expires_in is not None:
        payload["expires_in"] = args.expires_in
    if args.app:
        payload["app"] = args.app
    authorization = ctx.client().post("oauth", "authorizations", payload=payload)
    if args.json:
        ctx.json(authorization)
    else:
        ctx.out("Creating OAuth Authorization... done", *render.authorization_lines(authorization))
    return 0


def revoke_authorization(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client().delete("oauth", "authorizations", args.id)
    ctx.out(f"Revoking OAuth Authorization {args.id}... done")
    return 0


def create_user(args: argparse.Namespace, ctx: Context) -> int:
    user = ctx.client().post("users", payload={"email": args.email})
    if args.json:
        ctx.json(user)
        return 0
    token = user.get("access_token")
    ctx.out(
        f"Creating user {args.email}... done",
        *render.aligned(
            [
                ("ID", str(user.get("id"))),
                ("Email", str(user.get("email"))),
                ("Token", str(token.get("token")) if isinstance(token, dict) else ""),
            ]
        ),
    )
    ctx.err("The token is shown only this once: hand it to the user now.")
    return 0
