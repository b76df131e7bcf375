"""Packing an app directory into a slug upload: a gzipped tar of the directory's contents.

Left out: every ``.git`` entry, and whatever ``DIR/.slugignore`` matches. That file works like
Heroku's: one pattern per line, ``#`` comments and blank lines ignored, gitignore-style globs
(``*`` and ``?`` stop at ``/``, ``**`` spans directories, ``[...]`` classes); a pattern holding
a ``/`` other than a trailing one is anchored at DIR, any other matches a name at any depth; a
trailing ``/`` matches directories only. There is no ``!`` negation (such a line is a literal).

Members are relative paths (no ``./``, no ``..``), in sorted order, with their modes and
mtimes; owners are dropped; symlinks stay symlinks; other special files are skipped.
Standard library only: the CLI imports this.
"""

from __future__ import annotations

import gzip
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from runoff.errors import RunoffError

IGNORE_FILE = ".slugignore"
ALWAYS_LEFT_OUT = frozenset({".git"})


@dataclass(frozen=True)
class PackStats:
    """What went into the archive: entry counts and the regular files' total size."""

    files: int = 0
    directories: int = 0
    symlinks: int = 0
    file_bytes: int = 0
    left_out: int = 0


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    anchored: bool
    directories_only: bool


def _class_end(pattern: str, start: int) -> int:
    """Index just past the ``]`` closing the class opened at ``start``, or -1."""
    i = start + 1
    if i < len(pattern) and pattern[i] in "!^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    end = pattern.find("]", i)
    return -1 if end < 0 else end + 1


def _translate(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob[i] == "*":
            while i < len(glob) and glob[i] == "*":
                i += 1
            out.append("[^/]*")
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (end := _class_end(glob, i)) > 0:
            body = glob[i + 1 : end - 1]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def parse_ignore(text: str) -> list[_Pattern]:
    """The patterns of a ``.slugignore`` file's text."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        directories_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        regex = re.compile(_translate(line.lstrip("/")))
        patterns.append(_Pattern(regex, anchored, directories_only))
    return patterns


def is_ignored(patterns: list[_Pattern], relative: str, is_directory: bool) -> bool:
    """Whether ``relative`` (a ``/``-separated path below DIR) matches one of ``patterns``."""
    name = relative.rsplit("/", 1)[-1]
    for pattern in patterns:
        if pattern.directories_only and not is_directory:
            continue
        if pattern.regex.fullmatch(relative if pattern.anchored else name):
            return True
    return False


class _Packer:
    def __init__(self, tar: tarfile.TarFile, patterns: list[_Pattern]) -> None:
        self.tar = tar
        self.patterns = patterns
        self.files = self.directories = self.symlinks = self.file_bytes = self.left_out = 0

    def stats(self) -> PackStats:
        return PackStats(
            self.files, self.directories, self.symlinks, self.file_bytes, self.left_out
        )

    def walk(self, directory: Path, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as error:
            raise RunoffError(f"cannot read {directory}: {error.strerror}") from None
        for entry in entries:
            relative = prefix + entry.name
            is_directory = entry.is_dir(follow_symlinks=False)
            if entry.name in ALWAYS_LEFT_OUT or is_ignored(self.patterns, relative, is_directory):
                self.left_out += 1
            else:
                self.add(Path(entry.path), relative)

    def add(self, path: Path, relative: str) -> None:
        info = self.tar.gettarinfo(str(path), arcname=relative)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        if info.islnk():  # a second name of a file already packed: store it again as a file
            info.type, info.linkname, info.size = tarfile.REGTYPE, "", path.stat().st_size
        if info.isreg():
            try:
                with path.open("rb") as file:
                    self.tar.addfile(info, file)
            except OSError as error:
                raise RunoffError(f"cannot read {path}: {error.strerror}") from None
            self.files += 1
            self.file_bytes += info.size
        elif info.issym():
            self.tar.addfile(info)
            self.symlinks += 1
        elif info.isdir():
            self.tar.addfile(info)
            self.directories += 1
            self.walk(path, relative + "/")


def pack(directory: Path, out: BinaryIO) -> PackStats:
    """Write the gzipped tar of ``directory``'s contents to ``out`` (left open)."""
    if not directory.is_dir():
        raise RunoffError(f"cannot deploy {directory}: not a directory")
    ignore_file = directory / IGNORE_FILE
    patterns = parse_ignore(ignore_file.read_text()) if ignore_file.is_file() else []
    # mtime=0 and no file name in the gzip header: the same tree packs to the same bytes.
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        packer = _Packer(tar, patterns)
        packer.walk(directory, "")
    return packer.stats()
