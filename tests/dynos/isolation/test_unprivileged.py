"""The sandbox with the server as an ordinary user (user namespaces, no cgroups, copied
workspaces): the local executor runs in a child process as ``nobody``. (When the whole suite
runs as an ordinary user, every other test checks this mode too.)"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import runoff

CHILD = Path(__file__).parent / "unprivileged_child.py"
SOURCE = Path(runoff.__file__).parent.parent
PYTHON = "/usr/bin/python3"  # the venv's interpreter may live where nobody can read

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path(PYTHON).exists(), reason="needs root to become nobody"
)


@pytest.fixture
def nobody_dir() -> Iterator[Path]:
    """A data dir that belongs to nobody, with a slug in it."""
    user = pwd.getpwnam("nobody")
    path = Path(tempfile.mkdtemp(prefix="runoff-nobody-"))
    (path / "slug").mkdir()
    (path / "slug" / "slugfile").write_text("original\n")
    (path / "runoff.db").write_text("the server's database\n")
    for item in [path, *path.rglob("*")]:
        os.chown(item, user.pw_uid, user.pw_gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_dynos_of_an_unprivileged_server_are_sandboxed_and_cleaned_up(nobody_dir: Path) -> None:
    user = pwd.getpwnam("nobody")
    done = subprocess.run(
        [PYTHON, str(CHILD), str(nobody_dir)],
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SOURCE), "HOME": str(nobody_dir)},
        cwd=nobody_dir,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert report["uid"] == user.pw_uid
    assert report["isolation"] == "sandbox"
    lines = report["lines"]
    assert lines[0] == str(user.pw_uid)  # the server's own uid, inside a user namespace
    assert lines[1:6] == [
        "original",
        "changed",
        "hi",
        "/app",
        f"ls: cannot access '{nobody_dir}': No such file or directory",
    ]
    assert int(lines[6]) < 10  # its own processes only
    assert report["status"] == 5
    assert report["slug_after"] == "original\n"  # a copy, not the slug
    assert report["daemon_running"]
    assert report["signalled"] >= 1
    assert report["term_status"] == 143  # the command's status, not the sandbox's
    assert not report["daemon_after_cleanup"]
    assert not report["alive_after_cleanup"]
    assert (report["tty"], report["tty_status"]) == ("/dev/console", 3)  # attached, on a pty
