"""The HTTP layer: the Heroku-compatible Platform API (and later the dashboard)."""
