"""The slug packer: what goes into the archive, how .slugignore patterns match."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from runoff.apps.slugpack import PackStats, is_ignored, pack, parse_ignore
from runoff.errors import RunoffError


def write(root: Path, relative: str, text: str = "x", mode: int | None = None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)
    return path


def packed(root: Path) -> tuple[dict[str, tarfile.TarInfo], PackStats, bytes]:
    out = io.BytesIO()
    stats = pack(root, out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue()), mode="r:gz") as tar:
        members = {member.name: member for member in tar.getmembers()}
    return members, stats, out.getvalue()


def names(root: Path) -> list[str]:
    return sorted(packed(root)[0])


def test_members_are_relative_and_keep_modes(tmp_path: Path) -> None:
    write(tmp_path, "Procfile", "web: python app.py\n")
    write(tmp_path, "bin/run", "#!/bin/sh\n", mode=0o755)
    write(tmp_path, "app.py", "print(1)\n", mode=0o640)
    members, stats, _ = packed(tmp_path)
    assert sorted(members) == ["Procfile", "app.py", "bin", "bin/run"]
    assert all(not n.startswith(("/", "./")) and ".." not in n.split("/") for n in members)
    assert stat.S_IMODE(members["bin/run"].mode) == 0o755
    assert stat.S_IMODE(members["app.py"].mode) == 0o640
    assert members["bin"].isdir()
    assert (members["app.py"].uid, members["app.py"].uname) == (0, "")
    assert stats == PackStats(files=3, directories=1, symlinks=0, file_bytes=38, left_out=0)


def test_contents_round_trip(tmp_path: Path) -> None:
    write(tmp_path, "data/hello.txt", "hello\n")
    out = io.BytesIO()
    pack(tmp_path, out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue()), mode="r:gz") as tar:
        extracted = tar.extractfile("data/hello.txt")
        assert extracted is not None
        assert extracted.read() == b"hello\n"


def test_symlinks_stay_symlinks(tmp_path: Path) -> None:
    write(tmp_path, "real/file.txt")
    os.symlink("real/file.txt", tmp_path / "link.txt")
    os.symlink("real", tmp_path / "linkdir")
    members, stats, _ = packed(tmp_path)
    assert members["link.txt"].issym()
    assert members["link.txt"].linkname == "real/file.txt"
    assert members["linkdir"].issym()
    assert "linkdir/file.txt" not in members  # a symlinked directory is not followed
    assert stats.symlinks == 2


def test_hard_links_are_stored_as_files(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "same")
    os.link(tmp_path / "a.txt", tmp_path / "b.txt")
    members, _, _ = packed(tmp_path)
    assert members["b.txt"].isreg()
    assert members["b.txt"].size == 4


def test_git_is_always_left_out(tmp_path: Path) -> None:
    write(tmp_path, ".git/HEAD")
    write(tmp_path, "vendor/lib/.git", "gitdir: ../..")  # a submodule's .git file
    write(tmp_path, ".gitignore")
    assert names(tmp_path) == [".gitignore", "vendor", "vendor/lib"]


def test_slugignore(tmp_path: Path) -> None:
    write(
        tmp_path,
        ".slugignore",
        "# design files\n*.psd\n\n/tmp\ndocs/\nspec/**/fixtures\n  log/*.log  \n",
    )
    for relative in [
        "app.py",
        "art/logo.psd",
        "logo.psd",
        "tmp/cache",
        "lib/tmp/keep.py",  # /tmp is anchored at the root
        "docs/index.md",
        "lib/docs/readme.md",  # docs/ matches a directory at any depth
        "spec/fixtures/a.json",
        "spec/unit/fixtures/b.json",
        "spec/unit/test_a.py",
        "log/app.log",
        "log/keep.txt",
        "lib/log/app.log",  # log/*.log has a slash: anchored
    ]:
        write(tmp_path, relative)
    (tmp_path / "docs.txt").write_text("a file named like the docs/ pattern")
    assert names(tmp_path) == [
        ".slugignore",
        "app.py",
        "art",
        "docs.txt",
        "lib",
        "lib/log",
        "lib/log/app.log",
        "lib/tmp",
        "lib/tmp/keep.py",
        "log",
        "log/keep.txt",
        "spec",
        "spec/unit",
        "spec/unit/test_a.py",
    ]


@pytest.mark.parametrize(
    ("pattern", "path", "is_directory", "ignored"),
    [
        ("*.psd", "a/b/c.psd", False, True),
        ("/tmp", "tmp", True, True),
        ("/tmp", "a/tmp", True, False),
        ("docs/", "docs", False, False),  # a trailing slash matches directories only
        ("a/*.txt", "a/b/c.txt", False, False),  # * does not cross /
        ("a/**", "a/b/c.txt", False, True),
        ("**/cache", "x/y/cache", True, True),
        ("file?.txt", "file1.txt", False, True),
        ("[ab].txt", "b.txt", False, True),
        ("[!ab].txt", "b.txt", False, False),
        ("!keep.txt", "keep.txt", False, False),  # no negation: a literal name
        (r"\#hash", "#hash", False, True),
        ("a+b(c)", "a+b(c)", False, True),  # regex characters are literal
    ],
)
def test_patterns(pattern: str, path: str, is_directory: bool, ignored: bool) -> None:
    assert is_ignored(parse_ignore(pattern), path, is_directory) is ignored


def test_packing_is_deterministic(tmp_path: Path) -> None:
    write(tmp_path, "b.txt")
    write(tmp_path, "a/c.txt")
    assert packed(tmp_path)[2] == packed(tmp_path)[2]


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(RunoffError, match="not a directory"):
        pack(tmp_path / "missing", io.BytesIO())


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_is_a_runoff_error(tmp_path: Path) -> None:
    write(tmp_path, "secret", mode=0o000)
    with pytest.raises(RunoffError, match="cannot read"):
        pack(tmp_path, io.BytesIO())
