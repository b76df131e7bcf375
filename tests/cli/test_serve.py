"""``runoff server`` and ``runoff migrate`` hand over to runoff.server, imported only then."""

from __future__ import annotations

import pytest

import runoff.server
from tests.cli.conftest import Cli


def test_server_passes_host_and_port(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str | None, int | None]] = []

    def fake_main(host: str | None = None, port: int | None = None) -> int:
        calls.append((host, port))
        return 0

    monkeypatch.setattr(runoff.server, "main", fake_main)
    assert cli("server", "--host", "0.0.0.0", "--port", "5001").code == 0
    assert cli("server").code == 0
    assert calls == [("0.0.0.0", 5001), (None, None)]


def test_migrate_returns_the_migration_status(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runoff.server, "migrate_main", lambda: 3)
    assert cli("migrate").code == 3
