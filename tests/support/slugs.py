"""Building slug archives for tests."""

from __future__ import annotations

import io
import tarfile


def make_slug(files: dict[str, str | bytes], modes: dict[str, int] | None = None) -> bytes:
    """A gzipped tar with ``files`` (path -> content) at its root."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = (modes or {}).get(path, 0o644)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def deploy(api: object, app: str, files: dict[str, str | bytes], **kw: object) -> dict[str, object]:
    """Upload a slug and release it; returns the release."""
    from tests.support.api import Api

    assert isinstance(api, Api)
    slug = api.request(
        "POST",
        f"/apps/{app}/slugs",
        raw=make_slug(files, **kw),  # type: ignore[arg-type]
        headers={"Content-Type": "application/gzip"},
    ).ok()
    release: dict[str, object] = api.post(f"/apps/{app}/releases", {"slug": slug["id"]}).ok()
    return release
