"""Range headers and config patches: bad input is a 4xx RunoffError, never another exception."""

from __future__ import annotations

import pytest

from runoff.apps.releases import (
    MAX_CONFIG_NAME,
    MAX_CONFIG_VALUE,
    parse_range,
    validate_config_patch,
)
from runoff.errors import BadRequest, Invalid


@pytest.mark.parametrize(
    "header",
    ["version ..; max=²", "version ..; max=٣", f"version {2**63}..", f"version ..{'9' * 30}"],
)
def test_bad_ranges_are_bad_requests(header: str) -> None:
    with pytest.raises(BadRequest):
        parse_range(header)


@pytest.mark.parametrize(
    "patch",
    [
        {"A\n": "x"},
        {"A" * (MAX_CONFIG_NAME + 1): "x"},
        {"A": "x" * (MAX_CONFIG_VALUE + 1)},
        {"A": "a\x00b"},
    ],
)
def test_config_that_cannot_be_stored_or_executed_is_invalid(patch: dict[str, str]) -> None:
    with pytest.raises(Invalid):
        validate_config_patch(patch)


def test_config_at_the_limits_is_accepted() -> None:
    patch = {"A" * MAX_CONFIG_NAME: "x" * MAX_CONFIG_VALUE}
    assert validate_config_patch(patch) == patch
