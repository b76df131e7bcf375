"""Faults of the storage underneath everything: the database unreachable, a disk full.

``classify`` names the user-facing error a low-level exception means (``ServiceUnavailable``,
``InsufficientStorage``), or None for anything else (a bug). ``CONDITIONS`` records which of
the two holds now, so that the server log gets one line when a condition starts and one when
it clears, instead of a traceback for every request and every background pass meanwhile.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
from collections.abc import Iterator

import psycopg
from sqlalchemy import exc as sa

from runoff.errors import InsufficientStorage, RunoffError, ServiceUnavailable

log = logging.getLogger(__name__)

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
UNREACHABLE = "The database is unreachable; try again shortly (see the server log)."
BUSY = "The database is busy; try again shortly."
DISK_FULL = (
    "The server's disk is full: this change cannot be stored until space is freed on the"
    " server (its data dir or the database's disk); reads still answer."
)
_SQLITE_FULL, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_CANTOPEN = 13, 5, 6, 14


def classify(error: BaseException) -> RunoffError | None:
    """The error ``error`` means for users when the storage is at fault, else None."""
    for cause in _causes(error):
        found = _one(cause)
        if found is not None:
            return found
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return ServiceUnavailable(UNREACHABLE)
    if isinstance(error, sa.TimeoutError):  # no pooled connection came free
        return ServiceUnavailable(BUSY)
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        cause = todo.pop()
        if cause is None or id(cause) in seen or len(seen) > 10:
            continue
        seen.add(id(cause))
        yield cause
        orig = getattr(cause, "orig", None)
        todo += [cause.__context__, cause.__cause__]
        if isinstance(orig, BaseException):
            todo.append(orig)


def _one(cause: BaseException) -> RunoffError | None:
    if isinstance(cause, OSError) and cause.errno in DISK_FULL_ERRNOS:
        return InsufficientStorage(DISK_FULL)
    if isinstance(cause, psycopg.Error):
        state = cause.sqlstate or ""
        if state == "53100":  # disk_full
            return InsufficientStorage(DISK_FULL)
        if state == "53300" or state.startswith("57P03"):  # too many connections, starting up
            return ServiceUnavailable(BUSY)
        if isinstance(cause, psycopg.InterfaceError) or (
            isinstance(cause, psycopg.OperationalError) and state[:2] in ("", "08", "57")
        ):  # no connection, connection lost, server shut down
            return ServiceUnavailable(UNREACHABLE)
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", 0) & 0xFF
        if code == _SQLITE_FULL:
            return InsufficientStorage(DISK_FULL)
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return ServiceUnavailable(BUSY)
        if code == _SQLITE_CANTOPEN:
            return ServiceUnavailable(UNREACHABLE)
    return None


DATABASE, FILES = "database", "files"  # where a condition holds


def where(cause: BaseException) -> str:
    """``DATABASE`` when ``cause`` came from the database driver, else ``FILES``."""
    return (
        DATABASE if isinstance(cause, sa.SQLAlchemyError | psycopg.Error | sqlite3.Error) else FILES
    )


class Conditions:
    """Which storage faults hold now, keyed ``"<error id> (<where>)"``; each change logged
    once, as one line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: set[str] = set()

    def active(self) -> bool:
        with self._lock:
            return bool(self._active)

    def failed(self, error: RunoffError, cause: BaseException) -> bool:
        """Record that ``error`` (from ``classify``) holds; True if it did not already (the
        change is then logged, with the first cause in one line)."""
        key = f"{error.id} ({where(cause)})"
        with self._lock:
            if key in self._active:
                return False
            self._active.add(key)
        reason = " ".join(str(cause).split())[:300] or type(cause).__name__
        log.error("%s: %s Cause: %s", key, error.message, reason)
        return True

    def cleared(self, error_id: str, place: str) -> None:
        """The storage worked again: log the end of that condition if it held."""
        key = f"{error_id} ({place})"
        with self._lock:
            if key not in self._active:
                return
            self._active.discard(key)
        log.warning("%s: cleared, the storage works again", key)


# The conditions are the process's own (one database, one data dir), shared by the web layer
# and every background thread, hence one instance.
CONDITIONS = Conditions()


class QuietFaults(logging.Filter):
    """A log handler filter: a record whose exception is a storage fault becomes one line when
    the condition starts and is dropped while it lasts (no traceback every pass)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        fault = classify(error)
        if fault is None:
            return True
        CONDITIONS.failed(fault, error)
        return False
