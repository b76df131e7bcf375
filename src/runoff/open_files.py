"""The server's limit of open files, raised at start as far as the host allows.

The server holds two descriptors for each detached dyno it runs (its output pipe and a pidfd
to wait on its exit), a few more for an attached one, plus one per client connection. Under
the common default soft limit of 1,024 a server fails near 500 dynos: starts fail and the API
stops accepting connections. The soft limit may be raised up to the hard limit without
privileges, so the server does that once at start, and says so when even the hard limit
leaves room for few dynos.
"""

from __future__ import annotations

import logging
import resource
from pathlib import Path

log = logging.getLogger(__name__)
FEW = 4096  # below this hard limit, say that it bounds how many dynos can run
NR_OPEN = Path("/proc/sys/fs/nr_open")


def _ceiling(hard: int) -> int:
    """The highest soft limit allowed: the hard limit, or the kernel's per-process maximum
    when the hard limit is unlimited."""
    if hard != resource.RLIM_INFINITY:
        return hard
    try:
        return int(NR_OPEN.read_text())
    except (OSError, ValueError):
        return 1 << 20


def raise_limit() -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit; returns the soft limit now in effect.

    Logs the change, and a warning when the limit stays below ``FEW``. Processes started
    afterwards (dynos) inherit the raised limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _ceiling(hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (OSError, ValueError) as exc:
            log.warning("could not raise the open-files limit from %d to %d: %s", soft, target, exc)
        else:
            log.info("open-files limit raised from %d to %d (the hard limit)", soft, target)
            soft = target
    if soft != resource.RLIM_INFINITY and soft < FEW:
        log.warning(
            "the open-files limit is %d (hard limit %s): room for fewer than %d dynos; raise the "
            "hard limit (systemd: LimitNOFILE=, docker: --ulimit nofile=, shell: ulimit -Hn)",
            soft,
            "unlimited" if hard == resource.RLIM_INFINITY else hard,
            soft // 2,
        )
    return soft
