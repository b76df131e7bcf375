"""The sandbox's parts built once per server: app uids, the /etc tree, the seccomp program."""

from __future__ import annotations

import os
from pathlib import Path

from runoff.dynos.local import seccomp
from runoff.dynos.local.sandbox import APP_UID_BASE, APP_UID_SPAN, Sandbox, app_uid


def test_app_uids_are_stable_unprivileged_and_distinct() -> None:
    uids = {app_uid(f"app-{n}") for n in range(2000)}
    assert len(uids) == 2000
    assert all(APP_UID_BASE <= uid < APP_UID_BASE + APP_UID_SPAN < 2**31 for uid in uids)
    assert app_uid("app-1") == app_uid("app-1")


def test_the_etc_tree_holds_no_secret_of_the_host(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path / "sandbox")
    etc = next((tmp_path / "sandbox").glob("etc-*"))
    names = {str(path.relative_to(etc)) for path in etc.rglob("*")}
    assert {"passwd", "group", "nsswitch.conf", "bash.bashrc", "hosts"} <= names
    assert not {"shadow", "gshadow", "ssl/private", "sudoers", "machine-id"} & names
    assert not any(name.startswith(("ssh", "ssl/private")) for name in names)
    # a second server on the same data dir reuses it
    assert Sandbox(tmp_path / "sandbox")._etc == sandbox._etc == etc
    uid, gid = sandbox.user("an-app")
    assert (uid, gid) == (
        (app_uid("an-app"),) * 2 if os.geteuid() == 0 else (os.getuid(), os.getgid())
    )
    passwd = (sandbox._user_files(uid, gid) / "passwd").read_text()
    assert f"u{uid}:x:{uid}:{gid}:dyno:/app:/bin/bash" in passwd.splitlines()


def test_the_seccomp_program_is_compiled_once() -> None:
    program = seccomp.compile_filter()
    assert program is seccomp.compile_filter()
    assert len(program) % 8 == 0  # struct sock_filter instructions
    assert len(program) > 8 * len(seccomp.DENIED)  # at least a test per denied call
