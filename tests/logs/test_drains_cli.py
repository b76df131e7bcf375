"""``runoff drains``, ``drains:add``, ``drains:remove`` against a live server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN
from tests.support.runcli import CliResult, run_cli


def test_drains_commands(api: Api, tmp_path: Path) -> None:
    api.create_app("clidrains")

    def runoff(*argv: str) -> CliResult:
        return run_cli(api.base_url, ADMIN_TOKEN, tmp_path, *argv, "-a", "clidrains")

    assert runoff("drains").out == "clidrains has no drains.\n"
    added = runoff("drains:add", "syslog://logs.example.com:514")
    assert (added.code, added.out) == (
        0,
        "Successfully added drain syslog://logs.example.com:514\n",
    )
    token = json.loads(runoff("drains", "--json").out)[0]["token"]
    assert runoff("drains").out == f"=== Drains\nsyslog://logs.example.com:514 ({token})\n"
    bad = runoff("drains:add", "ftp://nope")
    assert bad.code == 1
    assert bad.err.startswith("runoff: Unsupported drain URL scheme 'ftp'")
    removed = runoff("drains:remove", token)
    assert removed.out == "Successfully removed drain syslog://logs.example.com:514\n"
    missing = runoff("drains:remove", token)
    assert (missing.code, missing.err) == (1, f"runoff: Couldn't find that log drain: {token}\n")
