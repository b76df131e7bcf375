"""Formation operations as the API offers them: list, info, scale (batch or one type).

The process types come from the current release's Procfile (``release`` excepted: it runs in
the release phase). Scaling a type the Procfile does not declare is a 404, as on Heroku.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable

from runoff.apps.model import RELEASE_PHASE_TYPE, App
from runoff.apps.releases import ReleaseService
from runoff.dynos import sizes
from runoff.errors import Invalid, NotFound
from runoff.formation.model import Formation, Update, formation_id
from runoff.formation.store import FormationStore


def process_types(types: dict[str, str]) -> dict[str, str]:
    """The Procfile's types that can be scaled."""
    return {name: command for name, command in types.items() if name != RELEASE_PHASE_TYPE}


class FormationService:
    def __init__(
        self,
        store: FormationStore,
        releases: ReleaseService,
        changed: Callable[[str], None],
    ) -> None:
        """``changed(app_id)`` is told after a scale so the dyno manager acts on it."""
        self._store = store
        self._releases = releases
        self._changed = changed

    def list(self, app: App) -> list[Formation]:
        release = self._releases.current(app.id)
        types = process_types(release.process_types) if release else {}
        scales = self._store.scales(app.id)
        result = []
        for name in sorted(types):
            scale = scales.get(name)
            result.append(
                Formation(
                    id=formation_id(app.id, name),
                    app_id=app.id,
                    type=name,
                    command=types[name],
                    quantity=scale.quantity if scale else 0,
                    size=scale.size if scale else sizes.DEFAULT_SIZE,
                    created_at=scale.created_at if scale else None,
                    updated_at=scale.updated_at if scale else None,
                )
            )
        return result

    def get(self, app: App, type_or_id: str) -> Formation:
        for formation in self.list(app):
            if type_or_id in (formation.type, formation.id):
                return formation
        raise NotFound(f"Couldn't find that process type ({type_or_id}).")

    def update(self, app: App, updates: builtins.list[Update]) -> builtins.list[Formation]:
        """Apply every update or none; returns the whole formation afterwards."""
        known = {formation.type for formation in self.list(app)}
        for change in updates:
            if change.type == RELEASE_PHASE_TYPE:
                raise Invalid(
                    "The release process type runs once per release (the release phase); "
                    "it cannot be scaled."
                )
            if change.type not in known:
                raise NotFound(f"Couldn't find that process type ({change.type}).")
        self._store.apply(app.id, updates, sizes.DEFAULT_SIZE)
        self._changed(app.id)
        return self.list(app)
