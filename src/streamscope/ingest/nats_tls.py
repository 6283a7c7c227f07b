"""TLS to the broker (``tls://`` URLs, ``--nats-ca``, ``--nats-cert``/``--nats-key``): the
``ssl.SSLContext`` given to nats-py, and a short reason when the handshake fails.

A team broker usually has a certificate from a private CA: without ``--nats-ca`` only the
system's CAs are trusted and the connection fails, so that failure says which option helps.
Key files are handed to ``ssl`` by path and never read or shown here.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import urlsplit

UNTRUSTED = "TLS: certificate not trusted (give --nats-ca)"
NOT_ACCEPTED = "TLS: certificate not"  # how every verification failure below starts
# OpenSSL verify codes for "no trusted CA signed this" (self-signed, unknown issuer)
_UNKNOWN_ISSUER = {2, 18, 19, 20, 21}
_WRONG_HOST = {62, 64}  # hostname / IP address mismatch
CLIENT_REFUSED = "TLS: the broker refused this client (give --nats-cert and --nats-key)"
# the broker's alert when it verifies clients and got no certificate or one it does not trust
_CLIENT_REFUSED = {
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED",
}


def _encrypted_key() -> bytes:
    raise ValueError("--nats-key: the key is encrypted; give an unencrypted key file")


def tls_context(
    url: str, ca: str | None, cert: str | None = None, key: str | None = None
) -> ssl.SSLContext | None:
    """The context for nats-py's ``connect(tls=...)``; None when nothing asks for TLS (nats-py
    still upgrades with the system's CAs if the broker requires TLS). ValueError says what is
    wrong with a file."""
    if not (ca or cert or key or urlsplit(url).scheme == "tls"):
        return None
    for flag, path in (("--nats-ca", ca), ("--nats-cert", cert), ("--nats-key", key)):
        if path and not Path(path).is_file():
            raise ValueError(f"{flag}: no such file: {path}")
    if key and not cert:
        raise ValueError("--nats-key needs --nats-cert")
    try:
        context = ssl.create_default_context(cafile=ca)
    except ssl.SSLError as e:
        raise ValueError(f"--nats-ca: no PEM certificate in {ca} ({e.reason})") from None
    except OSError as e:
        raise ValueError(f"--nats-ca: cannot read {ca}: {e.strerror}") from None
    if cert:
        try:
            context.load_cert_chain(cert, key, password=_encrypted_key)
        except ssl.SSLError:
            raise ValueError(
                f"--nats-cert/--nats-key: {cert} and {key or 'its key'} are not a PEM "
                "certificate and its matching private key"
            ) from None
        except OSError as e:
            raise ValueError(f"--nats-cert/--nats-key: cannot read: {e.strerror}") from None
    return context


def tls_problem(e: BaseException) -> str | None:
    """A failed handshake as one short line; None for anything that is not TLS."""
    if isinstance(e, ssl.SSLCertVerificationError):
        if e.verify_code in _UNKNOWN_ISSUER:
            return UNTRUSTED
        if e.verify_code in _WRONG_HOST:
            return f"TLS: certificate not for this host ({e.verify_message})"
        return f"TLS: certificate not accepted ({e.verify_message})"
    if isinstance(e, ssl.SSLError):
        if e.reason in _CLIENT_REFUSED:
            return CLIENT_REFUSED
        return f"TLS: {e.reason or e}"
    return None
