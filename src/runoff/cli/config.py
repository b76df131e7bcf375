"""Where the CLI finds its API URL, token and app. The one precedence rule is ``PRECEDENCE``.

Everything is read when a command asks for it, never at import time, from the environment
mapping and working directory passed in.
"""

from __future__ import annotations

import json
import os

from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_API_URL = "http://127.0.0.1:5000"
APP_FILE = ".runoff-app"
PRECEDENCE = (
    "API URL: `--api-url` > `RUNOFF_API_URL` > config file > `http://127.0.0.1:5000`; "
    "token: `RUNOFF_API_KEY` > config file (only for the URL it was saved with); "
    "app: `-a/--app` > `RUNOFF_APP` > a `.runoff-app` file in the current directory or a parent."
)
NO_APP = "no app given: use -a APP or set RUNOFF_APP"


def config_path(env: Mapping[str, str]) -> str:
    """``$XDG_CONFIG_HOME/runoff/config.json``, ``~/.config/runoff/config.json`` by default."""
    base = env.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):  # the XDG spec says relative values are to be ignored
        home = env.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".config")
    return os.path.join(base, "runoff", "config.json")


def load(path: str) -> dict[str, str]:
    """The saved settings (``api_url``, ``token``); empty if the file does not exist."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise RunoffError(f"cannot read the config file {path}: {error}") from None
    if not isinstance(data, dict):
        raise RunoffError(f"the config file {path} must hold a JSON object")
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def save(path: str, data: Mapping[str, str]) -> None:
    """Replace the config file atomically, readable by its owner only (0600)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(dict(data), file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def normalize_url(url: str) -> str:
    """``url`` without trailing slashes; an error unless it is an http(s) URL with a host."""
    cleaned = url.strip().rstrip("/")
    scheme, _, rest = cleaned.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or rest.startswith("/"):
        raise RunoffError(f"invalid API URL {url!r}: expected http://HOST[:PORT] or https://HOST")
    return cleaned


def api_url(flag: str | None, env: Mapping[str, str], saved: Mapping[str, str]) -> str:
    for candidate in (flag, env.get("RUNOFF_API_URL"), saved.get("api_url")):
        if candidate:
            return normalize_url(candidate)
    return DEFAULT_API_URL


def token(env: Mapping[str, str], saved: Mapping[str, str], url: str) -> str | None:
    """``RUNOFF_API_KEY``, else the saved token if it was saved for ``url``: a token is never
    sent to a server it was not issued by just because ``--api-url`` pointed elsewhere."""
    if env.get("RUNOFF_API_KEY"):
        return env["RUNOFF_API_KEY"]
    saved_url = saved.get("api_url")
    if saved.get("token") and saved_url and normalize_url(saved_url) == url:
        return saved["token"]
    return None


def find_app_file(start: str) -> str | None:
    """The nearest ``.runoff-app`` in ``start`` or one of its parents."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, APP_FILE)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def app(flag: str | None, env: Mapping[str, str], cwd: str) -> str:
    """The app a command acts on; an error naming the ways to give one if there is none."""
    if flag:
        return flag
    if env.get("RUNOFF_APP"):
        return env["RUNOFF_APP"]
    path = find_app_file(cwd)
    if path is not None:
        with open(path, encoding="utf-8") as file:
            words = file.read().split()
        if words:
            return words[0]
    raise RunoffError(NO_APP)


def link_app(directory: str, name: str) -> str:
    """Write ``.runoff-app`` naming ``name`` into ``directory``; returns its path."""
    path = os.path.join(directory, APP_FILE)
    with open(path, "w", encoding="utf-8") as file:
        file.write(name + "\n")
    return path
