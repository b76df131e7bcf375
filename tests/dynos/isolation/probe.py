"""Run inside a dyno (shipped in its slug): tries what a hostile app would, prints one JSON object.

``python3 probe.py`` reads ``PROBE`` (JSON: ``paths`` that must be out of sight, ``secrets``
that must not be found, reversed, ``pid`` of the server, ``api`` its URL) and prints
``{"denied": {...}, "facts": {...}}``: for every attempt, whether it was denied (True) or what
got through (a string), and a few facts about the dyno (uid, hostname, capabilities...).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import pty
import socket
import termios
import urllib.error
import urllib.request

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
# x86_64 system call numbers
SYSCALLS = {
    "add_key": (248, b"user", b"k", b"v", 1, -4),  # -4: KEY_SPEC_PROCESS_KEYRING... any keyring
    "keyctl": (250, 0, -4),  # KEYCTL_GET_KEYRING_ID of the user keyring
    "request_key": (249, b"user", b"k", None, 0),
    "init_module": (175, None, 0, b""),
    "finit_module": (313, 0, b"", 0),
    "delete_module": (176, b"ext4", 0),
    "kexec_load": (246, 0, 0, None, 0),
    "mount": (165, b"none", b"/tmp", b"tmpfs", 0, None),
    "umount2": (166, b"/proc", 2),
    "pivot_root": (155, b"/tmp", b"/tmp"),
    "chroot": (161, b"/tmp"),
    "unshare_user": (272, 0x10000000),
    "unshare_mount": (272, 0x00020000),
    "unshare_net": (272, 0x40000000),
    "setns": (308, 0, 0),
    "clone_newuser": (56, 0x10000000 | 17, 0, 0, 0, 0),  # SIGCHLD; a child would exit at once
    "bpf": (321, 0, None, 0),
    "perf_event_open": (298, None, 0, -1, -1, 0),
    "userfaultfd": (323, 0),
    "swapon": (167, b"/tmp/swap", 0),
    "reboot": (169, 0xFEE1DEAD, 672274793, 0x1234567, None),
    "settimeofday": (164, None, None),
    "iopl": (172, 3),
    "open_by_handle_at": (304, -100, None, 0),
    "syslog": (103, 3, None, 0),  # SYSLOG_ACTION_READ_ALL
    "ptrace_attach_init": (101, 16, 1, 0, 0),  # PTRACE_ATTACH to pid 1 (the sandbox's init)
}


def attempt(number: int, *args: object) -> bool | str:
    """Run a system call; True if it failed (denied), else what it returned."""
    converted = [
        ctypes.c_char_p(a) if isinstance(a, bytes) or a is None else ctypes.c_long(int(a))  # type: ignore[call-overload]
        for a in args
    ]
    result = libc.syscall(ctypes.c_long(number), *converted)
    if result == -1:
        return True
    if result == 0 and number == 56:  # never reached in the child: clone returned 0 there
        os._exit(0)
    return f"returned {result}"


def hidden(path: str) -> bool | str:
    """True when ``path`` cannot be read, listed or written."""
    try:
        if os.path.isdir(path):
            return f"lists {os.listdir(path)[:5]}"
        with open(path, "rb") as handle:
            return f"reads {handle.read(20)!r}"
    except OSError:
        pass
    try:  # an existing file of that name (creating one in its own /tmp proves nothing)
        os.close(os.open(path, os.O_WRONLY))
        return "writes"
    except OSError:
        return True


def secrets_in_proc(secrets: list[str]) -> bool | str:
    """True when no secret appears in any visible process's environment or command line."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{entry}/{name}", "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            for secret in secrets:
                if secret.encode() in data:
                    return f"/proc/{entry}/{name} has {secret}"
    return True


def secrets_in_files(secrets: list[str], roots: list[str]) -> bool | str:
    for root in roots:
        for parent, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(parent, d))]
            for name in files:
                path = os.path.join(parent, name)
                try:
                    with open(path, "rb") as handle:
                        data = handle.read(1 << 20)
                except OSError:
                    continue
                for secret in secrets:
                    if secret.encode() in data:
                        return f"{path} has {secret}"
    return True


def signal_server(pid: int) -> bool | str:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return True
    return f"could signal pid {pid}"


def api_without_token(url: str) -> bool | str:
    try:
        with urllib.request.urlopen(f"{url}/apps", timeout=10) as reply:
            return f"got {reply.status}"
    except urllib.error.HTTPError as exc:
        return True if exc.code == 401 else f"got {exc.code}"


def write_outside() -> dict[str, bool | str]:
    found: dict[str, bool | str] = {}
    for path in ("/usr/x", "/etc/x", "/x", "/proc/sys/kernel/hostname", "/dev/x"):
        try:
            with open(path, "w") as handle:
                handle.write("x")
            found[f"write {path}"] = "written"
        except OSError:
            found[f"write {path}"] = True
    return found


def tiocsti() -> bool | str:
    """Push a character into a terminal's input (here a fresh pty of our own)."""
    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSTI, b"x")
    except OSError as exc:
        return True if exc.errno == errno.EPERM else f"errno {exc.errno}"
    finally:
        os.close(master)
        os.close(slave)
    return "injected"


def cgroup_escape() -> bool | str:
    for path in ("/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs"):
        try:
            with open(path, "w") as handle:
                handle.write(str(os.getpid()))
            return f"wrote {path}"
        except OSError:
            continue
    return True


def status_fields() -> dict[str, str]:
    with open("/proc/self/status") as handle:
        lines = [line.split(":", 1) for line in handle if ":" in line]
    return {key: value.strip() for key, value in lines}


def main() -> None:
    probe = json.loads(os.environ["PROBE"])
    probe["secrets"] = [secret[::-1] for secret in probe["secrets"]]  # sent reversed
    denied: dict[str, bool | str] = {}
    for name, (number, *args) in SYSCALLS.items():
        assert isinstance(number, int)
        denied[name] = attempt(number, *args)
    for path in probe["paths"]:
        denied[f"hidden {path}"] = hidden(path)
    denied["secrets in /proc"] = secrets_in_proc(probe["secrets"])
    denied["secrets in files"] = secrets_in_files(probe["secrets"], ["/app", "/tmp", "/etc"])
    denied["signal the server"] = signal_server(probe["pid"])
    denied["the API without a token"] = api_without_token(probe["api"])
    denied["TIOCSTI"] = tiocsti()
    denied["leave its cgroup"] = cgroup_escape()
    denied.update(write_outside())
    status = status_fields()
    processes = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    facts = {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "groups": os.getgroups(),
        "user": os.popen("whoami").read().strip(),
        "hostname": socket.gethostname(),
        "cwd": os.getcwd(),
        "env": sorted(os.environ),
        "caps": [status[k] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")],
        "no_new_privs": status["NoNewPrivs"],
        "seccomp": status["Seccomp"],
        "processes": processes,
        "root": sorted(os.listdir("/")),
        "dev": sorted(os.listdir("/dev")),
    }
    print(json.dumps({"denied": denied, "facts": facts}))


if __name__ == "__main__":
    main()
