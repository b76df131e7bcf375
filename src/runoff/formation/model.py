"""Formation values and the parsing of scale requests (Heroku's batch update shapes).

A quantity is a whole number or a string: ``"2"`` sets it, ``"+1"``/``"-1"`` change it (the
real ``heroku ps:scale`` sends strings). A size comes as ``size`` or ``dyno_size.name``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from runoff.dynos import sizes
from runoff.errors import BadRequest, Invalid

MAX_QUANTITY = 100
TYPE_PATTERN = re.compile(r"^[-\w]{1,128}$")
_QUANTITY = re.compile(r"^\s*([+-]?)(\d{1,6})\s*$")
_NAMESPACE = uuid.UUID("6f1c1f3e-5b0a-4f4e-9a51-8c0d2b0b7a11")


def formation_id(app_id: str, type: str) -> str:
    """A stable id per (app, process type), whether or not the type was ever scaled."""
    return str(uuid.uuid5(_NAMESPACE, f"{app_id}/{type}"))


@dataclass(frozen=True)
class Formation:
    id: str
    app_id: str
    type: str
    command: str
    quantity: int
    size: str
    created_at: int | None
    updated_at: int | None


@dataclass(frozen=True)
class Update:
    """One requested change: ``quantity`` absolute, or ``delta`` relative; ``size`` optional."""

    type: str
    quantity: int | None = None
    delta: int | None = None
    size: str | None = None

    def apply(self, current: int) -> int:
        if self.quantity is not None:
            return self.quantity
        if self.delta is not None:
            return max(0, current + self.delta)
        return current


def _quantity(value: Any, type: str) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid(f"quantity of {type} must be a whole number, or a string like 2, +1 or -1")
    match = _QUANTITY.match(str(value))
    if match is None:
        raise Invalid(f"quantity of {type} must be a whole number, or +N / -N, got {value!r}")
    sign, digits = match.groups()
    if sign:
        return None, int(digits) * (-1 if sign == "-" else 1)
    return int(digits), None


def _size(item: dict[str, Any]) -> str | None:
    size = item.get("size")
    dyno_size = item.get("dyno_size")
    if isinstance(dyno_size, dict):
        size = dyno_size.get("name") or dyno_size.get("id") or size
    elif dyno_size is not None:
        raise Invalid('dyno_size must be an object like {"name": "Standard-2X"}')
    if size is None:
        return None
    if not isinstance(size, str):
        raise Invalid("size must be a string such as Standard-2X")
    return sizes.lookup(size).name


def parse_update(item: Any, type: str | None = None) -> Update:
    """One update object; ``type`` comes from the URL for ``PATCH /formation/{type}``."""
    if not isinstance(item, dict):
        raise BadRequest("each formation update must be a JSON object")
    kind = type if type is not None else item.get("type")
    if not isinstance(kind, str) or not TYPE_PATTERN.match(kind):
        raise Invalid("type is required: the process type to scale, e.g. web")
    quantity, delta = _quantity(item.get("quantity"), kind)
    if quantity is not None and quantity > MAX_QUANTITY:
        raise Invalid(f"Cannot scale {kind} to more than {MAX_QUANTITY} dynos")
    return Update(kind, quantity, delta, _size(item))


def parse_batch(body: Any) -> list[Update]:
    """``{"updates": [{"type": "web", "quantity": "2", "size": "Standard-2X"}, ...]}``."""
    if not isinstance(body, dict) or not isinstance(body.get("updates"), list):
        raise BadRequest('The request body must be {"updates": [{"type": ..., "quantity": ...}]}')
    updates = [parse_update(item) for item in body["updates"]]
    if not updates:
        raise Invalid("updates must name at least one process type")
    return updates
