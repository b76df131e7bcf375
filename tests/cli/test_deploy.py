from __future__ import annotations

import io
import tarfile

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi, error_reply

SLUG = {
    "id": "5e1a2b3c-0000-0000-0000-000000000000",
    "checksum": "SHA256:abc",
    "size": 1234,
    "process_types": {"web": "python app.py", "worker": "python worker.py"},
    "created_at": "2026-11-23T10:00:00Z",
}
RELEASE = {
    "id": "r3",
    "version": 3,
    "description": "Nightly",
    "status": "succeeded",
    "current": True,
}


def test_deploy_uploads_the_slug_then_releases_it(cli: Cli, fake_api: FakeApi) -> None:
    (cli.cwd / "Procfile").write_text("web: python app.py\nworker: python worker.py\n")
    (cli.cwd / "app.py").write_text("print('hi')\n")
    (cli.cwd / ".git").mkdir()
    (cli.cwd / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    fake_api.json("POST", "/apps/myapp/slugs", SLUG, 201)
    fake_api.json("POST", "/apps/myapp/releases", RELEASE, 201)
    result = cli("deploy", "-a", "myapp", "-m", "Nightly")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Deploying myapp... done, v3"
    assert lines[1].startswith("Packed 2 files (")
    assert lines[2] == "Procfile declares types -> web, worker"
    upload, release = fake_api.requests
    assert (upload.method, upload.path) == ("POST", "/apps/myapp/slugs")
    assert upload.headers["content-type"] == "application/gzip"
    assert upload.headers["authorization"] == "Bearer tok-alice"
    with tarfile.open(fileobj=io.BytesIO(upload.body), mode="r:gz") as tar:
        assert sorted(tar.getnames()) == ["Procfile", "app.py"]
    assert release.json() == {"slug": SLUG["id"], "description": "Nightly"}


def test_deploy_another_directory_without_description(cli: Cli, fake_api: FakeApi) -> None:
    build = cli.cwd / "build"
    build.mkdir()
    (build / "run.sh").write_text("echo hi\n")
    fake_api.json("POST", "/apps/myapp/slugs", {**SLUG, "process_types": {}}, 201)
    fake_api.json("POST", "/apps/myapp/releases", {**RELEASE, "status": "failed"}, 201)
    result = cli("deploy", "build", "-a", "myapp")
    assert result.out.splitlines()[0] == "Deploying myapp... done, v3 (failed)"
    assert result.out.splitlines()[2] == "Procfile declares no process types"
    upload, release = fake_api.requests
    with tarfile.open(fileobj=io.BytesIO(upload.body), mode="r:gz") as tar:
        assert tar.getnames() == ["run.sh"]
    assert release.json() == {"slug": SLUG["id"]}


def test_deploy_shows_a_bad_procfile_message(cli: Cli, fake_api: FakeApi) -> None:
    (cli.cwd / "Procfile").write_text("web python app.py\n")
    message = "Procfile line 1: expected `<process type>: <command>`, got 'web python app.py'"
    fake_api.on("POST", "/apps/myapp/slugs", error_reply(422, message, "invalid_procfile"))
    result = cli("deploy", "-a", "myapp")
    assert (result.code, result.out, result.err) == (1, "", f"runoff: {message}\n")
    assert len(fake_api.requests) == 1


def test_deploy_a_missing_directory(cli: Cli, fake_api: FakeApi) -> None:
    result = cli("deploy", "nowhere", "-a", "myapp")
    assert result.err == f"runoff: cannot deploy {cli.cwd / 'nowhere'}: not a directory\n"
    assert fake_api.requests == []
