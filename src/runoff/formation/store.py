"""Persistence of formation rows: the quantity and size asked for each process type.

A process type that was never scaled has no row and counts as quantity 0 at the default size.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from runoff.clock import Clock
from runoff.dynos.model import State
from runoff.formation.backoff import PastRun
from runoff.formation.model import MAX_QUANTITY, Update, formation_id
from runoff.store.schema import dynos, formations


@dataclass(frozen=True)
class Scale:
    type: str
    quantity: int
    size: str
    created_at: int
    updated_at: int


class FormationStore:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def scales(self, app_id: str) -> dict[str, Scale]:
        query = select(formations).where(formations.c.app_id == app_id)
        with self._engine.connect() as conn:
            return {
                row.type: Scale(row.type, row.quantity, row.size, row.created_at, row.updated_at)
                for row in conn.execute(query)
            }

    def app_ids(self) -> list[str]:
        """Apps that ask for at least one dyno."""
        query = select(formations.c.app_id).where(formations.c.quantity > 0).distinct()
        with self._engine.connect() as conn:
            return [row.app_id for row in conn.execute(query)]

    def apply(self, app_id: str, updates: list[Update], default_size: str) -> None:
        """Apply ``updates`` in one transaction (relative ones to the stored quantity)."""
        try:
            self._apply(app_id, updates, default_size)
        except IntegrityError:  # a concurrent first scale of the same type inserted the row
            self._apply(app_id, updates, default_size)

    def _apply(self, app_id: str, updates: list[Update], default_size: str) -> None:
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            rows = {
                row.type: row
                for row in conn.execute(select(formations).where(formations.c.app_id == app_id))
            }
            final: dict[str, tuple[int, str]] = {}
            for change in updates:
                row = rows.get(change.type)
                stored = (row.quantity, row.size) if row else (0, default_size)
                quantity, size = final.get(change.type, stored)
                final[change.type] = (
                    min(change.apply(quantity), MAX_QUANTITY),
                    change.size or size,
                )
            for type, (quantity, size) in final.items():
                if type in rows:
                    conn.execute(
                        update(formations)
                        .where(formations.c.id == rows[type].id)
                        .values(quantity=quantity, size=size, updated_at=now)
                    )
                else:
                    conn.execute(
                        formations.insert().values(
                            id=formation_id(app_id, type),
                            app_id=app_id,
                            type=type,
                            quantity=quantity,
                            size=size,
                            created_at=now,
                            updated_at=now,
                        )
                    )

    def past_runs(self, app_id: str, name: str, limit: int) -> list[PastRun]:
        """The ended runs of dyno ``name``, newest first."""
        query = (
            select(dynos.c.state, dynos.c.up_at, dynos.c.ended_at)
            .where(dynos.c.app_id == app_id, dynos.c.name == name, dynos.c.ended_at.isnot(None))
            .order_by(dynos.c.ended_at.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [
                PastRun(row.state == State.CRASHED.value, row.up_at, row.ended_at)
                for row in conn.execute(query)
            ]

    def clear(self, app_id: str) -> None:
        """Forget the app's formation (every type back to 0), e.g. before deleting the app."""
        with self._engine.begin() as conn:
            conn.execute(delete(formations).where(formations.c.app_id == app_id))
