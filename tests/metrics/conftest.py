"""The store-level harness (tests.support.harness) for the metrics tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.harness import Harness, harness_on


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    with harness_on(database_url) as found:
        yield found
