from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runoff.cli import config
from runoff.errors import RunoffError


def test_config_path_follows_xdg(tmp_path: Path) -> None:
    assert config.config_path({"XDG_CONFIG_HOME": "/x"}) == "/x/runoff/config.json"
    assert config.config_path({"HOME": "/home/a"}) == "/home/a/.config/runoff/config.json"
    relative = {"XDG_CONFIG_HOME": "rel", "HOME": "/home/a"}  # ignored, as the spec says
    assert config.config_path(relative) == "/home/a/.config/runoff/config.json"


def test_api_url_precedence() -> None:
    saved = {"api_url": "http://saved:1"}
    env = {"RUNOFF_API_URL": "http://env:2/"}
    assert config.api_url("http://flag:3", env, saved) == "http://flag:3"
    assert config.api_url(None, env, saved) == "http://env:2"
    assert config.api_url(None, {}, saved) == "http://saved:1"
    assert config.api_url(None, {}, {}) == config.DEFAULT_API_URL == "http://127.0.0.1:5000"


@pytest.mark.parametrize("bad", ["localhost:5000", "ftp://x", "http://", "http:///path"])
def test_api_url_must_be_http(bad: str) -> None:
    with pytest.raises(RunoffError, match="invalid API URL"):
        config.api_url(bad, {}, {})


def test_token_precedence_and_binding_to_the_saved_url() -> None:
    saved = {"api_url": "http://saved:1/", "token": "file-token"}
    assert config.token({"RUNOFF_API_KEY": "env-token"}, saved, "http://other:9") == "env-token"
    assert config.token({}, saved, "http://saved:1") == "file-token"
    assert config.token({}, saved, "http://other:9") is None
    assert config.token({"RUNOFF_API_KEY": ""}, {}, "http://saved:1") is None


def test_save_writes_0600_and_load_reads_it_back(tmp_path: Path) -> None:
    path = str(tmp_path / "cfg" / "runoff" / "config.json")
    config.save(path, {"api_url": "http://x", "token": "t"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config.load(path) == {"api_url": "http://x", "token": "t"}
    os.chmod(path, 0o644)
    config.save(path, {"api_url": "http://y"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(os.path.dirname(path))) == ["config.json"]


def test_load_missing_and_broken_files(tmp_path: Path) -> None:
    assert config.load(str(tmp_path / "missing.json")) == {}
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(RunoffError, match="cannot read the config file"):
        config.load(str(broken))
    broken.write_text("[]")
    with pytest.raises(RunoffError, match="must hold a JSON object"):
        config.load(str(broken))


def test_app_precedence(tmp_path: Path) -> None:
    nested = tmp_path / "project" / "src" / "deep"
    nested.mkdir(parents=True)
    config.link_app(str(tmp_path / "project"), "linked")
    env = {"RUNOFF_APP": "from-env"}
    assert config.app("flag", env, str(nested)) == "flag"
    assert config.app(None, env, str(nested)) == "from-env"
    assert config.app(None, {}, str(nested)) == "linked"


def test_missing_app_error(tmp_path: Path) -> None:
    with pytest.raises(RunoffError) as raised:
        config.app(None, {}, str(tmp_path))
    assert raised.value.message == "no app given: use -a APP or set RUNOFF_APP"
