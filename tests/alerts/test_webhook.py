"""Webhook signatures and URL checks."""

from __future__ import annotations

import pytest

from runoff.alerts.webhook import check_url, signature, verify
from runoff.errors import Invalid


def test_signature_verifies_and_detects_tampering() -> None:
    body = b'{"event": "alert.opened"}'
    header = signature("key", 1_795_000_000, body)
    assert header.startswith("t=1795000000,v1=")
    assert verify("key", header, body)
    assert not verify("other", header, body)
    assert not verify("key", header, body + b" ")
    assert not verify("key", "t=x,v1=00", body)


@pytest.mark.parametrize("url", ["ftp://x/y", "not a url", "http://", 3])
def test_bad_urls(url: object) -> None:
    with pytest.raises(Invalid):
        check_url(url)
