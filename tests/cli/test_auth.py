from __future__ import annotations

import json
import os
import stat

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi, error_reply

ACCOUNT = {"id": "u1", "email": "alice@example.com"}
AUTHORIZATION = {
    "id": "830d64b9-fd52-4d95",
    "description": "Platform API example token",
    "scope": ["global"],
    "client": None,
    "access_token": {"id": "830d64b9-fd52-4d95", "token": "1d82fc23", "expires_in": None},
}


def logged_out(cli: Cli) -> Cli:
    del cli.env["RUNOFF_API_KEY"]
    del cli.env["RUNOFF_API_URL"]
    return cli


def config_file(cli: Cli) -> str:
    return os.path.join(cli.env["XDG_CONFIG_HOME"], "runoff", "config.json")


def test_login_checks_the_token_and_saves_it_0600(cli: Cli, fake_api: FakeApi) -> None:
    logged_out(cli)
    fake_api.json("GET", "/account", ACCOUNT)
    result = cli("login", "--api-url", fake_api.url + "/", "--token", "tok-new")
    assert result.out == f"Logged in to {fake_api.url} as alice@example.com\n"
    assert fake_api.only().headers["authorization"] == "Bearer tok-new"
    with open(config_file(cli)) as file:
        assert json.load(file) == {"api_url": fake_api.url, "token": "tok-new"}
    assert stat.S_IMODE(os.stat(config_file(cli)).st_mode) == 0o600

    fake_api.json("GET", "/apps", [])
    assert cli("apps").code == 0  # URL and token now come from the file
    assert fake_api.requests[-1].headers["authorization"] == "Bearer tok-new"


def test_login_reads_the_token_from_stdin(cli: Cli, fake_api: FakeApi) -> None:
    logged_out(cli)
    fake_api.json("GET", "/account", ACCOUNT)
    assert cli("login", "--api-url", fake_api.url, stdin="tok-piped\n").code == 0
    assert fake_api.only().headers["authorization"] == "Bearer tok-piped"


def test_login_with_a_bad_token_saves_nothing(cli: Cli, fake_api: FakeApi) -> None:
    logged_out(cli)
    fake_api.on(
        "GET", "/account", error_reply(401, "Invalid credentials provided.", "unauthorized")
    )
    result = cli("login", "--api-url", fake_api.url, "--token", "wrong")
    assert (result.code, result.err) == (1, "runoff: Invalid credentials provided.\n")
    assert not os.path.exists(config_file(cli))


def test_login_without_any_token(cli: Cli, fake_api: FakeApi) -> None:
    result = cli("login", stdin="")
    assert result.err == "runoff: no token given: use --token TOKEN or pass it on stdin\n"


def test_saved_token_is_not_sent_to_another_server(cli: Cli, fake_api: FakeApi) -> None:
    logged_out(cli)
    fake_api.json("GET", "/account", ACCOUNT)
    cli("login", "--api-url", "http://127.0.0.1:9", "--token", "t")  # unreachable: not saved
    cli("login", "--api-url", fake_api.url, "--token", "tok-saved")
    fake_api.on("GET", "/apps", error_reply(401, "Invalid credentials provided.", "unauthorized"))
    other = fake_api.url.replace("127.0.0.1", "localhost")
    result = cli("apps", "--api-url", other)
    assert "authorization" not in fake_api.requests[-1].headers
    assert result.err == (
        f"runoff: not logged in to {other}: run 'runoff login --api-url {other}' "
        "or set RUNOFF_API_KEY\n"
    )


def test_logout_forgets_the_token(cli: Cli, fake_api: FakeApi) -> None:
    logged_out(cli)
    fake_api.json("GET", "/account", ACCOUNT)
    cli("login", "--api-url", fake_api.url, "--token", "tok")
    assert cli("logout").out == f"Logged out of {fake_api.url}\n"
    with open(config_file(cli)) as file:
        assert json.load(file) == {"api_url": fake_api.url}


def test_whoami(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/account", ACCOUNT)
    assert cli("auth:whoami").out == "alice@example.com\n"


def test_authorizations_create_prints_like_heroku(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/oauth/authorizations", AUTHORIZATION, 201)
    result = cli("authorizations:create", "-d", "Platform API example token")
    assert result.out == (
        "Creating OAuth Authorization... done\n"
        "Client:      <none>\n"
        "ID:          830d64b9-fd52-4d95\n"
        "Description: Platform API example token\n"
        "Scope:       global\n"
        "Token:       1d82fc23\n"
    )
    assert fake_api.only().json() == {"description": "Platform API example token"}


def test_authorizations_create_scope_and_expiry(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/oauth/authorizations", AUTHORIZATION, 201)
    cli("authorizations:create", "-d", "restart", "-s", "read, write", "-e", "3600")
    assert fake_api.only().json() == {
        "description": "restart",
        "scope": ["read", "write"],
        "expires_in": 3600,
    }


def test_authorizations_list_and_revoke(cli: Cli, fake_api: FakeApi) -> None:
    listed = {**AUTHORIZATION, "access_token": None}
    fake_api.json("GET", "/oauth/authorizations", [listed])
    fake_api.json("DELETE", "/oauth/authorizations/830d64b9-fd52-4d95", listed)
    assert cli("authorizations").out == ("Platform API example token  830d64b9-fd52-4d95  global\n")
    assert cli("authorizations:revoke", "830d64b9-fd52-4d95").out == (
        "Revoking OAuth Authorization 830d64b9-fd52-4d95... done\n"
    )


def test_users_create_shows_the_token_once(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json(
        "POST",
        "/users",
        {"id": "u2", "email": "bob@example.com", "access_token": {"token": "tok-bob"}},
        201,
    )
    result = cli("users:create", "bob@example.com")
    assert result.out == (
        "Creating user bob@example.com... done\nID:    u2\nEmail: bob@example.com\nToken: tok-bob\n"
    )
    assert "shown only this once" in result.err
    assert fake_api.only().json() == {"email": "bob@example.com"}


def test_users_create_needs_an_admin(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.on("POST", "/users", error_reply(403, "Only an admin can create users.", "forbidden"))
    result = cli("users:create", "bob@example.com")
    assert (result.code, result.err) == (1, "runoff: Only an admin can create users.\n")
