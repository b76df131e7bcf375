"""Every example of the seed's "Data Filter" and "Filter Settings" sections means what the
seed says: checked in memory and in SQL over the same rows (see conftest.ROWS)."""

from __future__ import annotations

import pytest

from runoff.query import STATES, Match, parse

from .rows import ALL, DynoTable, names_in_memory

ADV_1001, ADV_1002 = "advanced-scheduler.1001", "advanced-scheduler.1002"
HELLO = {"scheduler.1234", ADV_1001, "run.2001", "run.2003", "run.2004"}
SUCCEEDED = {"scheduler.4321", ADV_1002, "run.2001", "release.3001", "task.4002", "run.6001"}
SCHEDULER = {"scheduler.1234", "scheduler.4321", "scheduler.12345"}

DATA_FILTER_EXAMPLES = [
    # Plain text: the command contains `echo "Hello World!"` (any case; quotes are text).
    ('echo "Hello World!"', HELLO),
    # A leading - excludes commands containing "Hello World" (with or without quotes).
    ("-Hello World", ALL - HELLO - {"run.2002"}),
    # Same command, failed OR timed out.
    (
        'command:echo "Hello World!" state:failed state:timed out',
        {"scheduler.1234", ADV_1001, "run.2003"},
    ),
    # Same command, anything but succeeded (running run.2004 included).
    ('command:echo "Hello World!" -state:succeeded', HELLO - {"run.2001"}),
    # Size Performance-L (any case), currently running.
    ("state:running size:performance-l", {"scheduler.12345", "run.2002"}),
    # Started by Heroku Scheduler (not Advanced Scheduler) and succeeded.
    ('type:"scheduler" state:succeeded', {"scheduler.4321"}),
    # A partial match: scheduler.12345 contains scheduler.1234 too.
    ("name:scheduler.1234", {"scheduler.1234", "scheduler.12345"}),
    # The exclusion examples of "Prepend - to exclude".
    ("-type:release", ALL - {"release.3001", "release.3002"}),
    ("-state:succeeded", ALL - SUCCEEDED),
    ('-command:"python scrape.py"', ALL - {"scheduler.4321"}),
    # The examples of the attribute table, written as exact matches.
    ('command:"python scrape.py"', {"scheduler.4321"}),
    ('state:"timed out"', {ADV_1001, "task.4001"}),
    ('type:"scheduler"', SCHEDULER),
    ('name:"scheduler.4321"', {"scheduler.4321"}),
    ('size:"performance-l"', {"scheduler.1234", "scheduler.12345", "run.2002", "run.2003"}),
    # "scheduler" only matches exactly; sched matches any type containing it.
    ("type:sched", SCHEDULER | {ADV_1001, ADV_1002}),
    # The exact name of the seed's example matches one dyno only.
    ('name:"scheduler.1234"', {"scheduler.1234"}),
]

TYPE_SCHEDULER_ANY = SCHEDULER | {ADV_1001, ADV_1002}
PERFORMANCE = {"scheduler.1234", "scheduler.12345", ADV_1001, "run.2002", "run.2003"}
MONITOR_EXAMPLES = [
    # Dyno Command Filter
    ("command", ".py", {"scheduler.4321", "scheduler.12345", "run.6001"}),
    ("command", '"node src/jobs/migrate.js"', {ADV_1002, "release.3001"}),
    # Dyno Type Filter: both Heroku Scheduler and Advanced Scheduler, then Heroku's only.
    ("type", "scheduler", TYPE_SCHEDULER_ANY),
    ("type", '"scheduler"', SCHEDULER),
    # Dyno Size Filter: Performance-M and Performance-L; no size is exactly "performance".
    ("size", "performance", PERFORMANCE),
    ("size", '"performance"', set()),
    # Using monitors with scheduler add-ons, run:detached, the Dyno Create API, release phase.
    ("type", '"advanced-scheduler"', {ADV_1001, ADV_1002}),
    ("type", '"run"', {"run.2001", "run.2002", "run.2003", "run.2004", "run.6001"}),
    ("type", '"task"', {"task.4001", "task.4002"}),
    ("type", '"release"', {"release.3001", "release.3002"}),
]


@pytest.mark.parametrize(("text", "expected"), DATA_FILTER_EXAMPLES)
def test_data_filter_example_in_memory(text: str, expected: set[str]) -> None:
    assert names_in_memory(parse(text)) == expected


@pytest.mark.parametrize(("text", "expected"), DATA_FILTER_EXAMPLES)
def test_data_filter_example_in_sql(dyno_table: DynoTable, text: str, expected: set[str]) -> None:
    assert dyno_table.names(parse(text)) == expected


@pytest.mark.parametrize(("attribute", "text", "expected"), MONITOR_EXAMPLES)
def test_monitor_filter_example(
    dyno_table: DynoTable, attribute: str, text: str, expected: set[str]
) -> None:
    match = Match.parse(text)
    assert names_in_memory(match, attribute) == expected
    assert dyno_table.names(match, attribute) == expected


@pytest.mark.parametrize(("attribute", "text", "expected"), MONITOR_EXAMPLES)
def test_monitor_filter_means_the_same_as_a_filter_term(
    attribute: str, text: str, expected: set[str]
) -> None:
    assert names_in_memory(parse(f"{attribute}:{text}")) == expected


def test_both_match_types_are_case_insensitive(dyno_table: DynoTable) -> None:
    for text in ('type:"SCHEDULER"', "type:SCHED", "size:Performance-L", "size:PERFORMANCE-l"):
        lowered = parse(text.lower())
        assert names_in_memory(parse(text)) == names_in_memory(lowered) != set()
        assert dyno_table.names(parse(text)) == dyno_table.names(lowered)


def test_states_are_the_seeds_four() -> None:
    assert STATES == ("running", "succeeded", "failed", "timed out")


def test_examples_read_as_the_seed_explains() -> None:
    described = parse('command:echo "Hello World!" state:failed state:timed out').describe()
    assert described == (
        'command contains \'echo "Hello World!"\' and state contains "failed" or "timed out"'
    )
    assert parse("-Hello World").describe() == 'command does not contain "Hello World"'
    assert parse('type:"scheduler" state:succeeded').describe() == (
        'state contains "succeeded" and type is "scheduler"'
    )
