"""Where keys may be sent for verification (SPEC §5, §6).

Only the user chooses: `--api-base` or `TOKSCAN_API_BASE`, never a file inside a scanned
repository (config.py rejects `api_base` there). It must be https, because the probe
carries the key; plain http is allowed only to this machine's loopback, for testing.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from tokscan import keyformat
from tokscan.errors import TokscanError

DEFAULT = "https://tokmodel.com"


def resolve(value: str | None) -> str:
    """The API base to use: `value` (--api-base, or $TOKSCAN_API_BASE, which the command
    line reads: tokscan/options.py), else the default; checked, without a trailing slash.
    Raises TokscanError (exit 2) if unsafe."""
    if not value:
        return DEFAULT
    return check(value)


def check(value: str) -> str:
    problem = _problem(value)
    if problem is not None:
        raise TokscanError(f"invalid API base {_shown(value)}: {problem}")
    return value.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost`: addresses that never leave this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _problem(value: str) -> str | None:
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return "not a valid URL (expected e.g. https://tokmodel.com)"
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        return "expected an https:// URL such as https://tokmodel.com"
    if parts.username is not None or parts.password is not None:
        return "it must not hold a user name or password"
    if parts.query or parts.fragment or value.strip().endswith(("?", "#")):
        return "it must not have a query (?) or fragment (#)"
    if scheme == "http" and not is_loopback(host):
        return (
            "plain http:// would send keys unencrypted; use https://, or http:// only to a "
            "loopback address (127.0.0.0/8, ::1, localhost) for testing"
        )
    return None


def _shown(value: str) -> str:
    """The value for an error message, with anything key-shaped redacted."""
    return repr(keyformat.redact_all(value))
