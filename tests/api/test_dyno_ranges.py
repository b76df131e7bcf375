"""``GET /apps/APP/dynos`` with Heroku's ``Range``: pages, ``Next-Range``, 206 until the last.

Dynos run on the in-memory executor (``sleep 3600`` runs until stopped).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runoff.dynos.fake import FakeExecutor
from runoff.errors import BadRequest
from runoff.ranges import Page, parse
from tests.support.api import Api, Reply
from tests.support.live import ADMIN_TOKEN, LiveServer


def header(reply: Reply, name: str) -> str | None:
    return {k.lower(): v for k, v in reply.headers.items()}.get(name.lower())


@pytest.fixture
def api(server_factory: Callable[..., LiveServer]) -> Api:
    server = server_factory(executor=FakeExecutor())
    client = Api(server.url, ADMIN_TOKEN)
    client.create_app("paged")
    for _ in range(7):
        client.run("paged", "sleep 3600")
    return client


def walk(api: Api, first: str) -> tuple[list[str], list[int]]:
    """Follow ``Next-Range`` from ``first``: every name seen, each page's status."""
    names: list[str] = []
    statuses: list[int] = []
    ask: str | None = first
    while ask is not None:
        reply = api.get("/apps/paged/dynos", headers={"Range": ask})
        statuses.append(reply.status)
        names += [dyno["name"] for dyno in reply.body]
        ask = header(reply, "Next-Range")
        assert len(statuses) < 20, "Next-Range never ends"
    return names, statuses


def test_without_range_every_dyno_in_one_answer(api: Api) -> None:
    reply = api.get("/apps/paged/dynos")
    assert reply.status == 200
    assert len(reply.body) == 7
    assert header(reply, "Next-Range") is None
    assert header(reply, "Accept-Ranges") == "id, name"


def test_pages_by_name_cover_every_dyno_once(api: Api) -> None:
    names, statuses = walk(api, "name ..; max=3")
    assert names == sorted(f"run.{i}" for i in range(1, 8))
    assert statuses == [206, 206, 200]


def test_pages_by_id_descending(api: Api) -> None:
    everything = sorted((d["id"] for d in api.get("/apps/paged/dynos").body), reverse=True)
    reply = api.get("/apps/paged/dynos", headers={"Range": "id ..; max=5, order=desc"})
    assert reply.status == 206
    assert [d["id"] for d in reply.body] == everything[:5]
    assert header(reply, "Next-Range") == f"id ]{everything[4]}..; max=5, order=desc"
    assert header(reply, "Content-Range") == f"id {everything[0]}..{everything[4]}"
    rest = api.get("/apps/paged/dynos", headers={"Range": header(reply, "Next-Range") or ""})
    assert rest.status == 200
    assert [d["id"] for d in rest.body] == everything[5:]


def test_a_page_that_holds_the_rest_is_200(api: Api) -> None:
    reply = api.get("/apps/paged/dynos", headers={"Range": "name ]run.5..; max=10"})
    assert reply.status == 200
    assert [d["name"] for d in reply.body] == ["run.6", "run.7"]
    assert header(reply, "Next-Range") is None


@pytest.mark.parametrize(
    "bad", ["version ..", "name ..; max=0", "name ..; max=x", "id ..; order=up", "id ..; a=1", "?"]
)
def test_a_bad_range_is_400(api: Api, bad: str) -> None:
    reply = api.get("/apps/paged/dynos", headers={"Range": bad})
    assert reply.status == 400
    assert reply.body["id"] == "bad_request"


def test_parse() -> None:
    assert parse("id ..", ("id",)) == Page("id")
    assert parse("name ]run.1..run.9[; max=2000", ("name",)) == Page(
        "name", first="run.1", after=True, last="run.9", before=True, limit=1000
    )
    with pytest.raises(BadRequest):
        parse("id ]" + "x" * 300 + "..", ("id",))


def test_bounds_follow_the_order() -> None:
    page = parse("name ]b..; order=desc", ("name",))
    assert page.bounds() == (None, False, "b", True)
    assert [page.holds(type("D", (), {"name": v})()) for v in ("a", "b", "c")] == [
        True,
        False,
        False,
    ]
