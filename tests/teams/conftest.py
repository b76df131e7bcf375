"""The SMTP fixtures of the monitors tests (team apps' alerts go to team admins)."""

from tests.monitors.conftest import inbox, mail_server, mapi

__all__ = ["inbox", "mail_server", "mapi"]
