"""Slugs: the packed app directory a release runs.

An uploaded slug (a gzipped tar) is kept under ``<data>/slugs/<id>.tgz`` and unpacked once into
``<data>/slug-cache/<id>/``, which every dyno of a release uses as its read-only base. The
Procfile is parsed from the unpacked tree at upload, so a bad Procfile never makes a release.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from runoff.apps import procfile
from runoff.apps.model import App, Slug
from runoff.clock import Clock
from runoff.errors import Invalid, NotFound
from runoff.store.rows import new_id
from runoff.store.schema import slugs

MAX_SLUG_BYTES = 500 * 1024 * 1024


def _slug(row: Any) -> Slug:
    return Slug(
        id=row.id,
        app_id=row.app_id,
        checksum=row.checksum,
        size=row.size,
        process_types=json.loads(row.process_types),
        created_at=row.created_at,
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "SHA256:" + digest.hexdigest()


def unpack(archive: Path, target: Path) -> None:
    """Unpack ``archive`` into ``target`` (created), refusing members that escape it."""
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(staging, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise Invalid(f"The slug is not a valid gzipped tar archive: {exc}") from None
    staging.rename(target)


class SlugService:
    def __init__(self, engine: Engine, clock: Clock, data_dir: Path) -> None:
        self._engine = engine
        self._clock = clock
        self._archives = data_dir / "slugs"
        self._cache = data_dir / "slug-cache"

    def store(self, app: App, upload: Path) -> Slug:
        """Take ownership of the uploaded archive at ``upload`` and record it as a slug."""
        size = upload.stat().st_size
        if size == 0:
            raise Invalid("The slug is empty: send a gzipped tar of the app directory")
        if size > MAX_SLUG_BYTES:
            raise Invalid(f"The slug is {size} bytes; the limit is {MAX_SLUG_BYTES} bytes")
        slug_id = new_id()
        self._archives.mkdir(parents=True, exist_ok=True)
        archive = self._archives / f"{slug_id}.tgz"
        shutil.move(upload, archive)
        tree = self._cache / slug_id
        try:
            unpack(archive, tree)
            process_types = self._process_types(tree)
        except Exception:
            archive.unlink(missing_ok=True)
            shutil.rmtree(tree, ignore_errors=True)
            raise
        slug = Slug(
            slug_id, app.id, sha256_file(archive), size, process_types, self._clock.now_us()
        )
        with self._engine.begin() as conn:
            conn.execute(
                slugs.insert().values(
                    id=slug.id,
                    app_id=slug.app_id,
                    checksum=slug.checksum,
                    size=slug.size,
                    process_types=json.dumps(process_types),
                    created_at=slug.created_at,
                )
            )
        return slug

    @staticmethod
    def _process_types(tree: Path) -> dict[str, str]:
        path = tree / "Procfile"
        if not path.is_file():
            return {}
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise procfile.ProcfileError("Procfile is not valid UTF-8 text") from None
        return procfile.parse(text)

    def get(self, app: App, slug_id: str) -> Slug:
        query = select(slugs).where(slugs.c.id == slug_id, slugs.c.app_id == app.id)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"Couldn't find that slug: {slug_id}")
        return _slug(row)

    def tree(self, slug_id: str) -> Path:
        """The unpacked slug, unpacking the archive again if the cache was cleared."""
        tree = self._cache / slug_id
        if not tree.is_dir():
            unpack(self._archives / f"{slug_id}.tgz", tree)
        return tree

    def ids_for(self, app: App) -> list[str]:
        with self._engine.connect() as conn:
            return list(conn.execute(select(slugs.c.id).where(slugs.c.app_id == app.id)).scalars())

    def forget_app(self, slug_ids: list[str]) -> None:
        for slug_id in slug_ids:
            (self._archives / f"{slug_id}.tgz").unlink(missing_ok=True)
            shutil.rmtree(self._cache / slug_id, ignore_errors=True)
