"""One-off Dyno Metrics: the four plots as sparklines, and the recorded runs."""

from __future__ import annotations

import urllib.parse

from runoff.cli import render
from runoff.cli.client import path

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet

SERVICE = "one-off-metrics"
RANGES = ("3h", "24h", "24h-48h", "48h-72h", "72h", "7d")
BARS = "▁▂▃▄▅▆▇█"
WIDTH = 72  # sparkline characters at most; adjacent buckets are merged by their maximum


def _filter_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f", "--filter", default="", metavar="FILTER",
        help='e.g. \'command:echo "Hello World!" -state:succeeded\' or -state:succeeded '
        "(see docs/filter-language.md)",
    )  # fmt: skip


def _metrics_arguments(parser: argparse.ArgumentParser) -> None:
    _filter_argument(parser)
    parser.add_argument("-r", "--range", default="24h", choices=RANGES, help="default: 24h")


def _dynos_arguments(parser: argparse.ArgumentParser) -> None:
    _filter_argument(parser)
    parser.add_argument("-n", "--num", type=int, default=50, metavar="N", help="at most N runs")


def register(commands: CommandSet) -> None:
    commands.add(
        "metrics",
        show_metrics,
        "show one-off dyno metrics: throughput, execution time, concurrency, events",
        arguments=_metrics_arguments,
        description=(
            f"Show the four plots of the {SERVICE} add-on for the runs a filter selects,\n"
            "as sparklines over the range (3h at 1 minute, 24h/24h-48h/48h-72h at 10 minutes,\n"
            "72h at 30 minutes, 7d at 1 hour), oldest on the left."
        ),
        app=True,
        json=True,
        examples=[
            "runoff metrics -a myapp",
            "runoff metrics -a myapp --range 7d --filter 'type:\"scheduler\" -state:succeeded'",
        ],
    )
    commands.add(
        "metrics:dynos",
        list_runs,
        "list the recorded one-off runs a filter selects, newest first",
        arguments=_dynos_arguments,
        app=True,
        json=True,
        examples=["runoff metrics:dynos -a myapp --filter 'state:failed state:timed out'"],
    )


def _get(ctx: Context, app: str, what: str, **query: str | int) -> Any:
    resource = path("apps", app, SERVICE, what) + "?" + urllib.parse.urlencode(query)
    return ctx.client().request("GET", resource)


def sparkline(values: Sequence[float]) -> str:
    """Bars scaled to the largest value (blank for none), at most WIDTH characters."""
    step = -(-len(values) // WIDTH) if values else 1
    merged = [max(values[i : i + step]) for i in range(0, len(values), step)]
    top = max(merged, default=0)
    if top <= 0:
        return " " * len(merged)
    return "".join(" " if v <= 0 else BARS[min(7, int(v / top * 7.999))] for v in merged)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}s" if value < 60 else f"{value / 60:.1f}m"


def _throughput_rows(buckets: list[Any]) -> list[list[str]]:
    totals = {k: sum(b[k] for b in buckets) for k in ("succeeded", "failed", "timed_out")}
    summary = (
        f"{totals['succeeded']} succeeded, {totals['failed']} failed, "
        f"{totals['timed_out']} timed out"
    )
    return [
        ["Throughput", sparkline([sum(b[k] for k in totals) for b in buckets]), summary],
        ["  not succeeded", sparkline([b["failed"] + b["timed_out"] for b in buckets]), ""],
    ]


def _execution_row(buckets: list[Any]) -> list[str]:
    ended = [b for b in buckets if b["count"]]
    runs = sum(b["count"] for b in ended)
    mean = sum(b["mean"] * b["count"] for b in ended) / runs if runs else None
    low = min((b["min"] for b in ended), default=None)
    high = max((b["max"] for b in ended), default=None)
    summary = f"min {_seconds(low)}, mean {_seconds(mean)}, max {_seconds(high)}"
    return ["Execution time p95", sparkline([b["p95"] or 0 for b in buckets]), summary]


def _concurrency_row(buckets: list[Any]) -> list[str]:
    peak = max((b["max"] for b in buckets), default=0)
    mean = sum(b["mean"] for b in buckets) / len(buckets) if buckets else 0.0
    summary = f"peak {peak}, mean {mean:.2f}"
    return ["Concurrency max", sparkline([b["max"] for b in buckets]), summary]


def _events_row(plot: dict[str, Any]) -> list[str]:
    counts = [len(b["events"]) for b in plot["buckets"]]
    summary = f"{sum(counts)} events" + (" (the newest only)" if plot.get("truncated") else "")
    return ["Events", sparkline(counts), summary]


def plot_lines(plots: dict[str, Any]) -> list[str]:
    """The four plots as labelled sparklines with a summary each."""
    return render.table(
        [
            *_throughput_rows(plots["throughput"]["buckets"]),
            _execution_row(plots["execution-time"]["buckets"]),
            _concurrency_row(plots["concurrency"]["buckets"]),
            _events_row(plots["events"]),
        ]
    )


def show_metrics(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    plots = {
        name: _get(ctx, app, name, filter=args.filter, range=args.range)
        for name in ("throughput", "execution-time", "concurrency", "events")
    }
    if args.json:
        ctx.json(plots)
        return 0
    minutes = plots["throughput"]["resolution_seconds"] // 60
    unit = f"{minutes}-minute" if minutes < 60 else f"{minutes // 60}-hour"
    ctx.out(
        f"=== {app} one-off dyno metrics, {args.range} in {unit} buckets"
        + (f", filter {args.filter}" if args.filter.strip() else ""),
        *plot_lines(plots),
    )
    return 0


def list_runs(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    runs = _get(ctx, app, "dynos", filter=args.filter, limit=args.num)
    if args.json:
        ctx.json(runs)
    elif not runs:
        ctx.out("No recorded one-off runs match.")
    else:
        rows = [["Name", "State", "Exit", "Type", "Size", "Duration", "Created", "Command"]]
        for run in runs:
            exit_status = run["exit_status"]
            rows.append(
                [run["name"], run["state"], "-" if exit_status is None else str(exit_status),
                 run["type"], run["size"], _seconds(run["duration_seconds"]),
                 run["created_at"] or "", run["command"]]
            )  # fmt: skip
        ctx.out(*render.table(rows))
    return 0
