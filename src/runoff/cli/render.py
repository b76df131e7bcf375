"""Turning API resources into the text Heroku users know. Pure functions: no I/O, no clock.

Times are shown in the time zone of the ``now`` passed in, so tests pass a UTC ``now``.
"""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    Resource = Mapping[str, Any]


def json_text(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=False)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from the API (``2026-11-23T10:00:00Z``) or None if absent or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def age(then: datetime, now: datetime) -> str:
    """Heroku's rough age: ``~ 1s ago``, ``~ 5m ago``, ``~ 2h ago``, ``~ 3d ago`` (floored)."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return f"~ {seconds}s ago"
    if seconds < 3600:
        return f"~ {seconds // 60}m ago"
    if seconds < 86400:
        return f"~ {seconds // 3600}h ago"
    return f"~ {seconds // 86400}d ago"


def stamp(then: datetime, now: datetime) -> str:
    """``2013/03/13 15:38:08 +0000`` in the time zone of ``now``."""
    return then.astimezone(now.tzinfo).strftime("%Y/%m/%d %H:%M:%S %z")


def when(value: object, now: datetime) -> str:
    """``<stamp> (<age>)`` for an API time, or ``?`` if it is missing."""
    then = parse_time(value)
    return "?" if then is None else f"{stamp(then, now)} ({age(then, now)})"


def aligned(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """``KEY: value`` lines with the values lined up, like Heroku's styled objects."""
    items = list(pairs)
    if not items:
        return []
    width = max(len(key) for key, _ in items) + 1
    return [f"{key + ':':<{width}} {value}".rstrip() for key, value in items]


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces, without trailing blanks."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows)))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
        for row in rows
    ]


def size_text(size: int) -> str:
    """Bytes as ``512 B``, ``3.4 KB``, ``1.2 MB`` (powers of 1024)."""
    if size < 1024:
        return f"{size} B"
    value, unit = size / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _name_key(name: str) -> tuple[str, int, str]:
    """Sort ``web.2`` before ``web.10``."""
    prefix, dot, number = name.rpartition(".")
    if dot and number.isdigit():
        return (prefix, int(number), "")
    return (name, -1, name)


def _is_one_off(dyno: Resource) -> bool:
    flag = dyno.get("one_off")
    return flag if isinstance(flag, bool) else dyno.get("type") == "run"


def _size(dyno: Resource) -> str:
    size = dyno.get("size")
    return f" ({size})" if size else ""


def ps_lines(dynos: Iterable[Resource], now: datetime) -> list[str]:
    """Heroku's ``ps``: one-off processes first (grouped by type, ``run`` leading), then the
    formation grouped by type, size and command; blank lines between groups."""
    one_offs: dict[str, list[Resource]] = {}
    formation: dict[tuple[str, str, str], list[Resource]] = {}
    for dyno in dynos:
        kind = _text(dyno.get("type"))
        if _is_one_off(dyno):
            one_offs.setdefault(kind, []).append(dyno)
        else:
            key = (kind, _text(dyno.get("size")), _text(dyno.get("command")))
            formation.setdefault(key, []).append(dyno)

    def by_name(dyno: Resource) -> tuple[str, int, str]:
        return _name_key(_text(dyno.get("name")))

    blocks: list[list[str]] = []
    for kind in sorted(one_offs, key=lambda k: (k != "run", k)):
        group = sorted(one_offs[kind], key=by_name)
        block = [f"=== {kind}: one-off processes ({len(group)})"]
        block += [
            f"{d.get('name')}{_size(d)}: {d.get('state')} {when(d.get('updated_at'), now)}: "
            f"{_text(d.get('command'))}"
            for d in group
        ]
        blocks.append(block)
    for kind, size, command in sorted(formation):
        group = sorted(formation[(kind, size, command)], key=by_name)
        size_part = f" ({size})" if size else ""
        block = [f"=== {kind}{size_part}: {command} ({len(group)})"]
        block += [
            f"{d.get('name')}: {d.get('state')} {when(d.get('updated_at'), now)}" for d in group
        ]
        blocks.append(block)
    return _join_blocks(blocks)


def _join_blocks(blocks: list[list[str]]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if lines:
            lines.append("")
        lines.extend(block)
    return lines


def releases_lines(app: str, releases: Iterable[Resource], now: datetime) -> list[str]:
    """``=== APP Releases - Current: vN`` then ``vN  description  email  age`` rows, newest
    first as the API sent them; the current release is marked ``(current)``."""
    items = list(releases)
    if not items:
        return [f"{app} has no releases."]
    current = next((r for r in items if r.get("current")), None)
    header = f"=== {app} Releases"
    if current is not None:
        header += f" - Current: v{current.get('version')}"
    rows = []
    for release in items:
        description = _text(release.get("description"))
        status = release.get("status")
        if status and status != "succeeded":
            description += f" ({status})"
        user = release.get("user")
        email = _text(user.get("email")) if isinstance(user, dict) else ""
        created = parse_time(release.get("created_at"))
        rows.append(
            [
                f"v{release.get('version')}",
                description,
                email,
                age(created, now) if created else "?",
                "(current)" if release is current else "",
            ]
        )
    return [header, *table(rows)]


def config_lines(app: str, config: Mapping[str, object]) -> list[str]:
    if not config:
        return [f"{app} has no config vars."]
    return [f"=== {app} Config Vars", *aligned((k, _text(config[k])) for k in sorted(config))]


def shell_lines(config: Mapping[str, object]) -> list[str]:
    """``KEY=value`` lines, values quoted for a POSIX shell only where needed."""
    return [f"{key}={shlex.quote(_text(config[key]))}" for key in sorted(config)]


def app_lines(app: Resource, now: datetime) -> list[str]:
    def name_of(field: str) -> str:
        value = app.get(field)
        return _text(value.get("name")) if isinstance(value, dict) else ""

    owner = app.get("owner")
    pairs = [
        ("Owner", _text(owner.get("email")) if isinstance(owner, dict) else ""),
        ("Region", name_of("region")),
        ("Stack", name_of("stack")),
        ("Web URL", _text(app.get("web_url"))),
        ("Slug Size", size_text(app["slug_size"]) if isinstance(app.get("slug_size"), int) else ""),
        ("Created", when(app.get("created_at"), now) if app.get("created_at") else ""),
        ("Released", when(app.get("released_at"), now) if app.get("released_at") else ""),
    ]
    return [f"=== {app.get('name')}", *aligned((k, v) for k, v in pairs if v)]


def authorization_lines(authorization: Resource) -> list[str]:
    """The ``authorizations:create`` block; ``Token`` only when the API still shows it."""
    client = authorization.get("client")
    token = authorization.get("access_token")
    scope = authorization.get("scope")
    pairs = [
        ("Client", _text(client.get("name")) if isinstance(client, dict) else "<none>"),
        ("ID", _text(authorization.get("id"))),
        ("Description", _text(authorization.get("description"))),
        ("Scope", ", ".join(scope) if isinstance(scope, list) else _text(scope)),
    ]
    if isinstance(token, dict):
        if token.get("token"):
            pairs.append(("Token", _text(token.get("token"))))
        if isinstance(token.get("expires_in"), int):
            pairs.append(("Expires in", f"{token['expires_in']} seconds"))
    return aligned(pairs)
