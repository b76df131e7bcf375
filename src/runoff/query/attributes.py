"""The one-off dyno attributes a filter can name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

ATTRIBUTES: Mapping[str, str] = MappingProxyType(
    {
        "command": "command used to start this process",
        "state": "current status of process (running, succeeded, failed or timed out)",
        "type": "type of process, e.g. scheduler, run, release",
        "name": "the name of this process on this dyno, e.g. scheduler.4321",
        "size": "dyno size, e.g. standard-1X or performance-l",
    }
)
"""Attribute name -> description, in canonical order (the order ``str(Filter)`` writes them)."""

DEFAULT_ATTRIBUTE = "command"
"""The attribute that plain text (text before the first ``attribute:`` term) filters on."""

STATES: tuple[str, ...] = ("running", "succeeded", "failed", "timed out")
"""The values of the ``state`` attribute; ``timed out`` holds a space."""
