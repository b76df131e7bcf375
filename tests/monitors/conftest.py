"""Fixtures for monitors and alerts: a loopback SMTP inbox and a server that mails to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runoff.dynos.fake import FakeExecutor
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.smtp import Inbox, Received

METRICS = "/apps/{app}/one-off-metrics"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox().start()
    yield box
    box.stop()


@pytest.fixture
def mail_server(server_factory: Callable[..., LiveServer], inbox: Inbox) -> LiveServer:
    """Dynos run on the fake executor: the monitors and alerts are the point here, and the
    fake keeps the local executor's contract (tests/dynos/contract)."""
    return server_factory(executor=FakeExecutor(), smtp_url=inbox.url, alert_retry_seconds=0.2)


@pytest.fixture
def mapi(mail_server: LiveServer) -> Api:
    """The admin's client on a server whose alert e-mail goes to ``inbox``."""
    return Api(mail_server.url, ADMIN_TOKEN)


def monitored_app(api: Api, name: str, plan: str = "basic") -> str:
    api.create_app(name)
    api.post(f"/apps/{name}/addons", {"plan": f"one-off-metrics:{plan}"}).ok()
    return name


def create_monitor(api: Api, app: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.post(f"{METRICS.format(app=app)}/monitors", fields).ok()
    return result


def wait_mail(inbox: Inbox, count: int, timeout: float = 30) -> list[Received]:
    return wait_for(
        lambda: (found := inbox.messages()) and len(found) >= count and found,
        timeout,
        f"{count} e-mail(s)",
    )
