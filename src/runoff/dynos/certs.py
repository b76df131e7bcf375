"""The rendezvous endpoint's TLS certificate: generated once per data dir, or configured.

The Heroku CLI only attaches over TLS and checks the certificate (``NODE_EXTRA_CA_CERTS`` is
the way to trust a private CA). On first start runoff makes a CA (``<data>/tls/ca.pem``) and a
server certificate signed by it whose subject alternative names cover the rendezvous host plus
the loopback names; the server certificate is made again, by the same CA, when the host changes
or it nears expiry, so users keep trusting the same CA file. Keys are P-256 (fast to make,
accepted by Node and Python). A configured certificate and key replace all this.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
SERVER_DAYS = 825
RENEW_BEFORE = datetime.timedelta(days=30)

Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class TlsFiles:
    cert: Path  # the server's certificate (chain), PEM
    key: Path
    ca: Path | None  # the generated CA to trust, None for a configured certificate

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def fingerprint(self) -> str:
        """SHA-256 of the server certificate (DER), hex: what runoff's CLI pins."""
        der = ssl.PEM_cert_to_DER_cert(self.cert.read_text())
        return hashlib.sha256(der).hexdigest()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _builder(
    subject: str, issuer: x509.Name, public: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _make_ca(directory: Path) -> tuple[x509.Certificate, Key]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = f"runoff rendezvous CA ({os.uname().nodename})"
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _builder(name, subject, key.public_key(), CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / "ca.key", _key_pem(key))
    (directory / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _make_server(directory: Path, ca: x509.Certificate, ca_key: Key, hosts: list[str]) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(hosts[0], ca.subject, key.public_key(), SERVER_DAYS)
        .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(directory / "server.key", _key_pem(key))
    (directory / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _load_ca(directory: Path) -> tuple[x509.Certificate, Key] | None:
    try:
        cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
        key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert.not_valid_after_utc < _now():
        return None
    return cert, key


def _server_fits(path: Path, hosts: list[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    return cert.not_valid_after_utc - RENEW_BEFORE > _now() and all(
        _san(host) in names for host in hosts
    )


def generated(data_dir: Path, host: str) -> TlsFiles:
    """The CA and server certificate in ``data_dir/tls``, made (or renewed) as needed so the
    server certificate covers ``host`` and the loopback names."""
    directory = data_dir / "tls"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    hosts = list(dict.fromkeys([host, *LOOPBACK_NAMES]))
    ca = _load_ca(directory)
    if ca is None:
        ca = _make_ca(directory)
        _make_server(directory, *ca, hosts)
    elif not _server_fits(directory / "server.pem", hosts):
        _make_server(directory, *ca, hosts)
    return TlsFiles(directory / "server.pem", directory / "server.key", directory / "ca.pem")
