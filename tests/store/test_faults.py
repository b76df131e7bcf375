"""classify: which driver and OS errors mean the database unreachable (503) or a full disk
(507), as SQLAlchemy hands them over; everything else is a bug (None). The real faults are
tested end to end in tests/api/test_storage_faults.py; these are the codes that test cannot
reach (PostgreSQL's own full disk, busy SQLite, a pool timeout)."""

from __future__ import annotations

import errno
import logging
import sqlite3

import psycopg
import psycopg.errors
import pytest
from sqlalchemy import exc as sa

from runoff.errors import InsufficientStorage, ServiceUnavailable
from runoff.store.faults import Conditions, QuietFaults, classify


def _wrapped(orig: BaseException) -> sa.DBAPIError:
    """The exception as SQLAlchemy raises it from a failed statement."""
    return sa.OperationalError("SELECT 1", {}, orig)  # type: ignore[arg-type]


def _sqlite(code: int, message: str) -> sqlite3.Error:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), InsufficientStorage),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), InsufficientStorage),
        (_wrapped(_sqlite(13, "database or disk is full")), InsufficientStorage),
        (_wrapped(psycopg.errors.DiskFull("could not extend file")), InsufficientStorage),
        (_wrapped(psycopg.OperationalError("connection failed: refused")), ServiceUnavailable),
        (_wrapped(psycopg.errors.AdminShutdown("terminating connection")), ServiceUnavailable),
        (_wrapped(psycopg.errors.CannotConnectNow("starting up")), ServiceUnavailable),
        (_wrapped(psycopg.errors.TooManyConnections("too many")), ServiceUnavailable),
        (_wrapped(_sqlite(5, "database is locked")), ServiceUnavailable),
        (sa.TimeoutError("QueuePool limit reached"), ServiceUnavailable),
        (OSError(errno.EACCES, "Permission denied"), None),
        (_wrapped(psycopg.errors.UniqueViolation("duplicate key")), None),
        (_wrapped(_sqlite(1, "no such table: apps")), None),
        (ValueError("a bug"), None),
    ],
)
def test_classify(error: BaseException, kind: type | None) -> None:
    found = classify(error)
    assert type(found) is kind if kind is not None else found is None


def test_a_cause_further_down_the_chain_counts() -> None:
    outer = RuntimeError("writing the slug failed")
    outer.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert isinstance(classify(outer), InsufficientStorage)


def test_each_condition_is_logged_once_until_cleared(caplog: pytest.LogCaptureFixture) -> None:
    conditions = Conditions()
    down = ServiceUnavailable("The database is unreachable")
    cause = _wrapped(psycopg.OperationalError("connection failed: refused"))
    with caplog.at_level(logging.WARNING, logger="runoff.store.faults"):
        assert conditions.failed(down, cause)
        assert not conditions.failed(down, cause)
        conditions.cleared(ServiceUnavailable.id, "database")
        conditions.cleared(ServiceUnavailable.id, "database")
        assert conditions.failed(down, cause)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert lines[0].startswith("service_unavailable (database): The database is unreachable")
    assert lines[1] == "service_unavailable (database): cleared, the storage works again"


def test_the_filter_drops_tracebacks_of_faults_only() -> None:
    quiet = QuietFaults()

    def record(error: BaseException) -> logging.LogRecord:
        return logging.LogRecord(
            "x", logging.ERROR, "f", 1, "a pass failed", (), (type(error), error, None)
        )

    assert not quiet.filter(record(OSError(errno.ENOSPC, "No space left on device")))
    assert quiet.filter(record(ValueError("a bug")))
    assert quiet.filter(logging.LogRecord("x", logging.INFO, "f", 1, "fine", (), None))
