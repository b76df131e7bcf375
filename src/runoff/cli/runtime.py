"""Rendering runtime metrics and memory limits (``ps:metrics``, ``ps``)."""

from __future__ import annotations

from runoff.cli import render

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from typing import Any

MB = 1024 * 1024


def _mb(value: object) -> str:
    return f"{value / MB:.2f}" if isinstance(value, int) else "?"


def metrics_lines(data: Mapping[str, Any], now: datetime) -> list[str]:
    dyno = data.get("dyno") or {}
    head = (
        f"=== {dyno.get('name')} ({dyno.get('size')}): memory quota {_mb(data.get('memory_quota'))}"
        f" MB, killed above {_mb(data.get('memory_kill_point'))} MB"
        f" (enforced by: {data.get('memory_limits')})"
    )
    samples = data.get("samples") or []
    if not samples:
        return [head, "No samples yet (dynos are sampled about every 20 s)."]
    rows = [["TIME", "LOAD 1M", "5M", "15M", "TOTAL MB", "RSS MB", "CACHE MB", "SWAP MB"]]
    for sample in samples:
        then = render.parse_time(str(sample.get("time", "")))
        rows.append(
            [
                render.stamp(then, now) if then else "?",
                f"{sample.get('load_avg_1m', 0):.2f}",
                f"{sample.get('load_avg_5m', 0):.2f}",
                f"{sample.get('load_avg_15m', 0):.2f}",
                _mb(sample.get("memory_total")),
                _mb(sample.get("memory_rss")),
                _mb(sample.get("memory_cache")),
                _mb(sample.get("memory_swap")),
            ]
        )
    return [head, *render.table(rows)]


def limits_note(dynos: list[Mapping[str, Any]]) -> list[str]:
    """``ps``'s last line: how the server enforces memory quotas (when it says)."""
    modes = sorted({str(d["memory_limits"]) for d in dynos if d.get("memory_limits")})
    if not modes:
        return []
    return ["", f"Memory quotas enforced by: {', '.join(modes)} (runoff ps:metrics DYNO)"]
