"""What a user asks a monitor to be: validating create and update requests.

``parse_create`` and ``parse_update`` read the API's JSON fields and raise ``Invalid`` naming
the field for anything they cannot accept, so a bad request never reaches the store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from runoff.errors import Invalid
from runoff.monitors.model import Filters, MonitorType, Rules
from runoff.query import FilterError, Match
from runoff.wholes import whole

MAX_NAME = 100
MAX_COUNT = 100  # sensitivity, window and recovery
MAX_EXECUTION_SECONDS = 7 * 86400
MAX_CONCURRENCY = 10_000
MAX_REMINDER_MINUTES = 7 * 24 * 60
FILTER_FIELDS = ("command", "type", "size")


@dataclass(frozen=True)
class MonitorSpec:
    name: str
    rules: Rules
    filters: Filters
    enabled: bool = True


def _whole(body: dict[str, Any], field: str, low: int, high: int) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, str) and (number := whole(value)) is not None:
        value = number
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{field} must be a whole number from {low} to {high}")
    return value


def _filters(raw: Any, base: Filters) -> Filters:
    if raw is None:
        return base
    if not isinstance(raw, dict):
        raise Invalid(
            'filters must be an object like {"command": ".py", "type": "\\"scheduler\\""}'
        )
    unknown = sorted(set(raw) - set(FILTER_FIELDS))
    if unknown:
        raise Invalid(f"unknown filter {unknown[0]!r}; filters are command, type and size")
    values: dict[str, Match | None] = {}
    for field in FILTER_FIELDS:
        if field not in raw:
            continue
        text = raw[field]
        if text is None or text == "":
            values[field] = None
            continue
        if not isinstance(text, str):
            raise Invalid(f"filters.{field} must be a string")
        try:
            values[field] = Match.parse(text)
        except FilterError as error:
            raise Invalid(f"filters.{field}: {error.message}") from None
    return replace(base, **values)


def _name(body: dict[str, Any], default: str) -> str:
    name = body.get("name")
    if name is None:
        return default
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise Invalid(f"name must be a non-blank string of at most {MAX_NAME} characters")
    return name.strip()


def default_name(rules: Rules, filters: Filters) -> str:
    """``command-failure "scheduler"``: the type and the filters that are set."""
    parts = [rules.type.value]
    parts += [f"{k}:{v}" for k, v in filters.as_dict().items() if v is not None]
    return " ".join(parts)


def _check(rules: Rules, filters: Filters) -> None:
    unit = rules.type.threshold_unit
    if unit is None and rules.threshold is not None:
        raise Invalid(f"{rules.type.value} monitors take no threshold")
    if unit is not None and rules.threshold is None:
        raise Invalid(f"threshold is required for {rules.type.value} monitors ({unit})")
    if rules.threshold is not None:
        high = MAX_EXECUTION_SECONDS if unit == "seconds" else MAX_CONCURRENCY
        if not 1 <= rules.threshold <= high:
            raise Invalid(f"threshold must be a whole number from 1 to {high} ({unit})")
    if rules.window is not None and rules.window < rules.sensitivity:
        raise Invalid(f"window ({rules.window}) must be at least sensitivity ({rules.sensitivity})")
    if rules.type is MonitorType.TOTAL_CONCURRENCY and not filters.empty:
        raise Invalid(
            "total-concurrency monitors count every run and take no filters; "
            "use command-concurrency to count matching runs"
        )


def _rules(body: dict[str, Any], base: Rules) -> Rules:
    changes: dict[str, Any] = {}
    limits = {"sensitivity": (1, MAX_COUNT), "recovery": (1, MAX_COUNT), "window": (1, MAX_COUNT)}
    for field, (low, high) in limits.items():
        if field in body:
            value = _whole(body, field, low, high)
            if value is None and field != "window":
                raise Invalid(f"{field} must be a whole number from {low} to {high}")
            changes[field] = value
    if "threshold" in body:
        changes["threshold"] = _whole(body, "threshold", 0, 10**9)
    if "reminder_minutes" in body:
        minutes = _whole(body, "reminder_minutes", 1, MAX_REMINDER_MINUTES)
        changes["reminder_seconds"] = None if minutes is None else minutes * 60
    return replace(base, **changes)


def _enabled(body: dict[str, Any], default: bool) -> bool:
    value = body.get("enabled", default)
    if not isinstance(value, bool):
        raise Invalid("enabled must be true or false")
    return value


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object")
    return body


def parse_create(body: Any) -> MonitorSpec:
    body = _object(body)
    raw_type = body.get("type")
    try:
        kind = MonitorType(raw_type)
    except ValueError:
        names = ", ".join(t.value for t in MonitorType)
        raise Invalid(f"type is required: one of {names}") from None
    rules = _rules(body, Rules(type=kind, threshold=None))
    filters = _filters(body.get("filters"), Filters())
    _check(rules, filters)
    name = _name(body, default_name(rules, filters))
    return MonitorSpec(name, rules, filters, _enabled(body, True))


def parse_update(body: Any, current: MonitorSpec) -> MonitorSpec:
    """The monitor ``current`` with the fields of ``body`` changed (its type cannot)."""
    body = _object(body)
    if "type" in body and body["type"] != current.rules.type.value:
        raise Invalid("a monitor's type cannot change; create another monitor instead")
    rules = _rules(body, current.rules)
    filters = _filters(body.get("filters"), current.filters)
    _check(rules, filters)
    return MonitorSpec(_name(body, current.name), rules, filters, _enabled(body, current.enabled))
