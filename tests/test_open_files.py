"""The server raises its soft open-files limit to the hard limit, and warns when even that
leaves room for few dynos. Each case runs in a fresh interpreter whose limits it sets."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

import pytest

_, HARD = resource.getrlimit(resource.RLIMIT_NOFILE)


def raised(soft: int, hard: int) -> tuple[str, str]:
    """(what ``raise_limit`` returned and the limits then in effect, its log) in a process
    started with these limits."""
    script = textwrap.dedent(
        f"""
        import logging, resource, sys
        resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
        from runoff.open_files import raise_limit
        got = raise_limit()
        print(got, *resource.getrlimit(resource.RLIMIT_NOFILE))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip(), done.stderr


@pytest.mark.skipif(
    HARD != resource.RLIM_INFINITY and HARD < 8192, reason="the hard limit here is below 8192"
)
def test_the_soft_limit_is_raised_to_the_hard_limit() -> None:
    out, log = raised(1024, 8192)
    assert out == "8192 8192 8192"
    assert "open-files limit raised from 1024 to 8192" in log
    assert "room for" not in log


def test_a_low_hard_limit_is_reached_and_named() -> None:
    out, log = raised(256, 600)
    assert out == "600 600 600"
    assert "the open-files limit is 600 (hard limit 600): room for fewer than 300 dynos" in log


def test_a_soft_limit_already_at_the_hard_limit_is_left_alone() -> None:
    out, log = raised(600, 600)
    assert out == "600 600 600"
    assert "raised" not in log
