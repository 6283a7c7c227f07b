"""A throwaway certificate authority, a broker certificate for 127.0.0.1 signed by it, and the
``nats-server`` configuration that serves TLS with them: ``--nats-ca`` tested against a real
broker with a private CA (the usual team setup) without the ``openssl`` tool.

Needs the ``cryptography`` package (test extras).
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _issue(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, common: str, server: bool
) -> tuple[bytes, bytes]:
    """(certificate, key) in PEM signed by ``ca``: for the broker at 127.0.0.1 or a client."""
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ca.not_valid_before_utc)
        .not_valid_after(ca.not_valid_after_utc)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if server:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def make_tls(folder: Path, verify_clients: bool = False) -> tuple[Path, Path]:
    """(broker config file with a ``tls`` block, the CA's certificate ``ca.pem``) in ``folder``.
    ``verify_clients``: the broker asks for a client certificate from the same CA; one is
    written as ``client.pem`` and ``client.key``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("StreamScope test CA"))
        .issuer_name(_name("StreamScope test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )  # key_cert_sign, crl_sign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name, common, server in (("server", "127.0.0.1", True), ("client", "viewer", False)):
        cert, key = _issue(ca, ca_key, common, server)
        (folder / f"{name}.pem").write_bytes(cert)
        (folder / f"{name}.key").write_bytes(key)
    lines = [f'cert_file: "{folder / "server.pem"}"', f'key_file: "{folder / "server.key"}"']
    if verify_clients:
        lines += [f'ca_file: "{ca_file}"', "verify: true"]
    config = folder / "tls.conf"
    config.write_text("tls {\n" + "".join(f"  {line}\n" for line in lines) + "}\n")
    return config, ca_file
