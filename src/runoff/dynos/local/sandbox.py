"""The sandbox every dyno runs in: bubblewrap (``bwrap``), with what it needs built once.

A sandboxed dyno sees its workspace at ``/app`` (its cwd and ``HOME``), the host's ``/usr``
(and the ``/bin``, ``/lib*`` links into it) read-only, a minimal ``/etc`` (name resolution, CA
certificates, a ``passwd`` entry for its user), a private ``/tmp``, a minimal ``/dev`` and its
own ``/proc`` (a PID namespace whose init is bwrap's reaper), its own hostname and IPC. It
shares the host's network (``PORT``, loopback, databases). It runs as an unprivileged user,
without capabilities, with no new privileges and the seccomp filter of ``seccomp``.

Its user: as root, each app gets its own uid (``APP_UIDS``, derived from the app's id), so
dynos of different apps cannot touch each other's processes or files. bwrap then runs as root
(it needs to reach the workspace, whatever the data dir's permissions) and ``setpriv`` drops
to the app's uid before the command runs. As an ordinary user, bwrap runs in a user namespace
and every dyno keeps the server's uid (apps are then kept apart by the namespaces only).

Built once per server (``Sandbox()``): the seccomp program, the ``/etc`` tree, the argument
prefix; per dyno only its workspace, hostname and user change (``argv``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from runoff.dynos.local import seccomp
from runoff.errors import RunoffError

log = logging.getLogger(__name__)

APP_UID_BASE = 1_000_000
APP_UID_SPAN = 1 << 30  # app uids: [APP_UID_BASE, APP_UID_BASE + APP_UID_SPAN)
HINT = (
    "install bubblewrap (scripts/setup, or apt-get install bubblewrap) and allow user "
    "namespaces, or set RUNOFF_ISOLATION=none to run dynos without isolation"
)
# What of the host's /etc a dyno sees (copied once per server start; no secrets in these).
ETC_COPIED = (
    "alternatives",
    "ca-certificates.conf",
    "debian_version",
    "gai.conf",
    "host.conf",
    "hosts",
    "inputrc",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "locale.alias",
    "localtime",
    "magic",
    "magic.mime",
    "mime.types",
    "networks",
    "os-release",
    "protocols",
    "resolv.conf",
    "services",
    "ssl/certs",
    "ssl/openssl.cnf",
    "timezone",
)
NSSWITCH = b"""passwd: files
group: files
shadow: files
hosts: files dns
networks: files
protocols: files
services: files
ethers: files
rpc: files
"""
# Read by interactive bash (``run bash``): ``bash -c`` drops an inherited PS1, so the prompt of
# Heroku's dynos (``~ $`` at /app, which is HOME) is set here; an app's /app/.bashrc may change it.
BASHRC = rb"""PS1='\[\033[01;34m\]\w\[\033[00m\] \[\033[01;32m\]$ \[\033[00m\]'
"""
# Host directories that are usually links into /usr on merged-/usr systems.
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class SandboxUnavailable(RunoffError):
    id = "sandbox_unavailable"
    status = 500


def app_uid(app_id: str) -> int:
    """The uid of ``app_id``'s dynos when the server runs as root (stable across restarts)."""
    digest = hashlib.sha256(app_id.encode()).digest()
    return APP_UID_BASE + int.from_bytes(digest[:8], "big") % APP_UID_SPAN


def _write_once(path: Path, files: Mapping[str, bytes | Path]) -> Path:
    """Create directory ``path`` holding ``files`` (relative name -> content, or a Path: a
    symbolic link to it) unless it exists; built aside and renamed, so readers never see it
    half-written."""
    if path.is_dir():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}-"))
    for name, content in sorted(files.items()):
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            target.symlink_to(content)
        else:
            target.write_bytes(content)
    staging.chmod(0o755)
    try:
        staging.rename(path)
    except OSError:  # built meanwhile by another server on this data dir
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _host_etc(etc: Path = Path("/etc")) -> dict[str, bytes | Path]:
    """The allowed part of the host's /etc: files by content, symbolic links as links."""
    found: dict[str, bytes | Path] = {}

    def take(path: Path) -> None:
        name = str(path.relative_to(etc))
        if path.is_symlink():
            found[name] = Path(os.readlink(path))
        elif path.is_file():
            with contextlib.suppress(OSError):
                found[name] = path.read_bytes()
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                take(child)

    for name in ETC_COPIED:
        if (etc / name).exists() or (etc / name).is_symlink():
            take(etc / name)
    if isinstance(found.get("resolv.conf"), Path):  # e.g. into /run: give its content
        with contextlib.suppress(OSError):
            found["resolv.conf"] = (etc / "resolv.conf").read_bytes()
    return found


def _users(uid: int, gid: int) -> dict[str, bytes | Path]:
    user = f"u{uid}"
    return {
        "passwd": (
            "root:x:0:0:root:/root:/usr/sbin/nologin\n"
            f"{user}:x:{uid}:{gid}:dyno:/app:/bin/bash\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        ).encode(),
        "group": f"root:x:0:\n{user}:x:{gid}:\nnogroup:x:65534:\n".encode(),
    }


def _digest(files: Mapping[str, bytes | Path]) -> str:
    digest = hashlib.sha256()
    for name, content in sorted(files.items()):
        digest.update(name.encode() + b"\0")
        digest.update(str(content).encode() if isinstance(content, Path) else content)
        digest.update(b"\1" if isinstance(content, Path) else b"\0")
    return digest.hexdigest()[:16]


class Sandbox:
    """bubblewrap command lines for dynos (see the module doc). Construction checks that the
    sandbox works here and raises ``SandboxUnavailable`` (one line: why, what to do) if not."""

    def __init__(self, root: Path, *, bwrap: str | None = None) -> None:
        self.root = root
        self.privileged = os.geteuid() == 0
        found = bwrap or shutil.which("bwrap")
        if found is None:
            raise SandboxUnavailable(f"dynos cannot be sandboxed: bwrap not found; {HINT}")
        self.bwrap = found
        self.setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
        self.setsid = shutil.which("setsid") or "/usr/bin/setsid"
        try:
            root.mkdir(parents=True, exist_ok=True)
            self._seccomp = self._seccomp_file()
            self._etc = self._etc_dir()
        except OSError as exc:
            raise SandboxUnavailable(f"dynos cannot be sandboxed: {exc}; {HINT}") from None
        self._prefix = self._build_prefix()
        self._users: dict[tuple[int, int], Path] = {}
        self.probe()

    # built once -------------------------------------------------------------------------------
    def _seccomp_file(self) -> Path:
        program = seccomp.compile_filter()
        path = self.root / f"seccomp-{hashlib.sha256(program).hexdigest()[:16]}.bpf"
        if not path.exists():
            staging = path.with_name(f".{path.name}.{os.getpid()}")
            staging.write_bytes(program)
            staging.rename(path)
        return path

    def _etc_dir(self) -> Path:
        files = _host_etc()
        files["nsswitch.conf"] = NSSWITCH
        files["bash.bashrc"] = BASHRC
        files.update(_users(65534, 65534))  # placeholders: each dyno's user is bound over them
        return _write_once(self.root / f"etc-{_digest(files)}", files)

    def _build_prefix(self) -> list[str]:
        args = [
            self.bwrap,
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--ro-bind", "/usr", "/usr",
        ]  # fmt: skip
        for name in TOP_LEVEL:
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), f"/{name}"]
            elif host.is_dir():
                args += ["--ro-bind", str(host), f"/{name}"]
        args += [
            "--ro-bind", str(self._etc), "/etc",
            "--proc", "/proc",
            "--dev", "/dev",
            "--perms", "1777", "--tmpfs", "/tmp",
            "--dir", "/var",
            "--symlink", "../tmp", "/var/tmp",
            "--chdir", "/app",
        ]  # fmt: skip
        if self.privileged:  # bwrap as root; setpriv drops to the app's user (``argv``)
            args += ["--cap-drop", "ALL"]
            for cap in ("SETUID", "SETGID", "SETPCAP"):
                args += ["--cap-add", f"CAP_{cap}"]
        else:  # bwrap in a user namespace of the server's user
            args += [
                "--unshare-user",
                "--disable-userns",
                "--uid", str(os.getuid()),
                "--gid", str(os.getgid()),
                "--cap-drop", "ALL",
            ]  # fmt: skip
        return args

    # per dyno ----------------------------------------------------------------------------------
    def user(self, app_id: str) -> tuple[int, int]:
        """The (uid, gid) ``app_id``'s dynos run as on this host."""
        if self.privileged:
            uid = app_uid(app_id)
            return uid, uid
        return os.getuid(), os.getgid()

    def owner(self, app_id: str) -> tuple[int, int] | None:
        """Who must own ``app_id``'s workspaces: its user when it has one of its own (root),
        else None (the server's user already does)."""
        return self.user(app_id) if self.privileged else None

    def _user_files(self, uid: int, gid: int) -> Path:
        found = self._users.get((uid, gid))
        if found is None:
            found = _write_once(self.root / "users" / f"{uid}-{gid}", _users(uid, gid))
            self._users[(uid, gid)] = found
        return found

    @contextlib.contextmanager
    def seccomp_fd(self) -> Iterator[int]:
        """A fresh descriptor of the seccomp program, for one ``argv`` (bwrap reads it to the
        end, so it cannot be shared between spawns)."""
        fd = os.open(self._seccomp, os.O_RDONLY | os.O_CLOEXEC)
        try:
            yield fd
        finally:
            os.close(fd)

    def argv(
        self,
        command: str,
        *,
        app_dir: Path,
        hostname: str,
        user: tuple[int, int],
        seccomp_fd: int,
        terminal: bool = False,
    ) -> list[str]:
        """The command line running ``bash -c command`` in the sandbox; ``seccomp_fd`` must be
        passed to the process (``pass_fds``). ``terminal``: standard input is a pty that the
        command, in a session of its own inside the sandbox, takes as its controlling terminal
        (``setsid --ctty``), so Ctrl-C and hangups reach it and not bubblewrap."""
        users = self._user_files(*user)
        args = [
            *self._prefix,
            "--hostname", hostname,
            "--bind", str(app_dir), "/app",
            "--ro-bind", str(users / "passwd"), "/etc/passwd",
            "--ro-bind", str(users / "group"), "/etc/group",
            "--seccomp", str(seccomp_fd),
            "--",
        ]  # fmt: skip
        if self.privileged:
            uid, gid = user
            args += [
                self.setpriv,
                f"--reuid={uid}",
                f"--regid={gid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
            ]
        if terminal:
            args += [self.setsid, "--ctty"]
        return [*args, "bash", "-c", command]

    def probe(self) -> None:
        """Run ``true`` in a sandbox once; raises ``SandboxUnavailable`` if that fails."""
        app = self.root / "probe"
        app.mkdir(exist_ok=True)
        with self.seccomp_fd() as fd:
            argv = self.argv(
                "true", app_dir=app, hostname="probe", user=self.user("probe"), seccomp_fd=fd
            )
            try:
                done = subprocess.run(
                    argv,
                    env={"PATH": "/usr/bin:/bin"},
                    pass_fds=(fd,),
                    capture_output=True,
                    timeout=60,  # a loaded host (hundreds of dynos starting) can be slow
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise SandboxUnavailable(f"dynos cannot be sandboxed: {exc}; {HINT}") from None
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines() or [
                f"exit status {done.returncode}"
            ]
            raise SandboxUnavailable(f"dynos cannot be sandboxed: {lines[-1]}; {HINT}")
