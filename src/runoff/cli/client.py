"""HTTP access to the runoff Platform API: JSON requests, error mapping, the log event stream.

Every API error becomes a ``RunoffError`` (the subclass matching its status) carrying the
server's ``message``; network failures become one that names the unreachable server.
"""

from __future__ import annotations

import json
import urllib.parse

from runoff import __version__
from runoff.cli import transport
from runoff.cli.sse import SseParser
from runoff.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    RunoffError,
    Unauthorized,
    Unavailable,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import IO, Any

    from runoff.cli.sse import SseEvent

ACCEPT = "application/vnd.heroku+json; version=3"
USER_AGENT = f"runoff-cli/{__version__}"
MAX_RECONNECTS = 5
_BY_STATUS = (
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Invalid,
    RateLimited,
    Unavailable,
)
_ERRORS: dict[int, type[RunoffError]] = {cls.status: cls for cls in _BY_STATUS}
_NOTHING = object()


class Unreachable(RunoffError):
    """The server could not be reached, or stopped answering (a network failure)."""


def path(*segments: str) -> str:
    """An API path from raw segments, each percent-encoded: ``path("apps", a, "dynos")``."""
    return "".join("/" + urllib.parse.quote(segment, safe="@") for segment in segments)


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _network_error(url: str, error: Exception) -> RunoffError:
    if isinstance(error, transport.ProtocolError):
        return RunoffError(f"the server at {_origin(url)} did not answer in HTTP: {error}")
    if isinstance(error, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(error, TimeoutError):
        reason = "timed out"
    elif isinstance(error, OSError) and error.strerror:
        reason = error.strerror
    else:
        reason = str(error) or type(error).__name__
    return Unreachable(f"the runoff server at {_origin(url)} is unreachable ({reason})")


def _error_message(content: bytes) -> str | None:
    try:
        body = json.loads(content)
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) and message else None


class Client:
    """Talks to one API server as one user; a new connection per request (no pooling needed
    by a CLI that makes one or two requests)."""

    def __init__(self, api_url: str, token: str | None, *, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def get(self, *segments: str, headers: Mapping[str, str] | None = None) -> Any:
        return self.request("GET", path(*segments), headers=headers)

    def post(self, *segments: str, payload: object = _NOTHING) -> Any:
        return self.request("POST", path(*segments), payload=payload)

    def patch(self, *segments: str, payload: object) -> Any:
        return self.request("PATCH", path(*segments), payload=payload)

    def delete(self, *segments: str) -> Any:
        return self.request("DELETE", path(*segments))

    def upload(
        self, *segments: str, data: IO[bytes], size: int, content_type: str, timeout: float
    ) -> Any:
        """POST ``size`` bytes read from ``data`` as the raw request body."""
        headers = {"Content-Type": content_type, "Content-Length": str(size)}
        return self.request("POST", path(*segments), data=data, headers=headers, timeout=timeout)

    def request(
        self,
        method: str,
        resource: str,
        *,
        payload: object = _NOTHING,
        data: IO[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one request to ``resource`` (a path below the API URL); the decoded JSON
        body (None when empty) or a ``RunoffError``."""
        sent = {"Accept": ACCEPT, "User-Agent": USER_AGENT}
        if self._token:
            sent["Authorization"] = f"Bearer {self._token}"
        body: bytes | IO[bytes] | None = data
        if payload is not _NOTHING:
            body = json.dumps(payload).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        url = self.api_url + resource
        try:
            response = transport.request(method, url, sent, body, timeout=timeout or self._timeout)
            try:
                content = response.read()
            finally:
                response.close()
        except (OSError, transport.ProtocolError) as error:
            raise _network_error(url, error) from None
        except ValueError as error:  # a malformed URL or header value
            raise RunoffError(f"cannot send {method} {url}: {error}") from None
        if response.status >= 400:
            raise self._api_error(response.status, response.reason, content)
        if not content.strip():
            return None
        try:
            return json.loads(content)
        except ValueError:
            raise RunoffError(f"{method} {resource}: the server's answer is not JSON") from None

    def _api_error(self, status: int, reason: str, content: bytes) -> RunoffError:
        message = _error_message(content) or f"the server answered {status} {reason}"
        if status == 401 and not self._token:
            message = (
                f"not logged in to {self.api_url}: run 'runoff login --api-url {self.api_url}' "
                "or set RUNOFF_API_KEY"
            )
        return _ERRORS.get(status, RunoffError)(message)

    def events(
        self,
        url: str,
        *,
        follow: bool,
        sleep: Callable[[float], None],
        read_timeout: float = 90.0,
    ) -> Iterator[SseEvent]:
        """The Server-Sent Events at ``url`` (absolute, or relative to the API URL).

        Sent without the ``Authorization`` header: a log stream URL carries its own secret.
        Without ``follow`` the stream ends when the server closes it. With ``follow`` a dropped
        or closed stream is reopened with ``Last-Event-ID`` after the server's ``retry`` delay;
        after ``MAX_RECONNECTS`` failures in a row, or if the first connection fails, the error
        is raised. An HTTP error status is raised at once.
        """
        target = urllib.parse.urljoin(self.api_url + "/", url)
        parser = SseParser()
        failures = 0
        connected = False
        while True:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            headers["User-Agent"] = USER_AGENT
            if parser.last_event_id:
                headers["Last-Event-ID"] = parser.last_event_id
            response = None
            try:
                response = transport.request("GET", target, headers, timeout=read_timeout)
                if response.status == 204:  # the spec's "stop reconnecting"
                    return
                if response.status >= 300:
                    raise self._api_error(response.status, response.reason, response.read())
                connected, failures = True, 0
                parser.reset()
                for line in iter(response.readline, b""):
                    event = parser.feed(line.decode("utf-8", "replace"))
                    if event is not None:
                        yield event
            except (OSError, transport.ProtocolError) as error:
                if not (follow and connected) or failures >= MAX_RECONNECTS:
                    raise _network_error(target, error) from None
                failures += 1
            except ValueError as error:
                raise RunoffError(f"cannot open {target}: {error}") from None
            finally:
                if response is not None:
                    response.close()
            if not follow:
                return
            sleep(max(parser.retry_seconds or 1.0, float(failures)))
