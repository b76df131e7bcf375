"""The formation API: list, scale (batch and one type), Heroku's shapes and errors."""

from __future__ import annotations

from tests.formation.conftest import deploy_settled, running, wait_running
from tests.support.api import Api, wait_for

PROCFILE = (
    "web: echo listening on $PORT; exec sleep 600\n"
    "worker: echo working; exec sleep 600\n"
    "release: echo migrating\n"
)


def test_formation_lists_procfile_types_at_zero(api: Api) -> None:
    api.create_app("shape")
    assert api.get("/apps/shape/formation").ok() == []
    deploy_settled(api, "shape", {"Procfile": PROCFILE})
    formation = api.get("/apps/shape/formation").ok()
    assert [(f["type"], f["quantity"], f["size"]) for f in formation] == [
        ("web", 0, "Standard-1X"),
        ("worker", 0, "Standard-1X"),
    ]
    web = formation[0]
    assert web["command"] == "echo listening on $PORT; exec sleep 600"
    assert web["app"]["name"] == "shape"
    assert web["dyno_size"]["name"] == "Standard-1X"
    assert api.get(f"/apps/shape/formation/{web['id']}").ok()["type"] == "web"
    assert api.get("/apps/shape/formation/worker").ok()["quantity"] == 0


def test_batch_update_with_strings_relative_and_sizes(api: Api) -> None:
    api.create_app("scaler")
    deploy_settled(api, "scaler", {"Procfile": PROCFILE})
    reply = api.patch(
        "/apps/scaler/formation",
        {
            "updates": [
                {"type": "web", "quantity": "2", "size": "standard-2x"},
                {"type": "worker", "quantity": 1},
            ]
        },
    ).ok()
    assert {f["type"]: (f["quantity"], f["size"]) for f in reply} == {
        "web": (2, "Standard-2X"),
        "worker": (1, "Standard-1X"),
    }
    wait_running(api, "scaler", {"web.1", "web.2", "worker.1"})
    reply = api.patch(
        "/apps/scaler/formation", {"updates": [{"type": "web", "quantity": "-1"}]}
    ).ok()
    assert {f["type"]: f["quantity"] for f in reply} == {"web": 1, "worker": 1}
    one = api.patch(
        "/apps/scaler/formation/worker", {"quantity": "+1", "dyno_size": {"name": "Performance-M"}}
    ).ok()
    assert (one["quantity"], one["size"]) == (2, "Performance-M")
    found = wait_running(api, "scaler", {"web.1", "worker.1", "worker.2"})
    assert found["worker.2"]["size"] == "Performance-M"
    assert found["web.1"]["one_off"] is False
    assert found["web.1"]["command"] == "echo listening on $PORT; exec sleep 600"


def test_scale_errors(api: Api) -> None:
    api.create_app("errors")
    deploy_settled(api, "errors", {"Procfile": PROCFILE})
    missing = api.patch("/apps/errors/formation", {"updates": [{"type": "clock", "quantity": 1}]})
    assert missing.status == 404
    assert missing.body == {
        "id": "not_found",
        "message": "Couldn't find that process type (clock).",
    }
    release = api.patch("/apps/errors/formation", {"updates": [{"type": "release", "quantity": 1}]})
    assert release.status == 422
    assert "release phase" in release.body["message"]
    for bad in ({"quantity": "two"}, {"quantity": True}, {"quantity": 101}):
        reply = api.patch("/apps/errors/formation", {"updates": [{"type": "web", **bad}]})
        assert reply.status == 422, bad
        assert reply.body["id"] == "invalid_params"
    assert api.patch("/apps/errors/formation", {"type": "web"}).status == 400
    size = api.patch(
        "/apps/errors/formation", {"updates": [{"type": "web", "quantity": 1, "size": "XXL"}]}
    )
    assert size.status == 422
    assert "There is no dyno size 'XXL'" in size.body["message"]
    # nothing was applied by the failed batches
    assert {f["quantity"] for f in api.get("/apps/errors/formation").ok()} == {0}


def test_web_dynos_get_a_port_others_do_not(api: Api) -> None:
    api.create_app("ports")
    procfile = 'web: echo "port=$PORT"; exec sleep 600\nworker: echo "port=$PORT"; exec sleep 600\n'
    deploy_settled(api, "ports", {"Procfile": procfile})
    api.patch(
        "/apps/ports/formation",
        {"updates": [{"type": "web", "quantity": 2}, {"type": "worker", "quantity": 1}]},
    ).ok()
    wait_running(api, "ports", {"web.1", "web.2", "worker.1"})

    def port_lines() -> dict[str, str] | None:
        lines = [m.split(": ", 1) for m in api.messages("ports", source="app")]
        found = {dyno: text for dyno, text in lines if text.startswith("port=")}
        return found if len(found) == 3 else None

    found = wait_for(port_lines, 30, "port lines")
    ports = {found["app[web.1]"], found["app[web.2]"]}
    assert len(ports) == 2
    assert all(p.removeprefix("port=").isdigit() for p in ports)
    assert found["app[worker.1]"] == "port="


def test_scale_down_stops_the_highest_numbers(api: Api) -> None:
    api.create_app("down")
    deploy_settled(api, "down", {"Procfile": PROCFILE})
    api.patch("/apps/down/formation", {"updates": [{"type": "worker", "quantity": 3}]}).ok()
    wait_running(api, "down", {"worker.1", "worker.2", "worker.3"})
    api.patch("/apps/down/formation", {"updates": [{"type": "worker", "quantity": 1}]}).ok()
    wait_running(api, "down", {"worker.1"})
    heroku = api.messages("down", source="heroku", dyno="worker.3")
    assert heroku[-3:] == [
        "heroku[worker.3]: State changed from up to down",
        "heroku[worker.3]: Stopping all processes with SIGTERM",
        "heroku[worker.3]: Process exited with status 143",
    ]
    api.patch("/apps/down/formation", {"updates": [{"type": "worker", "quantity": 0}]}).ok()
    wait_for(lambda: not running(api, "down"), 30, "no dynos")


def test_types_dropped_by_a_deploy_are_stopped(api: Api) -> None:
    api.create_app("dropped")
    deploy_settled(api, "dropped", {"Procfile": PROCFILE})
    api.patch("/apps/dropped/formation", {"updates": [{"type": "worker", "quantity": 1}]}).ok()
    wait_running(api, "dropped", {"worker.1"})
    deploy_settled(api, "dropped", {"Procfile": "web: exec sleep 600\n"})
    wait_for(lambda: not running(api, "dropped"), 30, "worker.1 to stop")
    assert [f["type"] for f in api.get("/apps/dropped/formation").ok()] == ["web"]


def test_read_only_token_cannot_scale(api: Api, user_api: object) -> None:
    api.create_app("guarded")
    deploy_settled(api, "guarded", {"Procfile": PROCFILE})
    token = api.post("/oauth/authorizations", {"scope": ["read"]}).ok()["access_token"]["token"]
    reader = api.as_token(token)
    assert reader.get("/apps/guarded/formation").status == 200
    reply = reader.patch("/apps/guarded/formation", {"updates": [{"type": "web", "quantity": 1}]})
    assert reply.status == 403
