"""Guidance for failed and timed-out runs, from the exit, stop reason and logs."""

from __future__ import annotations

from runoff.dynos.model import Outcome
from runoff.monitors.guidance import RunFacts, advise


def ids(**facts: object) -> list[str]:
    base: dict[str, object] = {
        "name": "run.1",
        "type": "run",
        "size": "Standard-1X",
        "outcome": Outcome.FAILED,
        "exit_status": 1,
        "stop_reason": None,
        "ttl_seconds": 600,
        "log_lines": (),
    }
    base.update(facts)
    return [advice.id for advice in advise(RunFacts(**base))]  # type: ignore[arg-type]


def test_exit_127_or_command_not_found_is_a_missing_command() -> None:
    assert ids(exit_status=127) == ["command-not-found"]
    assert ids(exit_status=1, log_lines=["bash: line 1: migrat: command not found"]) == [
        "command-not-found"
    ]


def test_a_failure_without_exit_status_never_ran_its_command() -> None:
    assert ids(exit_status=None) == ["not-started"]
    facts = RunFacts("run.4", "run", "Standard-1X", Outcome.FAILED, None, None, 600)
    [advice] = advise(facts)
    assert "Error R10 (Boot failure)" in advice.text
    assert "runoff logs -d run.4" in advice.text
    assert "None" not in advice.text


def test_other_failures_are_application_errors() -> None:
    assert ids(exit_status=3) == ["application-error"]


def test_ttl_stop() -> None:
    lines = ["Stopping all processes with SIGTERM", "Process exited with status 143"]
    assert ids(outcome=Outcome.TIMED_OUT, exit_status=143, stop_reason="ttl", log_lines=lines) == [
        "ttl"
    ]
    [advice] = advise(
        RunFacts("scheduler.4", "scheduler", "Standard-1X", Outcome.TIMED_OUT, 143, "ttl", 600)
    )
    assert "600 s" in advice.text
    assert "interval" in advice.text  # a scheduler job's TTL is its interval


def test_user_stop_is_harmless() -> None:
    assert ids(outcome=Outcome.TIMED_OUT, exit_status=143, stop_reason="stopped") == ["stopped"]


def test_memory() -> None:
    assert ids(outcome=Outcome.TIMED_OUT, exit_status=137, stop_reason="memory") == ["memory"]
    lines = ["Error R14 (Memory quota exceeded)"]
    assert ids(exit_status=1, log_lines=lines) == ["memory", "application-error"]
    assert ids(
        outcome=Outcome.TIMED_OUT, exit_status=None, stop_reason="ttl", log_lines=["R15"]
    ) == [
        "memory",
        "ttl",
    ]


def test_other_platform_stops() -> None:
    assert ids(outcome=Outcome.TIMED_OUT, exit_status=None, stop_reason="lost") == ["platform-stop"]


def test_no_guidance_for_successes_or_running_runs() -> None:
    assert ids(outcome=Outcome.SUCCEEDED, exit_status=0) == []
    assert ids(outcome=None, exit_status=None) == []


def test_a_run_running_long_gets_told_how_to_find_out_if_it_is_stuck() -> None:
    assert ids(outcome=None, exit_status=None, running_seconds=900.0) == ["still-running"]
    facts = RunFacts("run.7", "run", "Standard-1X", None, None, None, 3600, (), 900.0)
    [advice] = advise(facts)
    assert "running for 900 s" in advice.text
    assert "runoff logs -d run.7 --tail" in advice.text
    assert "runoff ps:stop run.7" in advice.text
    assert "TTL of 3600 s" in advice.text
