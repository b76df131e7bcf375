"""The real Heroku CLI's ``drains`` commands against a runoff server."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_heroku_cli import heroku_binary, heroku_env
from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer

pytestmark = pytest.mark.heroku


def test_drains_add_list_remove(api: Api, server: LiveServer, tmp_path: Path) -> None:
    env = heroku_env(server, tmp_path / "home", ADMIN_TOKEN)

    def heroku(*args: str) -> str:
        done = subprocess.run(
            [heroku_binary(), *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done
        return done.stdout + done.stderr

    api.create_app("cli-drains")
    url = "syslog+tls://logs.example.com:6514"
    assert f"Successfully added drain {url}" in heroku("drains:add", url, "-a", "cli-drains")
    https = "https://user:secret@logs.example.com/path"
    heroku("drains:add", https, "-a", "cli-drains")
    listed = heroku("drains", "-a", "cli-drains")
    assert re.search(rf"^{re.escape(url)} \(d\.[0-9a-f-]{{36}}\)$", listed, re.M)
    assert https in listed
    assert f"Successfully removed drain {https}" in heroku(
        "drains:remove", https, "-a", "cli-drains"
    )
    assert [d["url"] for d in api.get("/apps/cli-drains/log-drains").ok()] == [url]
