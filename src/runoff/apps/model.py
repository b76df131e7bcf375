"""Values of the apps domain: apps, releases, slugs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

APP_NAME = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
CONFIG_KEY = re.compile(r"^\w+$", re.ASCII)
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
