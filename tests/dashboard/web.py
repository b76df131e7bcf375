"""A cookie-keeping HTTP client for the dashboard tests that need no browser (redirects are
not followed, so tests see them)."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def set_cookies(self) -> list[str]:
        return self.headers.get_all("set-cookie") or []


@dataclass
class WebClient:
    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        sent: dict[str, Any] = dict(headers or {})
        if form is not None:
            body = urlencode(form).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        reply = Reply(response.status, response.headers, response.read().decode())
        conn.close()
        for header in reply.set_cookies():
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict[str, str] | None = None, **kw: Any) -> Reply:
        return self.request("POST", path, form=form, **kw)

    def login(self, token: str) -> Reply:
        page = self.get("/dashboard/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
        assert nonce, page.text
        return self.post("/dashboard/login", {"nonce": nonce.group(1), "token": token})

    def csrf_token(self, path: str = "/dashboard") -> str:
        page = self.get(path)
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)
