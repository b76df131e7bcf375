"""P6: alert latency — a dyno's exit → the alert e-mail accepted by a loopback SMTP server.

A command-failure monitor (sensitivity 1) watches an app; the bench runs ``exit 1`` and
``true`` in turn, one at a time, so every run flips the monitor (opened, then resolved) and
every run sends one e-mail. Each sample is the time from the run's ``Process exited with
status N`` log line (µs timestamps, taken by the server as the process is reaped; the e-mail
carries it) to the moment the loopback aiosmtpd server accepts the message (same clock).
Baseline, same run: ``smtplib`` handing an e-mail of the same size to the same SMTP server.
Target: p50 ≤ 1 s, p99 ≤ 2 s.

    .venv/bin/python -m bench.p6_alert_latency [--alerts 100] [--database-url URL]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import re
import smtplib
import threading
import time
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from bench.common import Client, Server, print_table, summary_ms

EXITED = re.compile(r"(\S+) heroku\[\S+\]: Process exited with status \d+")


class PortZeroController(Controller):
    """aiosmtpd's controller on port 0: it learns the port it got before connecting to it."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    """Accepted messages as (time accepted, parsed message); ``port`` once started."""

    def __init__(self) -> None:
        self.received: list[tuple[float, EmailMessage]] = []
        self.arrived = threading.Condition()
        self.controller = PortZeroController(self, hostname="127.0.0.1", port=0)

    @property
    def port(self) -> int:
        port: int = self.controller.port
        return port

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        accepted = time.time()
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.received.append((accepted, parsed))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30.0) -> tuple[float, EmailMessage]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise RuntimeError(f"e-mail {count} did not arrive within {timeout} s")
            return self.received[count - 1]


def exit_time(message: EmailMessage) -> float:
    part = message.get_body(("plain",))
    assert part is not None
    found = EXITED.search(str(part.get_content()))
    if found is None:
        raise RuntimeError("the alert e-mail has no `Process exited` log line")
    return datetime.fromisoformat(found.group(1)).timestamp()


def measure(url: str, inbox: Inbox, alerts: int) -> list[float]:
    client = Client(url)
    client.call("POST", "/apps", {"name": "bench-p6"})
    client.call("POST", "/apps/bench-p6/addons", {"plan": "one-off-metrics:pro"})
    client.call("POST", "/apps/bench-p6/one-off-metrics/monitors", {"type": "command-failure"})
    samples = []
    for index in range(alerts):
        command = "exit 1" if index % 2 == 0 else "true"
        client.call("POST", "/apps/bench-p6/dynos", {"command": command, "attach": False})
        accepted, message = inbox.wait_for(index + 1)
        samples.append(accepted - exit_time(message))
    return samples


def baseline(inbox: Inbox, count: int, body: str) -> list[float]:
    samples = []
    for _ in range(count):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@b.c", "d@e.f", "baseline"
        message.set_content(body)
        start = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", inbox.port) as smtp:
            smtp.send_message(message)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    inbox = Inbox()
    inbox.controller.start()
    try:
        smtp_url = f"smtp://127.0.0.1:{inbox.port}"
        with Server(args.database_url, RUNOFF_SMTP_URL=smtp_url) as server:
            runoff = measure(server.url, inbox, args.alerts)
        sample_body = str(inbox.received[0][1].get_body(("plain",)).get_content())  # type: ignore[union-attr]
        base = baseline(inbox, args.alerts, sample_body)
    finally:
        inbox.controller.stop()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print_table(
        f"P6 alert latency ({backend}, {args.alerts} alerts, opened and resolved in turn)",
        [
            ("runoff: dyno exit -> alert e-mail accepted by SMTP", summary_ms(runoff)),
            ("baseline: smtplib sends the same e-mail", summary_ms(base)),
        ],
    )
    print("  target: p50 <= 1000 ms, p99 <= 2000 ms")


if __name__ == "__main__":
    main()
