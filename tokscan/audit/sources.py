"""What `tokscan audit` audits: sources given on the command line or in a `--from` file,
checked and named.

A source is a local repository (a work tree or a bare one, audited in place) or a clone
URL on one of the transports `tokscan ci` fetches through (git/process.py's
FETCH_PROTOCOLS): `https://`, `http://`, `ssh://`, scp-like `user@host:path`, `file://`.
Everything else is refused before git sees it: `ext::` (which runs a command), any other
`transport::address` helper, `git://`, `fd::`, an option-like `-u…`.

Credentials in a URL (`https://user:token@host/…`) are taken out of it: `url` (shown and
stored) never holds them; `auth` keeps them for the clone and fetch alone, which send them
as an HTTP header (clone.py), so they are not written into the clone's config either.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from tokscan.errors import TokscanError
from tokscan.git.process import FETCH_PROTOCOLS

# scp-like ssh: `[user@]host:path`, with no `/` before the colon (git's own rule) and a
# host that is not a single letter (a Windows drive).
_SCP = re.compile(r"^(?:[^@/:\s]+@)?(?P<host>[^@/:\s]{2,}):(?P<path>[^\s].*)$")
# `user:password@host:path`: credentials in the scp-like form, which git would read as
# host `user` and path `password@host:path` (sending the password to ssh as a path).
_SCP_PASSWORD = re.compile(r"^(?P<user>[^@/:\s]+):\S*@(?P<host>[^@/:\s]{2,}):(?P<path>\S.*)$")


@dataclass(frozen=True)
class Source:
    """One repository to audit."""

    name: str  # how reports name it: host/path, or a local repository's absolute path
    url: str  # as given, credentials removed: safe to show and store
    local: bool  # a repository on this machine, audited in place (not cloned)
    # The `Authorization` header value for an https/http URL that carried credentials;
    # never shown, never stored.
    auth: str | None = None

    @property
    def slug(self) -> str:
        """A folder name for this repository in the work folder: readable and unique."""
        import hashlib

        digest = hashlib.sha256(self.name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", self.name).strip("._")[-60:]
        return f"{readable or 'repository'}-{digest}"


def parse(text: str, base: Path | None = None) -> Source:
    """A source from its text: a local repository's path, or a clone URL."""
    text = text.strip()
    if not text:
        raise TokscanError("an empty source: give a repository path or a clone URL")
    if text.startswith("-"):
        raise TokscanError(f"not a source: {text!r} looks like an option")
    if "::" in text.split("/", 1)[0] or text.lower().startswith("ext:"):
        raise TokscanError(
            f"refused source {_shown(text)!r}: `transport::address` remote helpers (ext:: "
            "runs a command) are not allowed; use an https, ssh or file URL"
        )
    scheme = _scheme(text)
    if scheme is not None:
        return _from_url(text, scheme)
    local = Path(base or ".") / text
    if local.is_dir():
        return _local(local)
    password = _SCP_PASSWORD.match(text)
    if password:
        raise TokscanError(
            f"refused source '{password['user']}:…@{password['host']}:{password['path']}': "
            "a password in the scp-like form would reach ssh and every report; give "
            "https://user:token@host/path (sent as a header) or an ssh key"
        )
    found = _SCP.match(text)
    if found and not os.path.exists(text):
        if found["host"].startswith("-"):  # as for ssh:// below (git refuses it too)
            raise TokscanError(f"refused source {text!r}: a host name that starts with `-` "
                               "would be an option to ssh")
        return Source(name=f"{found['host']}/{_bare_name(found['path'])}", url=text, local=False)
    raise TokscanError(
        f"not a repository or a clone URL: {_shown(text)!r} (a folder that does not exist, "
        "or an unknown form)"
    )


def read_list(path: Path) -> list[str]:
    """The sources in a `--from` file: one a line; blank lines and `#` comments skipped."""
    try:
        data = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TokscanError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise TokscanError(f"{path} is not UTF-8 text") from None
    found = []
    for line in data.splitlines():
        text = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if text:
            found.append(text)
    return found


def unique(sources: list[Source]) -> list[Source]:
    """Sources in order, each repository once (the same name given twice is one audit)."""
    first: dict[str, Source] = {}
    for source in sources:
        first.setdefault(source.name, source)
    return list(first.values())


def strip_credentials(url: str) -> str:
    """`url` with any user name and password of an http(s) URL removed, and the password of
    any other (an ssh user name is not a secret: it is `git` for every forge)."""
    scheme = _scheme(url)
    if scheme is None:
        return url
    parts = urlsplit(url)
    if parts.password is None and (parts.username is None or scheme not in ("http", "https")):
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if scheme not in ("http", "https") and parts.username:
        host = f"{parts.username}@{host}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _scheme(text: str) -> str | None:
    """The URL scheme, lower case, if `text` is a URL (`scheme://`); refused unless allowed."""
    found = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", text)
    if found is None:
        return None
    scheme = found.group(1).lower()
    if scheme not in FETCH_PROTOCOLS:
        allowed = ", ".join(f"{name}://" for name in FETCH_PROTOCOLS)
        raise TokscanError(
            f"refused source {_shown(text)!r}: the {scheme}:// transport is not allowed "
            f"(allowed: {allowed}, scp-like user@host:path, or a local path)"
        )
    return scheme


def _from_url(text: str, scheme: str) -> Source:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:  # a malformed URL: an input error, never a crash, and never quoted
        # (its user and password cannot be told apart from the rest to leave them out)
        raise TokscanError(
            "not a clone URL: its host or port cannot be read (a user name or password "
            "with `/`, `?`, `#` or `@` in it must be percent-encoded)"
        ) from None
    url = strip_credentials(text)
    auth = None
    if scheme in ("http", "https") and parts.username is not None:
        user, password = unquote(parts.username), unquote(parts.password or "")
        pair = f"{user}:{password}".encode()
        auth = "Basic " + base64.b64encode(pair).decode("ascii")
    if scheme == "file":
        path = unquote(parts.path)  # one that is not there fails as its clone does
        return Source(name=os.path.abspath(path).rstrip("/") or "/", url=url, local=False)
    host = parts.hostname or ""
    if not host:
        raise TokscanError(f"not a clone URL: {_shown(url)!r} names no host")
    if host.startswith("-") or (parts.username or "").startswith("-"):
        # ssh would read `-oProxyCommand=…` as an option (git refuses it too)
        raise TokscanError(f"refused source {_shown(url)!r}: a host or user name that "
                           "starts with `-` would be an option to ssh")
    return Source(name=f"{host}/{_bare_name(parts.path)}", url=url, local=False, auth=auth)


def _local(path: Path) -> Source:
    absolute = os.path.abspath(path)
    return Source(name=absolute, url=absolute, local=True)


def _bare_name(path: str) -> str:
    path = unquote(path).strip("/")
    return path[:-4] if path.endswith(".git") else path


def _shown(text: str) -> str:
    """A source as a message may quote it: any `user:password@` after `//` removed."""
    return re.sub(r"//[^/@\s]*@", "//", text)
