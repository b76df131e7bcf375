"""The seccomp filter of sandboxed dynos, compiled once per server with libseccomp.

In the spirit of Docker's default profile: every system call is allowed except those that
reach the kernel as a whole rather than the dyno's own processes — kernel keyrings, modules,
kexec, mounts and file-system handles, new namespaces (``unshare``, ``setns``, ``clone`` with a
``CLONE_NEW*`` flag), the clock, swap, reboot, BPF, perf, userfaultfd, raw I/O ports — and
the terminal ioctls that push input into a terminal (``TIOCSTI``, ``TIOCLINUX``). Denied calls
fail with ``EPERM`` (``clone3`` with ``ENOSYS``: its flags cannot be inspected, and the C
library then falls back to ``clone``). Calls of another architecture kill the process.

``compile_filter`` returns the BPF program as bytes, which bubblewrap loads from a descriptor
(``--seccomp FD``) just before it executes the dyno's command.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
import tempfile

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7


def _errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


DENIED = (
    # kernel keyrings
    "add_key", "request_key", "keyctl",
    # modules and kexec
    "init_module", "finit_module", "delete_module", "create_module", "kexec_load",
    "kexec_file_load", "get_kernel_syms", "query_module",
    # mounts and file-system handles (a way out of bind mounts)
    "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr", "open_by_handle_at",
    "name_to_handle_at", "quotactl", "quotactl_fd", "nfsservctl", "swapon", "swapoff",
    # namespaces
    "unshare", "setns",
    # the machine's clock, accounting, logs and power
    "settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex", "acct", "syslog",
    "reboot", "lookup_dcookie", "vhangup",
    # kernel attack surface a dyno has no use for
    "bpf", "perf_event_open", "userfaultfd", "iopl", "ioperm", "uselib", "ustat", "sysfs",
    "_sysctl", "vm86", "vm86old", "kcmp", "pidfd_getfd", "fanotify_init",
)  # fmt: skip

CLONE_NEW_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x00000080,  # CLONE_NEWTIME
)
TIOCSTI = 0x5412
TIOCLINUX = 0x541C


class SeccompError(OSError):
    """libseccomp is missing or refused the filter."""


class _ArgCmp(ctypes.Structure):
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as exc:
        raise SeccompError(f"libseccomp not found ({exc}): install libseccomp2") from None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    )
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    return lib


def _rule(
    lib: ctypes.CDLL, ctx: int, action: int, name: str, *masked: tuple[int, int, int]
) -> None:
    """Add ``action`` for syscall ``name`` when every (arg, mask, value) matches; a name this
    architecture does not have is skipped."""
    number = lib.seccomp_syscall_resolve_name(name.encode())
    if number < 0:
        return
    compares = (_ArgCmp * max(1, len(masked)))()
    for i, (arg, mask, value) in enumerate(masked):
        compares[i] = _ArgCmp(arg, SCMP_CMP_MASKED_EQ, mask, value)
    result = lib.seccomp_rule_add_array(ctx, action, number, len(masked), compares)
    if result < 0:
        raise SeccompError(-result, f"seccomp rule for {name}: {os.strerror(-result)}")


@functools.cache
def compile_filter() -> bytes:
    """The BPF program of the dynos' filter (see the module doc); compiled once per process."""
    lib = _library()
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise SeccompError("seccomp_init failed")
    try:
        eperm = _errno(errno.EPERM)
        for name in DENIED:
            _rule(lib, ctx, eperm, name)
        for flag in CLONE_NEW_FLAGS:
            _rule(lib, ctx, eperm, "clone", (0, flag, flag))
        _rule(lib, ctx, _errno(errno.ENOSYS), "clone3")
        for request in (TIOCSTI, TIOCLINUX):
            _rule(lib, ctx, eperm, "ioctl", (1, 0xFFFFFFFF, request))
        with tempfile.TemporaryFile() as out:
            result = lib.seccomp_export_bpf(ctx, out.fileno())
            if result < 0:
                raise SeccompError(-result, f"seccomp export: {os.strerror(-result)}")
            out.seek(0)
            return out.read()
    finally:
        lib.seccomp_release(ctx)
