"""The fake executor's tiny shell reads the commands tests give it as bash would."""

from __future__ import annotations

from runoff.dynos.fake import Script, shell


def test_echo_sleep_and_exit() -> None:
    assert shell("echo one two; sleep 1.5 && exit 3", {}) == Script(
        output=[b"one two\n"], runs_for=1.5, exit_status=3
    )


def test_variables_come_from_the_environment() -> None:
    assert shell('echo "$GREETING, ${NAME}!"; printenv NAME', {"GREETING": "hi", "NAME": "x"}) == (
        Script(output=[b"hi, x!\n", b"x\n"])
    )


def test_exec_false_and_unknown_commands() -> None:
    assert shell("exec sleep 600", {}).runs_for == 600
    assert shell("false", {}).exit_status == 1
    unknown = shell("echo before; python3 missing.py", {})
    assert unknown.exit_status == 127
    assert unknown.output == [b"before\n", b"bash: python3: command not found\n"]
    assert shell("echo 'unterminated", {}).exit_status == 2
