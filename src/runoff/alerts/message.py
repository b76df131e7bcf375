"""Rendering a flip's detail as an e-mail (subject and text) and as webhook bodies.

Pure functions of the stored detail (already redacted: see runoff.monitors.describe), so every
channel and every retry says the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Detail = Mapping[str, Any]

_HEADLINE = {
    "opened": "ALERT",
    "resolved": "RESOLVED",
    "reminder": "STILL ALERTING",
}


def subject(detail: Detail) -> str:
    """``[runoff] ALERT myapp: nightly failures — run.3 exited with status 1``"""
    head = _HEADLINE.get(str(detail.get("kind")), str(detail.get("kind")).upper())
    reason = str(detail.get("reason", "")).removeprefix("Resolved: ")
    return f"[runoff] {head} {detail['app']}: {detail['monitor']['name']} — {reason}"[:250]


def _monitor_lines(monitor: Mapping[str, Any]) -> list[str]:
    lines = [f"Monitor:     {monitor['name']} ({monitor['type_name']})"]
    if monitor.get("threshold") is not None:
        lines.append(f"Threshold:   {monitor['threshold']} {monitor['threshold_unit']}")
    window = monitor.get("window") or monitor["sensitivity"]
    lines.append(
        f"Sensitivity: {monitor['sensitivity']} of the last {window}; "
        f"recovery after {monitor['recovery']}"
    )
    filters = {k: v for k, v in monitor["filters"].items() if v is not None}
    if filters:
        lines.append("Filters:     " + ", ".join(f"{k} {v}" for k, v in filters.items()))
    return lines


def _dyno_lines(dyno: Mapping[str, Any]) -> list[str]:
    duration = dyno.get("duration_seconds")
    lines = [
        f"Dyno {dyno['name']} ({dyno['type']}, {dyno['size']})",
        f"  Command:     {dyno['command']}",
        f"  State:       {dyno['state']}"
        + (f", exit status {dyno['exit_status']}" if dyno.get("exit_status") is not None else "")
        + (f", stopped: {dyno['stop_reason']}" if dyno.get("stop_reason") else ""),
        f"  Started:     {dyno['created_at']}",
    ]
    if duration is not None:
        lines.append(f"  Duration:    {duration:.1f} s (ended {dyno['ended_at']})")
    elif dyno.get("running_seconds") is not None:
        lines.append(f"  Duration:    {dyno['running_seconds']:.1f} s so far (still running)")
    if dyno.get("logs"):
        lines += ["  Last log lines:"] + [f"    {line}" for line in dyno["logs"]]
    return lines


def text(detail: Detail) -> str:
    """The plain-text e-mail body."""
    lines = [str(detail["reason"]), ""]
    lines += [f"App:         {detail['app']}", f"When:        {detail['at']}"]
    lines += _monitor_lines(detail["monitor"])
    if detail.get("running") is not None:
        lines.append(f"Running:     {detail['running']} at once")
    for dyno in detail.get("dynos", []):
        lines += ["", *_dyno_lines(dyno)]
    if detail.get("guidance"):
        lines += ["", "Guidance"]
        for advice in detail["guidance"]:
            lines += [f"- {advice['title']}", f"  {advice['text']}"]
    lines += ["", f"Dashboard: {detail['dashboard_url']}", ""]
    lines.append(
        "Alerts show part of each command with config var values replaced by [REDACTED]; "
        "keep secrets in config vars, not in commands."
    )
    return "\n".join(lines) + "\n"


def generic(detail: Detail, *, event_id: str) -> dict[str, Any]:
    """The documented webhook body: ``{"event": "alert.opened", "id": ..., "alert": detail}``."""
    return {"event": f"alert.{detail['kind']}", "id": event_id, "alert": dict(detail)}


def slack(detail: Detail) -> dict[str, Any]:
    """A Slack incoming-webhook body (``text`` plus one section block)."""
    head = subject(detail).removeprefix("[runoff] ")
    body = [f"*{head}*"]
    for dyno in detail.get("dynos", [])[:3]:
        body.append(f"`{dyno['name']}` {dyno['state']}: `{dyno['command']}`")
    for advice in detail.get("guidance", [])[:2]:
        body.append(f"> {advice['title']}")
    body.append(f"<{detail['dashboard_url']}|Open the dashboard>")
    return {
        "text": head,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(body)}}],
    }
