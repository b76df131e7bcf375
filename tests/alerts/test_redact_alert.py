"""An alert's run detail (what e-mails, webhooks, guidance and the alerts API are rendered
from) holds no secret split across a long line's records, and keeps timestamps intact."""

from __future__ import annotations

import json

from runoff.dynos.model import Outcome
from runoff.logs.model import MAX_LINE_BYTES, LogLine, split_long
from runoff.monitors.describe import Describer
from runoff.redact import Redactor
from tests.monitors.test_evaluate import T0, dyno

SECRET = "hunter2-s3cr3t-token"


def lines_of(text: bytes) -> list[LogLine]:
    return [
        LogLine(id=i, app_id="a1", at=T0 + i, source="app", dyno="run.1", message=part)
        for i, part in enumerate(split_long(text))
    ]


def test_a_secret_across_a_split_reaches_no_alert() -> None:
    head = b"x" * (MAX_LINE_BYTES - 7)  # the secret starts 7 bytes before the split
    logs = lines_of(head + SECRET.encode() + b" failed")
    assert len(logs) == 2
    assert SECRET not in logs[0].render()
    ended = dyno(f"curl -H 'X-Token: {SECRET}'", exit_status=3, outcome=Outcome.FAILED)
    detail = Describer(Redactor(named=[("API_TOKEN", SECRET)]), "http://runoff.test").run(
        ended, logs
    )
    body = json.dumps(detail)
    for piece in (SECRET, SECRET[:7], SECRET[7:]):
        assert piece not in body
    assert detail["guidance"]  # guidance is built from the redacted lines


def test_a_short_setting_keeps_timestamps() -> None:
    logs = lines_of(b"worker 2 of 2 ready at 2026-12-02 12:22:02")
    ended = dyno("bin/worker --concurrency 2", exit_status=2, outcome=Outcome.FAILED)
    redact = Redactor(named=[("WEB_CONCURRENCY", "2"), ("API_TOKEN", SECRET)])
    detail = Describer(redact, "http://runoff.test").run(ended, logs)
    assert detail["command"] == "bin/worker --concurrency 2"
    assert detail["logs"] == [logs[0].render()]
    assert "[REDACTED]" not in json.dumps(detail)
