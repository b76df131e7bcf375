"""The platform log lines a forced stop or an exit prints, as Heroku prints them.

One-off dynos end ``complete`` whatever the reason. Formation dynos that exit on their own
``crash``; stopped ones go back to ``starting`` when the dyno manager brings them back
(restart, cycling, ps:stop, memory) and ``down`` when they are not wanted any more.
"""

from __future__ import annotations

from runoff.dynos.model import Dyno, State, StopReason

R14 = "Error R14 (Memory quota exceeded)"
R15 = "Error R15 (Memory quota vastly exceeded)"
_COMES_BACK = frozenset(
    {StopReason.RESTART, StopReason.CYCLING, StopReason.STOPPED, StopReason.MEMORY}
)


def stop_lines(dyno: Dyno, reason: StopReason) -> list[str]:
    """Lines logged when a forced stop begins, before ``Stopping all processes with SIGTERM``."""
    lines = []
    if reason in (StopReason.TTL, StopReason.CYCLING):
        lines.append("Cycling")
    elif reason is StopReason.RESTART:
        lines.append("Restarting")
    if dyno.one_off:
        target = State.COMPLETE.value
    else:
        target = "starting" if reason in _COMES_BACK else "down"
    lines.append(f"State changed from up to {target}")
    return lines


def exit_state(dyno: Dyno) -> State:
    """The state a dyno ends in when its process exits on its own."""
    return State.COMPLETE if dyno.one_off else State.CRASHED
