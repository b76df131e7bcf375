"""From inside a dyno, everything a hostile app would try against the server and other apps is
denied (issue 14). The attempts run in ``probe.py``, shipped in the hostile app's slug; a
victim app has a dyno running meanwhile, with a secret in its config."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runoff.dynos.local.sandbox import APP_UID_BASE
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.slugs import deploy

PROBE = (Path(__file__).parent / "probe.py").read_text()
SERVER_SECRET = "server-environment-secret-5d1c"
VICTIM_SECRET = "victim-config-secret-93ab"
ROOT = os.geteuid() == 0


def run_probe(api: Api, app: str, probe: dict[str, Any]) -> dict[str, Any]:
    """Run probe.py in a dyno of ``app``; its JSON report."""
    # reversed, so the probe's own environment does not hold the secrets it looks for
    probe = {**probe, "secrets": [s[::-1] for s in probe["secrets"]]}
    api.request(
        "PATCH", f"/apps/{app}/config-vars", {"PROBE": json.dumps(probe), "PYTHONPATH": ""}
    ).ok()
    api.run(app, "python3 probe.py")
    api.wait_ended(app, "run.1")
    lines = [line.split(": ", 1)[1] for line in api.messages(app, source="app")]
    assert lines, "the probe printed nothing"
    try:
        report: dict[str, Any] = json.loads("".join(lines))
    except ValueError:
        raise AssertionError("\n".join(lines)) from None
    return report


@pytest.fixture
def scene(
    server_factory: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[LiveServer, Api, dict[str, Any]]]:
    """A server (with a secret in its environment), a victim app with a running dyno, and what
    the hostile app must not reach."""
    monkeypatch.setenv("RUNOFF_TEST_SERVER_SECRET", SERVER_SECRET)
    server = server_factory()
    api = Api(server.url, ADMIN_TOKEN)
    data = server.settings.data_dir
    (data / "admin-token").write_text(ADMIN_TOKEN + "\n")
    host_tmp = Path("/tmp") / f"runoff-isolation-{os.getpid()}"
    host_tmp.write_text(SERVER_SECRET)
    api.create_app("victim")
    deploy(api, "victim", {"victim.txt": VICTIM_SECRET})
    api.request("PATCH", "/apps/victim/config-vars", {"SECRET_KEY": VICTIM_SECRET}).ok()
    victim = api.run("victim", "sleep 300")
    wait_for(lambda: api.dyno("victim", "run.1")["state"] == "up")
    slug_cache = sorted((data / "slug-cache").iterdir())
    url = server.settings.database_url
    database = [url.removeprefix("sqlite:///")] if url.startswith("sqlite:///") else []
    paths = [
        str(data),
        *database,
        str(data / "admin-token"),
        *(str(p) for p in (data / "tls").glob("*")),
        *(str(p) for p in slug_cache),
        str(data / "dynos" / victim["id"] / "app"),
        str(data / "dynos" / victim["id"] / "app" / "victim.txt"),
        str(data / "slug-cache"),
        str(tmp_path),
        str(host_tmp),
        sys.prefix,
        str(Path(__file__).parent),
        "/root",
        "/home",
        "/etc/shadow",
        "/etc/ssl/private",
        "/sys/fs/cgroup",
        "/run",
        "/var/lib",
        "/var/run",
        "/dev/sda",
        "/dev/mem",
        "/dev/kmsg",
        "/proc/kcore",
        "/proc/sysrq-trigger",
    ]
    for path in paths[:6]:  # what the server holds is really there, out of the dyno's sight
        assert Path(path).exists(), path
    api.create_app("hostile")
    deploy(api, "hostile", {"probe.py": PROBE})
    probe = {
        "paths": paths,
        "secrets": [SERVER_SECRET, VICTIM_SECRET, ADMIN_TOKEN],
        "pid": os.getpid(),
        "api": server.url,
    }
    yield server, api, probe
    host_tmp.unlink(missing_ok=True)


def test_every_attempt_on_the_server_and_other_apps_is_denied(
    scene: tuple[LiveServer, Api, dict[str, Any]],
) -> None:
    _, api, probe = scene
    report = run_probe(api, "hostile", probe)
    leaks = {name: what for name, what in report["denied"].items() if what is not True}
    assert leaks == {}
    # every path and secret was tried
    assert len([k for k in report["denied"] if k.startswith("hidden ")]) == len(probe["paths"])


def test_a_dyno_is_an_unprivileged_user_with_its_own_view(
    scene: tuple[LiveServer, Api, dict[str, Any]],
) -> None:
    _, api, probe = scene
    facts = run_probe(api, "hostile", probe)["facts"]
    dyno = api.dyno("hostile", "run.1")
    assert facts["uid"] != 0
    assert facts["user"] == f"u{facts['uid']}"
    assert facts["groups"] in ([], [facts["gid"]])
    assert facts["caps"] == ["0000000000000000"] * 5
    assert facts["no_new_privs"] == "1"
    assert facts["seccomp"] == "2"  # filtering
    assert facts["hostname"] == dyno["id"]
    assert facts["cwd"] == "/app"
    # its own processes only: the sandbox's init (1), bash (2) ... python, whoami
    assert facts["processes"][:2] == [1, 2]
    assert max(facts["processes"]) < 50
    assert {"app", "dev", "etc", "proc", "tmp", "usr"} <= set(facts["root"]) <= {
        "app", "bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp",
        "usr", "var",
    }  # fmt: skip
    assert {"null", "zero", "random", "urandom", "tty", "pts"} <= set(facts["dev"])
    assert not {"sda", "mem", "kmsg", "vda", "loop0"} & set(facts["dev"])
    # the environment: its config, the platform's variables, and bash's own (``bash -c``
    # drops PS1, which interactive shells get from /etc/bash.bashrc)
    assert set(facts["env"]) == {
        "PROBE", "PYTHONPATH", "DYNO", "PATH", "LANG", "HOME", "RUNOFF_DYNO_ID",
        "PWD", "SHLVL", "_",
    }  # fmt: skip


@pytest.mark.skipif(not ROOT, reason="per-app users need the server to run as root")
def test_apps_run_as_different_users(scene: tuple[LiveServer, Api, dict[str, Any]]) -> None:
    _, api, probe = scene
    mine = run_probe(api, "hostile", probe)["facts"]["uid"]
    api.run("victim", "id -u")
    api.wait_ended("victim", "run.2")
    theirs = int(api.messages("victim", source="app", dyno="run.2")[0].split(": ", 1)[1])
    assert mine != theirs
    assert mine >= APP_UID_BASE
    assert theirs >= APP_UID_BASE
