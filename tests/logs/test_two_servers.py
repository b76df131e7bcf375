"""Two servers sharing one database both run dynos: their log lines never collide."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer


def test_two_servers_log_without_collisions(server_factory: Callable[..., LiveServer]) -> None:
    first = Api(server_factory().url, ADMIN_TOKEN)
    second = Api(server_factory().url, ADMIN_TOKEN)
    first.create_app("shared-logs")
    first.run("shared-logs", "for i in 1 2 3; do echo one-$i; done")
    second.run("shared-logs", "for i in 1 2 3; do echo two-$i; done")
    first.wait_ended("shared-logs", "run.1")
    second.wait_ended("shared-logs", "run.2")
    for api in (first, second):
        lines = api.messages("shared-logs", source="app")
        assert sorted(lines) == sorted(
            [f"app[run.1]: one-{i}" for i in (1, 2, 3)]
            + [f"app[run.2]: two-{i}" for i in (1, 2, 3)]
        )
        assert [ln for ln in lines if "run.1" in ln] == [f"app[run.1]: one-{i}" for i in (1, 2, 3)]
