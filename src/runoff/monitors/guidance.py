"""Guidance for failed and timed-out runs, built from what is known about the run.

Each rule is one ``Advice`` with a stable ``id``; ``advise`` picks the ones that apply, most
specific first: memory trouble (stop reason ``memory``, or R14/R15 in its logs), a dyno that
failed before its process ran (no exit status), a command that does not exist (exit 127 or
``command not found``), another failure (exit > 0), a stop at the end of the TTL, a stop by a
user, or another forced stop by the platform; and, for a run still running past an
execution-time monitor's threshold, how to tell whether it is stuck.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from runoff.dynos.model import Outcome, StopReason


@dataclass(frozen=True)
class Advice:
    id: str
    title: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "text": self.text}


@dataclass(frozen=True)
class RunFacts:
    """What guidance looks at: the run's end and the last lines of its logs."""

    name: str
    type: str
    size: str
    outcome: Outcome | None
    exit_status: int | None
    stop_reason: str | None
    ttl_seconds: int
    log_lines: Sequence[str] = ()
    running_seconds: float | None = None  # a run still running, for that long


_MEMORY_ERROR = re.compile(r"\bR1[45]\b")
NOT_FOUND_STATUS = 127


def _memory(facts: RunFacts) -> Advice:
    return Advice(
        "memory",
        "The run exceeded its memory quota (R14/R15)",
        f"{facts.name} used more memory than a {facts.size} dyno has. Reduce what the command "
        "keeps in memory (process data in batches, stream instead of loading whole files), or "
        "run it on a bigger size, e.g. `runoff run:detached --size Performance-M ...`.",
    )


def _not_found(facts: RunFacts) -> Advice:
    return Advice(
        "command-not-found",
        "The command does not exist in the release",
        f"{facts.name} could not run its command (exit status {facts.exit_status}, or `command "
        "not found` in its logs). Check the command for a typo, and that the code it needs was "
        "deployed: `runoff releases` shows what the app runs; deploy again if it is missing.",
    )


def _not_started(facts: RunFacts) -> Advice:
    return Advice(
        "not-started",
        "The dyno could not start its process",
        f"{facts.name} failed while it was being provisioned, before its command ran (no exit "
        "status): preparing its workspace from the release's slug, or starting the process, "
        f"went wrong. The platform logged why (`Error R10 (Boot failure)`): `runoff logs -d "
        f"{facts.name}`. Run it again; if it keeps failing, check the release it ran "
        "(`runoff releases`) and the runoff server's own log.",
    )


def _app_error(facts: RunFacts) -> Advice:
    return Advice(
        "application-error",
        "The command failed",
        f"{facts.name} exited with status {facts.exit_status}: the command itself reported an "
        f"error. Read its logs (`runoff logs -d {facts.name}`) for errors and warnings, then "
        "reproduce it locally with the same config (`runoff config` shows it) and debug there.",
    )


def _ttl(facts: RunFacts) -> Advice:
    text = (
        f"{facts.name} was still running when its TTL of {facts.ttl_seconds} s ran out, so the "
        "platform stopped it (`Stopping all processes with SIGTERM`, then `Process exited with "
        "status 143`). The command took longer than its TTL, or did not exit on its own after "
        "its work was done. Test it locally and make sure it exits, or give it a longer TTL."
    )
    if "scheduler" in facts.type.lower():
        text += (
            " A scheduler job's TTL equals its interval: a job run every 10 minutes gets 600 s, "
            "so it must finish before the next one is due."
        )
    return Advice("ttl", "The run reached its time to live (TTL)", text)


def _stopped(facts: RunFacts) -> Advice:
    return Advice(
        "stopped",
        "The run was stopped by a user",
        f"Someone stopped {facts.name} (`runoff ps:stop` or the API). This forced exit is "
        "harmless if it was meant; nothing is wrong with the command itself.",
    )


def _platform(facts: RunFacts) -> Advice:
    return Advice(
        "platform-stop",
        "The platform stopped the run",
        f"{facts.name} was forced to exit ({facts.stop_reason or 'no reason recorded'}): the "
        "server restarted, cycled the dyno, or lost track of it. Run it again; if it must "
        "survive restarts, make the command safe to re-run.",
    )


def _still_running(facts: RunFacts, running_seconds: float) -> Advice:
    return Advice(
        "still-running",
        "The run is taking longer than expected",
        f"{facts.name} has been running for {running_seconds:.0f} s. Follow its logs "
        f"(`runoff logs -d {facts.name} --tail`) to see whether it is still making progress; "
        "a run that waits on a lock, a network call or input it will never get stays silent. "
        f"If it is stuck, stop it with `runoff ps:stop {facts.name}`; otherwise its TTL of "
        f"{facts.ttl_seconds} s stops it.",
    )


def _says(facts: RunFacts, needle: str) -> bool:
    return any(needle in line for line in facts.log_lines)


def advise(facts: RunFacts) -> list[Advice]:
    """The advice for a run that failed or timed out, or is still running (given how long);
    none for a success."""
    if facts.outcome is None and facts.running_seconds is not None:
        return [_still_running(facts, facts.running_seconds)]
    if facts.outcome not in (Outcome.FAILED, Outcome.TIMED_OUT):
        return []
    found: list[Advice] = []
    memory = facts.stop_reason == StopReason.MEMORY.value
    if memory or any(_MEMORY_ERROR.search(line) for line in facts.log_lines):
        found.append(_memory(facts))
    if facts.outcome is Outcome.FAILED:
        if facts.exit_status is None:
            found.append(_not_started(facts))
        elif facts.exit_status == NOT_FOUND_STATUS or _says(facts, "command not found"):
            found.append(_not_found(facts))
        else:
            found.append(_app_error(facts))
    elif facts.stop_reason == StopReason.TTL.value:
        found.append(_ttl(facts))
    elif facts.stop_reason == StopReason.STOPPED.value:
        found.append(_stopped(facts))
    elif not memory:
        found.append(_platform(facts))
    return found
