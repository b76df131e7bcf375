"""The real Heroku CLI's add-on commands against the One-off Dyno Metrics add-on."""

from __future__ import annotations

import pytest

from tests.e2e.test_heroku_cli import Heroku, heroku
from tests.support.api import Api

pytestmark = pytest.mark.heroku
__all__ = ["heroku"]  # the fixture, used by name


def test_heroku_addons_lifecycle(api: Api, heroku: Heroku) -> None:
    api.create_app("hkapp")
    created = heroku("addons:create", "one-off-metrics", "-a", "hkapp")
    assert "Creating one-off-metrics on" in created.stderr + created.stdout
    listed = heroku("addons", "-a", "hkapp").stdout
    assert "one-off-metrics" in listed
    assert "created" in listed  # the CLI's word for provisioned
    upgraded = heroku("addons:upgrade", "one-off-metrics:pro", "-a", "hkapp")
    assert "one-off-metrics:pro" in upgraded.stderr + upgraded.stdout
    assert api.get("/apps/hkapp/addons").ok()[0]["plan"]["name"] == "one-off-metrics:pro"
    opened = heroku("addons:open", "one-off-metrics", "-a", "hkapp")
    assert "/apps/hkapp/one-off-metrics" in opened.stderr + opened.stdout
    heroku("addons:destroy", "one-off-metrics", "-a", "hkapp", "--confirm", "hkapp")
    assert api.get("/apps/hkapp/addons").ok() == []
