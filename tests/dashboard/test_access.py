"""Signing in, sessions, per-app authorization and CSRF, over plain HTTP (and, for a real
cross-site form and a stranger's session, in the browser)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.dashboard.conftest import screenshot
from tests.dashboard.seed import Seeded
from tests.dashboard.web import WebClient
from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer

MONITORS = "/dashboard/apps/shop/monitors"


@pytest.fixture
def mallory(server: LiveServer, user_api: Callable[[str], Api]) -> WebClient:
    """A user who is no collaborator of shop, with an app of her own."""
    her = user_api("mallory")
    her.create_app("mallorys")
    client = WebClient(server.url)
    assert client.login(her.token or "").status == 303
    return client


def _monitor_names(api: Api) -> list[str]:
    return [m["name"] for m in api.get("/apps/shop/one-off-metrics/monitors").ok()]


def test_pages_need_a_session_and_say_nothing_about_apps(
    server: LiveServer, seeded: Seeded
) -> None:
    client = WebClient(server.url)
    for path in ("/apps/shop/one-off-metrics", "/apps/nosuchapp/one-off-metrics"):
        reply = client.get(path)
        assert reply.status == 303
        assert reply.location.startswith("/dashboard/login?next=%2Fapps%2F")
    data = client.get("/dashboard/data/apps/shop/one-off-metrics/throughput")
    assert data.status == 401
    assert client.get("/").location == "/dashboard"


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(
    server: LiveServer, seeded: Seeded
) -> None:
    client = WebClient(server.url)
    bad = client.login("not-a-token")
    assert bad.status == 401
    assert "not valid" in bad.text
    assert "runoff_session" not in client.cookies
    good = client.login(ADMIN_TOKEN)
    assert good.status == 303
    assert good.location == "/dashboard"
    cookie = next(c for c in good.set_cookies() if c.startswith("runoff_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback; set over https
    assert client.get("/apps/shop/one-off-metrics").status == 200
    stolen = dict(client.cookies)
    token = client.csrf_token()
    assert client.post("/dashboard/logout", {"csrf_token": token}).status == 303
    replay = WebClient(server.url, stolen)
    assert replay.get("/apps/shop/one-off-metrics").status == 303  # the session is gone


def test_login_form_is_protected_against_forged_sign_ins(server: LiveServer) -> None:
    client = WebClient(server.url)
    client.get("/dashboard/login")
    forged = client.post("/dashboard/login", {"nonce": "guess", "token": ADMIN_TOKEN})
    assert forged.status == 403
    bare = WebClient(server.url).post("/dashboard/login", {"token": ADMIN_TOKEN})
    assert bare.status == 403
    assert "runoff_session" not in client.cookies


def test_login_only_redirects_within_the_site(server: LiveServer) -> None:
    client = WebClient(server.url)
    page = client.get("/dashboard/login?next=//evil.example/x")
    assert 'name="next" value="/dashboard"' in page.text
    nonce = client.cookies["runoff_signin"]
    reply = client.post(
        "/dashboard/login", {"nonce": nonce, "token": ADMIN_TOKEN, "next": "https://evil.example"}
    )
    assert reply.location == "/dashboard"


def test_a_revoked_token_ends_its_sessions(server: LiveServer, api: Api, seeded: Seeded) -> None:
    made = api.post("/oauth/authorizations", {"description": "dash", "scope": ["read"]}).ok()
    client = WebClient(server.url)
    assert client.login(made["access_token"]["token"]).status == 303
    assert client.get("/dashboard/apps/shop").status == 200
    api.delete(f"/oauth/authorizations/{made['id']}").ok()
    assert client.get("/dashboard/apps/shop").status == 303


def test_a_stranger_sees_nothing_of_the_app(
    server: LiveServer, seeded: Seeded, mallory: WebClient
) -> None:
    assert "shop" not in mallory.get("/dashboard").text
    pages = ["/apps/shop/one-off-metrics", "/dashboard/apps/shop", "/dashboard/apps/shop/alerts",
             f"/dashboard/apps/shop/dynos/{seeded.names['xss']}", MONITORS,
             "/dashboard/apps/shop/memory", "/dashboard/apps/shop/monitors/new"]  # fmt: skip
    for path in pages:
        reply = mallory.get(path)
        assert reply.status == 404, path
        assert "find that app: shop" in reply.text
        assert "scrape" not in reply.text
        assert "run." not in reply.text
    unknown = mallory.get("/dashboard/apps/nosuchapp")
    assert unknown.status == 404
    assert "find that app: nosuchapp" in unknown.text
    for path in ("/dashboard/data/apps/shop/one-off-metrics/events",
                 "/dashboard/data/apps/shop/one-off-metrics/runs",
                 f"/dashboard/data/apps/shop/dynos/{seeded.names['xss']}",
                 f"/dashboard/data/apps/shop/dynos/{seeded.names['xss']}/logs",
                 "/dashboard/data/apps/shop/memory"):  # fmt: skip
        assert mallory.get(path).status == 404, path
    token = mallory.csrf_token()
    forged = mallory.post(MONITORS, {"csrf_token": token, "type": "command-failure"})
    assert forged.status == 404


def test_an_app_bound_or_read_only_token_is_limited_as_in_the_api(
    server: LiveServer, api: Api, seeded: Seeded
) -> None:
    other = api.create_app("other")
    bound = api.post(
        "/oauth/authorizations", {"scope": ["read"], "app": other["id"], "description": "b"}
    ).ok()
    client = WebClient(server.url)
    client.login(bound["access_token"]["token"])
    assert client.get("/dashboard/apps/shop").status == 404
    assert client.get("/dashboard/apps/other").status == 200
    assert "shop" not in client.get("/dashboard").text
    reader = api.post("/oauth/authorizations", {"scope": ["read"], "description": "r"}).ok()
    client = WebClient(server.url)
    client.login(reader["access_token"]["token"])
    assert client.get(MONITORS).status == 200
    token = client.csrf_token(MONITORS)
    denied = client.post(MONITORS, {"csrf_token": token, "type": "command-failure"})
    assert denied.status == 403
    assert "scope" in denied.text
    assert _monitor_names(api) == []


def test_state_changes_need_the_csrf_token_and_a_same_site_origin(
    server: LiveServer, api: Api, seeded: Seeded, admin: WebClient
) -> None:
    form = {"type": "command-failure", "name": "from-a-form", "enabled": "on"}
    assert admin.post(MONITORS, form).status == 403
    assert admin.post(MONITORS, {**form, "csrf_token": "wrong"}).status == 403
    token = admin.csrf_token(MONITORS)
    elsewhere = admin.post(
        MONITORS, {**form, "csrf_token": token}, headers={"Origin": "http://evil.example"}
    )
    assert elsewhere.status == 403
    cross = admin.post(
        MONITORS, {**form, "csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status == 403
    assert _monitor_names(api) == []
    ours = admin.post(MONITORS, {**form, "csrf_token": token}, headers={"Origin": server.url})
    assert ours.status == 303
    assert ours.location.endswith("/monitors?notice=created")
    assert _monitor_names(api) == ["from-a-form"]
    # scripts send the token as a header
    assert admin.post(f"{MONITORS}/from-a-form/disable", {}).status == 403
    scripted = admin.post(f"{MONITORS}/from-a-form/disable", {}, headers={"X-CSRF-Token": token})
    assert scripted.status == 303
    assert api.get("/apps/shop/one-off-metrics/monitors/from-a-form").ok()["enabled"] is False


def test_the_api_never_accepts_the_session_cookie(
    server: LiveServer, seeded: Seeded, admin: WebClient
) -> None:
    reply = admin.request(
        "POST",
        "/apps/shop/one-off-metrics/monitors",
        body=b'{"type": "command-failure"}',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 401
    assert admin.get("/apps/shop/one-off-metrics/monitors").status == 401
    # while a bearer token still reaches every JSON path
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    plain = WebClient(server.url)
    assert plain.get("/apps/shop/one-off-metrics/throughput?range=3h", headers=bearer).status == 200
    assert plain.get("/apps/shop/one-off-metrics/dynos", headers=bearer).status == 200


@pytest.fixture
def attacker_site() -> Iterator[Callable[[str], str]]:
    """A page on another local port; ``publish(html)`` serves it and returns its URL."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()

    def publish(html: str) -> str:
        pages["/attack.html"] = html.encode()
        return f"http://127.0.0.1:{site.server_address[1]}/attack.html"

    yield publish
    site.shutdown()
    site.server_close()


@pytest.mark.browser
def test_a_form_posted_from_another_site_is_refused(
    new_page: Any,
    server: LiveServer,
    api: Api,
    seeded: Seeded,
    attacker_site: Callable[[str], str],
) -> None:
    page = new_page()  # logged in: the browser holds the session cookie
    url = attacker_site(
        f"""<form id="f" method="post" action="{server.url}{MONITORS}">
        <input name="type" value="command-failure"><input name="name" value="planted">
        <input name="csrf_token" value="guessed"></form>
        <script>document.getElementById('f').submit()</script>"""
    )
    page.goto(url)
    page.wait_for_url(f"{server.url}{MONITORS}")
    assert "CSRF" in page.locator(".error-message").inner_text()
    screenshot(page, "csrf-refused")
    assert _monitor_names(api) == []


@pytest.mark.browser
def test_a_strangers_browser_session_sees_nothing(
    new_page: Any, server: LiveServer, user_api: Callable[[str], Api], seeded: Seeded
) -> None:
    her = user_api("mallory")
    page = new_page(her.token)
    page.goto(f"{server.url}/apps/shop/one-off-metrics")
    assert page.locator("h1").inner_text() == "Not found"
    assert page.locator("#plot-events").count() == 0
    screenshot(page, "stranger-not-found")
    reply = page.request.get(f"{server.url}/dashboard/data/apps/shop/one-off-metrics/events")
    assert reply.status == 404


def test_a_team_apps_pages_name_the_team(server: LiveServer, api: Api, admin: WebClient) -> None:
    api.post("/teams", {"name": "ops"}).ok()
    api.post("/teams/apps", {"team": "ops", "name": "ops-app"}).ok()
    api.create_app("own-app")
    team_page = admin.get("/dashboard/apps/ops-app")
    assert team_page.status == 200
    assert '<a href="/dashboard">ops</a>' in team_page.text
    own_page = admin.get("/dashboard/apps/own-app")
    assert '<a href="/dashboard">Personal</a>' in own_page.text
