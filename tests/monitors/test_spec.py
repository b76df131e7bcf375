"""Monitor requests: the seed's filter examples, and every field's validation."""

from __future__ import annotations

from typing import Any

import pytest

from runoff.dynos.sizes import SIZES
from runoff.errors import Invalid
from runoff.monitors.model import MonitorType
from runoff.monitors.spec import parse_create, parse_update


def accepts(filters: dict[str, str], command: str = "x", type: str = "run", size: str = "") -> bool:
    spec = parse_create({"type": "command-failure", "filters": filters})
    return spec.filters.accepts(command, type, size or "Standard-1X")


# The seed's "Dyno Command Filter", "Dyno Type Filter" and "Dyno Size Filter" examples.
def test_command_filter_partial_dot_py() -> None:
    assert accepts({"command": ".py"}, command="python scrape.py")
    assert accepts({"command": ".py"}, command="python3 bin/report.py --daily")
    assert not accepts({"command": ".py"}, command="node src/jobs/migrate.js")


def test_command_filter_exact() -> None:
    exact = {"command": '"node src/jobs/migrate.js"'}
    assert accepts(exact, command="node src/jobs/migrate.js")
    assert accepts(exact, command="NODE src/jobs/MIGRATE.js")  # case-insensitive
    assert not accepts(exact, command="node src/jobs/migrate.js --dry-run")
    assert not accepts(exact, command="exec node src/jobs/migrate.js")


def test_type_filter_partial_matches_both_schedulers() -> None:
    assert accepts({"type": "scheduler"}, type="scheduler")
    assert accepts({"type": "scheduler"}, type="advanced-scheduler")
    assert not accepts({"type": "scheduler"}, type="run")


def test_type_filter_exact_matches_heroku_scheduler_only() -> None:
    assert accepts({"type": '"scheduler"'}, type="scheduler")
    assert not accepts({"type": '"scheduler"'}, type="advanced-scheduler")


@pytest.mark.parametrize(
    ("value", "type", "expected"),
    [
        ('"advanced-scheduler"', "advanced-scheduler", True),  # other scheduler add-ons
        ('"advanced-scheduler"', "scheduler", False),
        ('"run"', "run", True),  # run:detached
        ('"run"', "scheduler", False),
        ('"worker-job"', "worker-job", True),  # the Platform API's dyno create `type`
        ('"release"', "release", True),  # release phase
        ('"release"', "run", False),
    ],
)
def test_type_filters_of_the_usage_sections(value: str, type: str, expected: bool) -> None:
    assert accepts({"type": value}, type=type) is expected


def test_size_filter_partial_performance() -> None:
    matched = [s.name for s in SIZES if accepts({"size": "performance"}, size=s.name)]
    assert matched == ["Performance-M", "Performance-L"]


def test_size_filter_exact_performance_matches_nothing() -> None:
    assert [s.name for s in SIZES if accepts({"size": '"performance"'}, size=s.name)] == []
    assert accepts({"size": '"performance-l"'}, size="Performance-L")


def test_filters_combine() -> None:
    both = {"type": '"scheduler"', "command": ".py", "size": "performance"}
    assert accepts(both, command="python a.py", type="scheduler", size="Performance-M")
    assert not accepts(both, command="python a.py", type="scheduler", size="Standard-1X")


def test_defaults_and_names() -> None:
    spec = parse_create({"type": "command-timeout", "filters": {"type": '"scheduler"'}})
    assert spec.rules.type is MonitorType.COMMAND_TIMEOUT
    assert (spec.rules.sensitivity, spec.rules.window, spec.rules.recovery) == (1, None, 1)
    assert spec.name == 'command-timeout type:"scheduler"'
    assert spec.enabled


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "type is required"),
        ({"type": "cpu"}, "type is required"),
        ({"type": "command-execution-time"}, "threshold is required"),
        ({"type": "command-failure", "threshold": 3}, "take no threshold"),
        ({"type": "command-concurrency", "threshold": 0}, "threshold must be"),
        ({"type": "command-failure", "sensitivity": 0}, "sensitivity must be"),
        ({"type": "command-failure", "sensitivity": True}, "sensitivity must be"),
        ({"type": "command-failure", "sensitivity": 3, "window": 2}, "window (2) must be"),
        ({"type": "command-failure", "recovery": None}, "recovery must be"),
        ({"type": "command-failure", "filters": {"state": "x"}}, "unknown filter"),
        ({"type": "command-failure", "filters": {"command": '"open'}}, "filters.command"),
        ({"type": "command-failure", "filters": {"command": 3}}, "filters.command must"),
        ({"type": "command-failure", "filters": "x"}, "filters must be an object"),
        ({"type": "total-concurrency", "threshold": 2, "filters": {"type": "x"}}, "no filters"),
        ({"type": "command-failure", "name": " "}, "name must be"),
        ({"type": "command-failure", "enabled": "yes"}, "enabled must be"),
        ({"type": "command-failure", "reminder_minutes": 0}, "reminder_minutes must be"),
    ],
)
def test_bad_requests(body: dict[str, Any], message: str) -> None:
    with pytest.raises(Invalid, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_create(body)


def test_update_keeps_what_is_not_given() -> None:
    current = parse_create(
        {"type": "command-execution-time", "threshold": 60, "filters": {"command": ".py"}}
    )
    updated = parse_update({"sensitivity": 3, "filters": {"type": '"scheduler"'}}, current)
    assert updated.rules.threshold == 60
    assert updated.rules.sensitivity == 3
    assert str(updated.filters.command) == ".py"
    assert str(updated.filters.type) == '"scheduler"'
    cleared = parse_update({"filters": {"command": None}}, updated)
    assert cleared.filters.command is None
    with pytest.raises(Invalid, match="type cannot change"):
        parse_update({"type": "command-failure"}, current)
    assert not parse_update({"enabled": False}, current).enabled
