"""Error handling, exit codes and start-up cost of the ``runoff`` entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runoff.cli.main import TOPICS, command_name, glue_dash_values, load_commands
from runoff.cli.main import Cli as Parser
from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi, Reply, error_reply


def test_api_error_is_one_line_on_stderr_and_exit_1(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.on("GET", "/apps/nope", error_reply(404, "Couldn't find that app.", "not_found"))
    result = cli("apps:info", "-a", "nope")
    assert (result.code, result.out, result.err) == (1, "", "runoff: Couldn't find that app.\n")


def test_unreachable_server_is_one_line(cli: Cli, tmp_path: Path) -> None:
    cli.env["RUNOFF_API_URL"] = "http://127.0.0.1:9"  # discard port: nothing listens
    result = cli("apps")
    assert result.code == 1
    assert result.err == (
        "runoff: the runoff server at http://127.0.0.1:9 is unreachable (connection refused)\n"
    )


def test_missing_app_is_one_line(cli: Cli, fake_api: FakeApi) -> None:
    result = cli("ps")
    assert (result.code, result.err) == (1, "runoff: no app given: use -a APP or set RUNOFF_APP\n")
    assert fake_api.requests == []


def test_usage_errors_exit_2(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("no-such-command").code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert cli("releases", "-a", "x", "-n", "zero").code == 2
    assert "expected a whole number >= 1" in capsys.readouterr().err


def test_usage_error_found_after_parsing_exits_2(cli: Cli) -> None:
    result = cli("config:set", "-a", "myapp", "NOEQUALS")
    assert (result.code, result.err) == (
        2,
        "runoff: 'NOEQUALS' is invalid: expected KEY=VALUE\n",
    )


def test_no_command_prints_help(cli: Cli) -> None:
    result = cli()
    assert result.code == 0
    assert result.out.startswith("usage: runoff")
    assert "run:detached" in result.out


def test_api_url_flag_works_before_and_after_the_command(cli: Cli, fake_api: FakeApi) -> None:
    cli.env["RUNOFF_API_URL"] = "http://127.0.0.1:9"
    fake_api.json("GET", "/apps", [])
    assert cli("--api-url", fake_api.url, "apps").code == 0
    assert cli("apps", "--api-url", fake_api.url).code == 0
    assert len(fake_api.requests) == 2


def test_a_non_api_failure_is_not_hidden(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.on("GET", "/apps", Reply(200, [b'{"not": "a list"}']))
    with pytest.raises(AttributeError):  # a bug shows its traceback; only RunoffError is caught
        cli("apps")


def test_every_command_has_a_summary_and_examples() -> None:
    cli = Parser()
    for name, parser in cli.parsers.items():
        assert cli.commands.commands[name].summary, name
        assert parser.epilog is not None, name
        assert "$ runoff " + name in parser.epilog, name


def test_command_name_skips_only_the_api_url_option() -> None:
    assert command_name(["ps", "-a", "x"]) == "ps"
    assert command_name(["--api-url", "http://h", "ps"]) == "ps"
    assert command_name(["--api-url=http://h", "logs"]) == "logs"
    assert command_name(["--help"]) is None
    assert command_name([]) is None


def test_every_command_is_declared_by_the_module_of_its_topic() -> None:
    for name, command in load_commands().commands.items():
        assert command.handler.__module__ == f"runoff.cli.{TOPICS[name.partition(':')[0]]}", name


def test_a_mistyped_command_in_a_known_topic_loads_every_command() -> None:
    assert list(load_commands("ps:stop").commands) == [
        "run",
        "run:detached",
        "ps",
        "ps:stop",
        "ps:restart",
        "ps:metrics",
        "ps:scale",
    ]
    assert len(load_commands("ps:stopp").commands) == len(load_commands().commands)


def test_only_the_named_command_is_built() -> None:
    assert list(Parser(only="run:detached").parsers) == ["run:detached"]
    assert len(Parser(only="no-such-command").parsers) == len(Parser().commands.commands)


def test_importing_the_cli_loads_no_server_code() -> None:
    code = (
        "import sys, runoff.cli.main\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'starlette', 'uvicorn', 'alembic', 'psycopg', 'typing', 'dataclasses')"
        " or m.startswith(('runoff.web', 'runoff.server', 'runoff.store', 'runoff.apps')))\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _glued(*argv: str) -> list[str]:
    return glue_dash_values(argv, Parser(only=command_name(argv)))


def test_a_value_starting_with_a_dash_is_joined_to_its_option() -> None:
    assert _glued("metrics:dynos", "--filter", "-state:succeeded", "-a", "x") == [
        "metrics:dynos",
        "--filter=-state:succeeded",
        "-a",
        "x",
    ]
    assert _glued("metrics", "-f", "-Hello", "--json") == ["metrics", "--filter=-Hello", "--json"]
    assert _glued("--api-url", "http://h", "metrics", "-f", "-x") == [
        "--api-url",
        "http://h",
        "metrics",
        "--filter=-x",
    ]


def test_an_option_or_a_command_line_is_never_taken_as_a_value() -> None:
    # A missing value stays a usage error rather than swallowing the next option.
    assert _glued("metrics", "--filter", "--json") == ["metrics", "--filter", "--json"]
    assert _glued("metrics", "--filter", "--range=3h") == ["metrics", "--filter", "--range=3h"]
    # run's command line (after its first positional word or "--") is left alone.
    run = ("run:detached", "-a", "x", "--", "grep", "-e", "-v")
    assert _glued(*run) == list(run)
    run = ("run:detached", "-a", "x", "grep", "--size", "-v")
    assert _glued(*run) == list(run)
    assert _glued("nosuchcommand", "-f", "-x") == ["nosuchcommand", "-f", "-x"]
