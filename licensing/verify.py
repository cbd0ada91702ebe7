"""Check a Lyceum licence key offline, without calling Lyceum.

Needs Python 3.11+ and the `cryptography` package, nothing else (no Django, no network):

    python -m licensing.verify KEY --keys keys.json
    python -m licensing.verify - --keys keys.json < key.txt

`keys.json` is a copy of https://YOUR-LYCEUM/.well-known/lyceum-licence-keys.json (a JSON Web Key Set of
Ed25519 public keys). Refresh your copy from time to time: keys rotate, and a retired key stops verifying.

A licence key is a compact JWS: base64url(header).base64url(payload).base64url(signature), signed with
Ed25519 (`"alg": "EdDSA"`); the header names the signing key (`kid`). The payload says which licence it
is (`lic`), for which organisation (`org`, `org_name`), how many seats (`seats`), the tier (`tier`) and
its features, and when it is valid (`nbf` to `exp`, Unix seconds).

Exit status: 0 valid, 1 not valid (the reason is printed), 2 the command was used wrongly.
Import it to use the same checks in your own code: `verify(token, key_set)` returns the payload or raises
`InvalidLicenceKey` whose `.code` is one of malformed, unknown_key, bad_signature, not_yet_valid, expired.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALGORITHM = "EdDSA"
TOKEN_TYPE = "lyceum-licence+jws"  # noqa: S105 - a media type, not a secret
LEEWAY_SECONDS = 60  # clocks disagree a little


class InvalidLicenceKey(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _json_part(text: str) -> dict:
    data = json.loads(b64url_decode(text))
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


def signing_input(header: dict, payload: dict) -> bytes:
    def part(obj: dict) -> str:
        return b64url_encode(json.dumps(obj, separators=(",", ":"), sort_keys=True).encode())

    return f"{part(header)}.{part(payload)}".encode("ascii")


def split(token: str) -> tuple[dict, dict, bytes, bytes]:
    """(header, payload, signed bytes, signature) without checking the signature."""
    token = (token or "").strip()
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 8192:
        raise InvalidLicenceKey("malformed", "This is not a Lyceum licence key (expected three dot-separated parts).")
    try:
        header, payload = _json_part(parts[0]), _json_part(parts[1])
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise InvalidLicenceKey("malformed", "This licence key is damaged (a part is not valid base64url JSON).")
    if header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE or not isinstance(header.get("kid"), str):
        raise InvalidLicenceKey("malformed", "This licence key's header is not a Lyceum EdDSA header.")
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def public_keys(key_set: dict) -> dict[str, Ed25519PublicKey]:
    """kid → public key, from a JSON Web Key Set of Ed25519 keys."""
    found = {}
    for jwk in (key_set or {}).get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and isinstance(jwk.get("kid"), str):
            try:
                found[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk.get("x", "")))
            except ValueError:
                continue
    return found


def verify(token: str, key_set: dict, *, now: float | None = None, leeway: int = LEEWAY_SECONDS) -> dict[str, Any]:
    """The licence's payload when `token` is signed by a key of `key_set` and valid now; else InvalidLicenceKey."""
    header, payload, signed, signature = split(token)
    key = public_keys(key_set).get(header["kid"])
    if key is None:
        raise InvalidLicenceKey(
            "unknown_key",
            f"Signed with key “{header['kid']}”, which your key set does not have (retired, or refresh it).",
        )
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        raise InvalidLicenceKey("bad_signature", "The signature does not match: the key was altered or forged.")
    now = time.time() if now is None else now
    nbf, exp = payload.get("nbf"), payload.get("exp")
    if not isinstance(nbf, int) or not isinstance(exp, int):
        raise InvalidLicenceKey("malformed", "This licence key has no validity period.")
    if now + leeway < nbf:
        raise InvalidLicenceKey("not_yet_valid", "This licence key is not valid yet.")
    if now - leeway >= exp:
        raise InvalidLicenceKey("expired", "This licence key has expired.")
    return payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m licensing.verify", description="Check a Lyceum licence key offline."
    )
    parser.add_argument("key", help="the licence key, or - to read it from standard input")
    parser.add_argument("--keys", required=True, help="the key set: a copy of /.well-known/lyceum-licence-keys.json")
    args = parser.parse_args(argv)
    token = sys.stdin.read() if args.key == "-" else args.key
    try:
        with open(args.keys, encoding="utf-8") as handle:
            key_set = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"Cannot read the key set {args.keys}: {exc}", file=sys.stderr)
        return 2
    try:
        payload = verify(token, key_set)
    except InvalidLicenceKey as exc:
        print(json.dumps({"valid": False, "code": exc.code, "message": exc.message}, indent=2))
        return 1
    print(json.dumps({"valid": True, "licence": payload}, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
