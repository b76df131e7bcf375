"""Values of the apps domain: apps, releases, slugs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

APP_NAME = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
CONFIG_KEY = re.compile(r"^\w+$", re.ASCII)
# What exec accepts (Linux): each argument or KEY=value string at most 128 KiB
# (MAX_ARG_STRLEN), arguments and environment together about 2 MiB (ARG_MAX, a quarter of an
# 8 MiB stack). A dyno's command and environment are kept well under both, so anything stored
# can later be started.
MAX_COMMAND_BYTES = 64 * 1024
MAX_ENVIRONMENT_BYTES = 512 * 1024  # config vars plus a run's own env, as KEY=value strings


def environment_bytes(env: Mapping[str, str]) -> int:
    """The size exec counts for ``env``: each ``KEY=value`` string with its NUL."""
    return sum(
        len(k.encode()) + len(v.encode("utf-8", "surrogatepass")) + 2 for k, v in env.items()
    )


RELEASE_PHASE_TYPE = "release"  # a Procfile type run once per release before it goes live


class ReleaseStatus(Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class App:
    id: str
    name: str
    owner_id: str
    owner_email: str
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Slug:
    id: str
    app_id: str
    checksum: str
    size: int
    process_types: dict[str, str]
    created_at: int


@dataclass(frozen=True)
class Release:
    id: str
    app_id: str
    version: int
    description: str
    status: ReleaseStatus
    slug_id: str | None
    config: dict[str, str]
    user_email: str | None
    created_at: int
    updated_at: int
    process_types: dict[str, str] = field(default_factory=dict)
    current: bool = False
