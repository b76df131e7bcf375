"""The e-mail channel against real SMTP servers on loopback: STARTTLS with authentication,
TLS from the start (smtps), a wrong password, and RUNOFF_SMTP_URL parsing."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from runoff.alerts.channel import DeliveryError
from runoff.alerts.email import EmailChannel, SmtpConfig
from runoff.settings import SettingsError
from tests.support.smtp import Inbox


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (also the CA file clients trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _authenticator(
    _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"alerts", b"p@ss")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def starttls_inbox(certificate: tuple[Path, Path]) -> Iterator[Inbox]:
    box = Inbox(
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    ).start()
    yield box
    box.stop()


def test_starttls_with_authentication(
    starttls_inbox: Inbox, certificate: tuple[Path, Path]
) -> None:
    url = f"smtp://alerts:p%40ss@127.0.0.1:{starttls_inbox.port}?starttls=1&cafile={certificate[0]}"
    channel = EmailChannel(SmtpConfig.parse(url), "runoff@example.com")
    assert channel.send(["a@example.com", "b@example.com"], "hello", "body\n") == []
    [received] = starttls_inbox.messages()
    assert received.recipients == ["a@example.com", "b@example.com"]
    assert received.envelope_from == "runoff@example.com"
    assert received.subject == "hello"


def test_wrong_password_is_a_delivery_error(
    starttls_inbox: Inbox, certificate: tuple[Path, Path]
) -> None:
    url = f"smtp://alerts:nope@127.0.0.1:{starttls_inbox.port}?starttls=1&cafile={certificate[0]}"
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1"):
        EmailChannel(SmtpConfig.parse(url), "runoff@example.com").send(["a@b.c"], "s", "b")
    assert starttls_inbox.messages() == []


def test_untrusted_certificate_is_refused(starttls_inbox: Inbox) -> None:
    url = f"smtp://alerts:p%40ss@127.0.0.1:{starttls_inbox.port}?starttls=1"
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
        EmailChannel(SmtpConfig.parse(url), "runoff@example.com").send(["a@b.c"], "s", "b")


def test_smtps(certificate: tuple[Path, Path]) -> None:
    box = Inbox(
        ssl_context=_server_context(certificate),
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    box.start()
    try:
        url = f"smtps://alerts:p%40ss@127.0.0.1:{box.port}?cafile={certificate[0]}"
        EmailChannel(SmtpConfig.parse(url), "runoff@example.com").send(["a@b.c"], "tls", "b")
        assert [m.subject for m in box.messages()] == ["tls"]
    finally:
        box.stop()


def test_smtp_url_parsing() -> None:
    config = SmtpConfig.parse("smtps://u%3Ax:p%2Fw@mail.example.com?timeout=7")
    assert (config.host, config.port, config.tls, config.starttls) == (
        "mail.example.com",
        465,
        True,
        False,
    )
    assert (config.user, config.password, config.timeout) == ("u:x", "p/w", 7.0)
    assert SmtpConfig.parse("smtp://mail.example.com").port == 25
    for bad in ("http://x", "smtp://", "smtp://h:notaport", "smtp://h?timeout=x"):
        with pytest.raises(SettingsError, match="RUNOFF_SMTP_URL"):
            SmtpConfig.parse(bad)


def test_unconfigured_email_fails_visibly() -> None:
    with pytest.raises(DeliveryError, match="RUNOFF_SMTP_URL"):
        EmailChannel(None, "runoff@localhost").send(["a@b.c"], "s", "b")
