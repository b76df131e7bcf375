"""A minimal Platform API client for tests (standard library only)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    def ok(self) -> Any:
        assert 200 <= self.status < 300, f"HTTP {self.status}: {self.body}"
        return self.body


class Api:
    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def as_token(self, token: str | None) -> Api:
        return Api(self.base_url, token)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        url = path if path.startswith("http") else self.base_url + path
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/vnd.heroku+json; version=3")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if self.token is not None:
            req.add_header("Authorization", f"Bearer {self.token}")
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                payload = resp.read()
                status, resp_headers = resp.status, dict(resp.headers)
        except urllib.error.HTTPError as err:
            payload, status, resp_headers = err.read(), err.code, dict(err.headers)
        content_type = resp_headers.get("content-type", "")
        parsed: Any = payload.decode()
        if "json" in content_type and payload:
            parsed = json.loads(payload)
        return Reply(status, parsed, resp_headers)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body if body is not None else {}, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> Reply:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)

    # conveniences ----------------------------------------------------------------------------
    def create_app(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.post("/apps", {"name": name}).ok()
        return result

    def run(self, app: str, command: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.post(
            f"/apps/{app}/dynos", {"command": command, "attach": False, **fields}
        ).ok()
        return result

    def dyno(self, app: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/apps/{app}/dynos/{name}").ok()
        return result

    def wait_ended(self, app: str, name: str, timeout: float = 30) -> dict[str, Any]:
        return wait_for(
            lambda: (d := self.dyno(app, name))["ended_at"] and d, timeout, f"{name} to end"
        )

    def logs(self, app: str, **fields: Any) -> list[str]:
        """The backlog of a (non-tail) log session, as rendered lines."""
        session = self.post(f"/apps/{app}/log-sessions", {"lines": 1000, **fields}).ok()
        reply = Api(self.base_url, None).get(
            session["logplex_url"], headers={"Accept": "text/event-stream"}
        )
        assert reply.status == 200, reply
        return [
            line[len("data: ") :] for line in reply.body.splitlines() if line.startswith("data: ")
        ]

    def messages(self, app: str, **fields: Any) -> list[str]:
        """Log lines without their timestamp: ``app[run.1]: hello``."""
        return [line.split(" ", 1)[1] for line in self.logs(app, **fields)]


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
