"""The standard streams of an attached dyno: a pseudo-terminal, or pipes with ``force_no_tty``.

With a terminal the dyno's process (``bash -c COMMAND``, or the sandbox running it) is the
leader of a new session whose controlling terminal is the slave side of a fresh pty (so job
control, Ctrl-C and ``SIGWINCH`` work as in a local shell; in the sandbox the pty is also
``/dev/console``); the server keeps the master side, which carries both directions. Without
one, stdin is a pipe and stdout and stderr share another, as for detached dynos. Either way
the server's ends are non-blocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import struct
import subprocess
import termios
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from runoff.dynos.executor import Window

# ``setsid --ctty`` makes the pty the session's controlling terminal without a Python
# ``preexec_fn`` (which is unsafe in a threaded server). Resolved once: a dyno's PATH is the
# app's to change.
SETSID = shutil.which("setsid") or "/usr/bin/setsid"
READ_CHUNK = 1 << 16


def set_window(fd: int, window: Window) -> None:
    """Resize the terminal of ``fd``; its foreground process group gets ``SIGWINCH``."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", window.rows, window.cols, 0, 0))


class Stdio:
    """The server's ends of a dyno's standard streams."""

    def __init__(self, output: int, input: int | None, tty: bool) -> None:
        self.output = output  # read: the process's stdout and stderr
        self.input = input  # write: its stdin (the same fd as ``output`` with a tty)
        self.tty = tty
        for fd in {output, input} - {None}:
            assert fd is not None
            os.set_blocking(fd, False)

    def end_input(self) -> None:
        """Signal end of input: the terminal's EOF character, or close the stdin pipe."""
        if self.input is None:
            return
        if self.tty:
            with contextlib.suppress(OSError):  # the terminal is gone: nobody reads any more
                eof = termios.tcgetattr(self.input)[6][termios.VEOF]
                os.write(self.input, eof if isinstance(eof, bytes) else bytes([eof]))
        else:
            os.close(self.input)
            self.input = None

    def resize(self, window: Window) -> None:
        if self.tty:
            set_window(self.output, window)

    def close(self) -> None:
        if self.input is not None and self.input != self.output:
            os.close(self.input)
        self.input = None
        if self.output >= 0:
            os.close(self.output)
            self.output = -1

    # the executor's ``TerminalStream`` -----------------------------------------------------
    async def read(self) -> bytes:
        """The next chunk of output; ``b""`` at its end (EOF, or EIO once a pty is closed)."""
        while self.output >= 0:
            try:
                return os.read(self.output, READ_CHUNK)
            except BlockingIOError:
                await _ready(self.output, write=False)
            except OSError:
                return b""  # EIO: every holder of the pty's slave side has closed it
        return b""

    async def write(self, data: bytes) -> None:
        """Write to the dyno's stdin, waiting while it is full; dropped once nobody reads."""
        while data and self.input is not None:
            try:
                written = os.write(self.input, data)
            except BlockingIOError:
                await _ready(self.input, write=True)
                continue
            except OSError:
                return  # EIO / EPIPE: the process is gone or closed its input
            data = data[written:]


async def _ready(fd: int, *, write: bool) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    (loop.add_writer if write else loop.add_reader)(fd, ready.set_result, None)
    try:
        await ready
    finally:
        (loop.remove_writer if write else loop.remove_reader)(fd)


def _spawn_piped(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], pass_fds: Collection[int]
) -> tuple[subprocess.Popen[bytes], Stdio]:
    in_read, in_write = os.pipe()
    out_read, out_write = os.pipe()
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=in_read,
            stdout=out_write,
            stderr=out_write,
            start_new_session=True,
            close_fds=True,
            pass_fds=tuple(pass_fds),
        )
    except BaseException:
        os.close(in_write)
        os.close(out_read)
        raise
    finally:
        os.close(in_read)
        os.close(out_write)
    return proc, Stdio(out_read, in_write, tty=False)


def spawn(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    tty: bool,
    window: Window,
    pass_fds: Collection[int] = (),
    ctty_inside: bool = False,
) -> tuple[subprocess.Popen[bytes], Stdio]:
    """Start ``argv`` in a new session, on a pty (``tty``: its controlling terminal) or on
    pipes. ``ctty_inside``: ``argv`` itself makes the pty its controlling terminal (a sandbox
    running ``setsid --ctty``: only the command's processes, not the sandbox's, are then in
    the terminal's session and get its Ctrl-C and hangup); ``argv`` then gets a session
    without one."""
    if not tty:
        return _spawn_piped(argv, cwd=cwd, env=env, pass_fds=pass_fds)
    master, slave = os.openpty()
    try:
        set_window(master, window)
        proc = subprocess.Popen(
            list(argv) if ctty_inside else [SETSID, "--ctty", *argv],
            cwd=cwd,
            env=dict(env),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            close_fds=True,
            pass_fds=tuple(pass_fds),
            start_new_session=ctty_inside,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)  # only the dyno holds it now, so its exit reads as EOF (EIO) here
    return proc, Stdio(master, master, tty=True)
