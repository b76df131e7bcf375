"""``runoff run``: a one-off dyno attached to this terminal.

Creates the dyno with ``attach: true``, connects to the rendezvous URL the API returns, and
bridges the terminal to it (raw mode while attached, always restored) until the dyno ends.
Exits with the dyno's exit status unless ``--no-exit-code``.
"""

from __future__ import annotations

import os
import signal
import termios
import tty
import urllib.parse

from runoff.cli import attach
from runoff.cli.client import Unreachable
from runoff.cli.dynos import command_text, parse_env

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator
    from typing import Any

    from runoff.cli.context import Context

DEFAULT_TIMEOUT_SECONDS = 20.0
TIMEOUT_ENV = "RUNOFF_RUN_TIMEOUT"
TIMED_OUT = "Timeout awaiting process"
FORCED_EXIT = 1


def _timeout(ctx: Context) -> float:
    raw = ctx.env.get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        value = DEFAULT_TIMEOUT_SECONDS
    return value if value > 0 else DEFAULT_TIMEOUT_SECONDS


def _terminal_size(fd: int) -> tuple[int, int] | None:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return (size.lines, size.columns) if size.lines and size.columns else None


def _payload(ctx: Context, command: str, stdout: int, env: dict[str, str]) -> dict[str, object]:
    """The create request, as the Heroku CLI sends it: TERM, and the window if stdout is one
    (values given with ``--env`` win)."""
    args = ctx.args
    env = dict(env)
    term = ctx.env.get("TERM")
    if term:
        env.setdefault("TERM", term)
    size = _terminal_size(stdout)
    if size is not None:
        env.setdefault("LINES", str(size[0]))
        env.setdefault("COLUMNS", str(size[1]))
    payload: dict[str, object] = {"command": command, "attach": True, "env": env}
    if args.no_tty:
        payload["force_no_tty"] = True
    for field, value in (("size", args.size), ("type", args.type), ("time_to_live", args.ttl)):
        if value is not None:
            payload[field] = value
    return payload


def _timed_out(ctx: Context, reason: str, hint: str, *, status_line: bool) -> int:
    ctx.err(*([""] if status_line else []), TIMED_OUT, f"  {reason}", f"  {hint}")
    return 1


def _port_hint(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "the server"
    return (
        f"runoff run opens a TLS connection to {host} on port {port} once the dyno is created; "
        f"if your network blocks that port, ask for it to be opened (test it with "
        f"`openssl s_client -connect {host}:{port}`)."
    )


class _Terminal:
    """Raw mode on a terminal for the duration of a ``with``; restored on any exit, including
    SIGTERM and SIGHUP (which otherwise end the process without running ``finally``)."""

    def __init__(self, fd: int, raw: bool) -> None:
        self.fd = fd
        self.raw = raw
        self._saved: list[Any] | None = None
        self._handlers: dict[int, Any] = {}

    def __enter__(self) -> _Terminal:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._handlers[sig] = signal.signal(sig, _exit_on_signal)
        if self.raw:
            self._saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd, termios.TCSANOW)
        return self

    def __exit__(self, *_: object) -> None:
        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
        for sig, handler in self._handlers.items():
            signal.signal(sig, handler)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _fds(ctx: Context) -> Iterator[int]:
    for stream in (ctx.system.stdin, ctx.system.stdout):
        try:
            yield stream.fileno()
        except (AttributeError, OSError, ValueError):
            yield -1


def run(args: argparse.Namespace, ctx: Context) -> int:
    command = command_text(args.command, "runoff run [options] -- COMMAND...")
    stdin, stdout = _fds(ctx)
    if stdin < 0 or stdout < 0:
        ctx.err("runoff: run needs real standard input and output (file descriptors)")
        return 1
    timeout = _timeout(ctx)
    app = ctx.app()
    payload = _payload(ctx, command, stdout, parse_env(args.env))
    client = ctx.client(timeout=timeout)
    try:
        dyno = client.post("apps", app, "dynos", payload=payload)
    except Unreachable as error:
        hint = "check the API URL and that its port is reachable from here."
        return _timed_out(ctx, error.message, hint, status_line=False)
    name = dyno.get("name") or "the dyno"
    url = dyno.get("attach_url")
    if not isinstance(url, str):
        ctx.err(f"runoff: the server gave no attach URL for {name}")
        return 1
    ctx.system.stderr.write(f"Running {command} on {app}... ")
    ctx.system.stderr.flush()
    try:
        session = attach.connect(url, dyno.get("attach_fingerprint"), timeout)
    except attach.Unreachable as error:
        return _timed_out(ctx, error.message, _port_hint(url), status_line=True)
    except attach.AttachError as error:
        ctx.err("", f"runoff: {error.message}")
        return 1
    ctx.err(f"up, {name}")
    return _attached(args, ctx, session, name, stdin, stdout)


def _attached(
    args: argparse.Namespace,
    ctx: Context,
    session: attach.Session,
    name: str,
    stdin: int,
    stdout: int,
) -> int:
    terminal = not args.no_tty
    raw = terminal and os.isatty(stdin)
    notices: list[str] = []
    bridge = attach.Bridge(
        session,
        stdin=stdin,
        stdout=stdout,
        window=(lambda: _terminal_size(stdout)) if terminal and os.isatty(stdout) else None,
        raw_terminal=raw,
        translate=terminal and not os.isatty(stdout),
        notice=notices.append,
    )
    try:
        with _Terminal(stdin, raw):
            status = bridge.run()
    finally:
        session.close()
    for text in notices:
        ctx.err(f"runoff: {name}: {text}")
    if bridge.forced:
        ctx.err("", f"runoff: forcing {name} to disconnect")
        return FORCED_EXIT
    if status is None:
        if not notices:
            ctx.err(f"runoff: the connection to {name} ended before the dyno did")
        return 0 if args.no_exit_code else 1
    return 0 if args.no_exit_code else status
