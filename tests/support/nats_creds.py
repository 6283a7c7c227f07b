"""A NATS ``.creds`` file and the broker configuration that accepts it (operator mode: an
operator, one account, one user; JWTs signed with NKeys), made here so ``--nats-creds`` is
tested against a real ``nats-server`` without the ``nsc`` tool.

Needs the ``nkeys`` package (nats-py's optional dependency for credentials); the JWT layout
is NATS's v2 claims (header ``ed25519-nkey``, the issuer's signature over ``header.claims``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path
from typing import Any

import orjson


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _key(prefix: int) -> Any:
    import nkeys

    seed = nkeys.encode_seed(os.urandom(32), prefix)
    return nkeys.from_seed(bytearray(seed))


def _jwt(issuer: Any, subject: str, name: str, nats: dict[str, Any]) -> str:
    claims: dict[str, Any] = {
        "iat": int(time.time()),
        "iss": issuer.public_key.decode(),
        "name": name,
        "sub": subject,
        "nats": {**nats, "version": 2},
    }
    jti = base64.b32encode(hashlib.sha256(orjson.dumps(claims)).digest()).decode().rstrip("=")
    claims["jti"] = jti
    header = _b64(orjson.dumps({"typ": "JWT", "alg": "ed25519-nkey"}))
    body = f"{header}.{_b64(orjson.dumps(claims))}"
    return f"{body}.{_b64(issuer.sign(body.encode()))}"


def make_creds(folder: Path) -> tuple[Path, Path, str]:
    """(broker config file, user .creds file, the user's seed) in ``folder``."""
    import nkeys

    operator = _key(nkeys.PREFIX_BYTE_OPERATOR)
    account = _key(nkeys.PREFIX_BYTE_ACCOUNT)
    user = _key(nkeys.PREFIX_BYTE_USER)
    op_pub, acct_pub = operator.public_key.decode(), account.public_key.decode()
    op_jwt = _jwt(operator, op_pub, "op", {"type": "operator"})
    unlimited = {k: -1 for k in ("subs", "conn", "leaf", "imports", "exports", "data", "payload")}
    acct_jwt = _jwt(
        operator, acct_pub, "team", {"type": "account", "limits": {**unlimited, "wildcards": True}}
    )
    user_jwt = _jwt(
        account, user.public_key.decode(), "viewer",
        {"type": "user", "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1},
    )  # fmt: skip
    seed = user.seed.decode()
    creds = folder / "viewer.creds"
    creds.write_text(
        "-----BEGIN NATS USER JWT-----\n"
        f"{user_jwt}\n"
        "------END NATS USER JWT------\n\n"
        "-----BEGIN USER NKEY SEED-----\n"
        f"{seed}\n"
        "------END USER NKEY SEED------\n"
    )
    config = folder / "operator.conf"
    config.write_text(
        f'operator: "{op_jwt}"\n'
        "resolver: MEMORY\n"
        f'resolver_preload: {{\n  {acct_pub}: "{acct_jwt}"\n}}\n'
    )
    return config, creds, seed
