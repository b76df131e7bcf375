"""Each dyno's ephemeral filesystem, populated from its release's slug.

``overlay``: an overlayfs mount whose lower layer is the unpacked slug (shared, read-only) and
whose upper layer is private to the dyno — instant whatever the slug size, and a dyno's writes
never reach the slug or another dyno. Needs ``CAP_SYS_ADMIN`` (root). ``copy``: a full copy of
the unpacked slug, for hosts without overlay mounts. ``auto`` probes once and picks overlay
when it works. Workspaces are discarded when the dyno ends.

With an ``owner`` (a sandboxed dyno's uid and gid, when the server runs as root) the workspace
belongs to that user: the overlay's upper layer (so ``/app`` itself), and the unpacked slug it
is made of, handed over once per slug (a slug belongs to one app, whose dynos share a uid); a
copy is handed over whole.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)
MNT_DETACH = 2

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount_overlay(lower: Path, upper: Path, work: Path, target: Path) -> None:
    options = f"lowerdir={lower},upperdir={upper},workdir={work}".encode()
    if _libc.mount(b"overlay", str(target).encode(), b"overlay", 0, options) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"overlay mount failed: {os.strerror(errno)}")


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    """Give ``root`` and everything under it to uid:gid (links themselves, not their targets);
    ``root`` last, so its owner says the whole tree is done."""
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            os.lchown(os.path.join(parent, name), uid, gid)
    os.lchown(root, uid, gid)


def hand_over(tree: Path, owner: tuple[int, int]) -> None:
    """Make ``tree`` (an unpacked slug) owned by ``owner`` unless it already is."""
    stat = tree.lstat()
    if (stat.st_uid, stat.st_gid) != owner:
        _chown_tree(tree, *owner)


def _unmount(target: Path) -> None:
    if _libc.umount2(str(target).encode(), MNT_DETACH) != 0:
        errno = ctypes.get_errno()
        if errno not in (22,):  # EINVAL: not mounted
            log.warning("unmounting %s failed: %s", target, os.strerror(errno))


class WorkspaceProvider:
    def __init__(self, root: Path, mode: str = "auto") -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)
        self._empty = root / ".empty"
        self._empty.mkdir(exist_ok=True)
        if mode == "auto":
            mode = "overlay" if self._overlay_works() else "copy"
        self.mode = mode

    def _overlay_works(self) -> bool:
        probe = self._root / ".probe"
        shutil.rmtree(probe, ignore_errors=True)
        try:
            self._mount(probe, self._empty)
            _unmount(probe / "app")
            return True
        except OSError:
            return False
        finally:
            shutil.rmtree(probe, ignore_errors=True)

    def _mount(self, base: Path, lower: Path, owner: tuple[int, int] | None = None) -> Path:
        upper, work, app = base / "upper", base / "work", base / "app"
        for path in (upper, work, app):
            path.mkdir(parents=True)
        if owner is not None:
            os.chown(upper, *owner)
        _mount_overlay(lower, upper, work, app)
        return app

    def create(
        self, dyno_id: str, slug_tree: Path | None, owner: tuple[int, int] | None = None
    ) -> Path:
        """Make the dyno's app directory (owned by ``owner``: uid, gid) and return it."""
        base = self._root / dyno_id
        lower = slug_tree or self._empty
        if self.mode == "overlay":
            if owner is not None and slug_tree is not None:
                hand_over(slug_tree, owner)
            return self._mount(base, lower, owner)
        app = base / "app"
        base.mkdir(parents=True)
        shutil.copytree(lower, app, symlinks=True)
        if owner is not None:
            _chown_tree(app, *owner)
        return app

    def discard(self, dyno_id: str) -> None:
        base = self._root / dyno_id
        if self.mode == "overlay" and (base / "app").is_dir():
            _unmount(base / "app")
        shutil.rmtree(base, ignore_errors=True)
