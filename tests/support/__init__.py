"""Helpers shared by the tests: API client, live server, slugs, fresh databases."""
