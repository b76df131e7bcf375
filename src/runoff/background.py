"""A background thread that does a pass of work when woken, or every so often anyway.

Shared by the services that follow the store from their own thread (the metrics recorder,
the alert sender): ``wake()`` is cheap enough to call from any listener, a failed pass is
logged and retried at the next one, and ``stop()`` joins the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Loop:
    def __init__(
        self,
        name: str,
        step: Callable[[], object],
        *,
        poll_seconds: float,
        settle_seconds: float = 0.0,
        final_pass: bool = False,
    ) -> None:
        """``step`` runs when woken (after ``settle_seconds``, to gather a burst of wake-ups
        into one pass) or every ``poll_seconds``; with ``final_pass`` it runs once more when
        stopping, so work queued before ``stop()`` is done."""
        self.name = name
        self._step = step
        self._poll = poll_seconds
        self._settle = settle_seconds
        self._final_pass = final_pass
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def pause(self, seconds: float) -> None:
        """Sleep in a pass, cut short by ``stop()``."""
        self._stop.wait(seconds)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def _run(self) -> None:
        while True:
            if self._wake.wait(self._poll) and self._settle and not self._stop.is_set():
                self._stop.wait(self._settle)
            self._wake.clear()
            stopping = self._stop.is_set()
            if stopping and not self._final_pass:
                return
            try:
                self._step()
            except Exception:
                log.exception("%s: a pass failed; retrying at the next one", self.name)
            if stopping:
                return
