"""`.tokscan.yaml`: excludes, the allowlist, the defaults for `--verify` and `--binary`, and
the archive limits (SPEC §7, §10); and the user's own defaults in
`$XDG_CONFIG_HOME/tokscan/config.yaml` (only `verify` so far).

PyYAML is imported only when a configuration file exists, because the pre-commit hook
must start fast in the common case of a repository without one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokscan import keyformat
from tokscan.errors import TokscanError
from tokscan.record import Frozen, set_field

if TYPE_CHECKING:
    import yaml

FILENAME = ".tokscan.yaml"
# The user's own file may say only what no scanned repository may: whether to send keys to
# TokModel (README, "Choices": a repository's `verify: true` is not obeyed).
USER_KNOWN = ("verify",)
_KNOWN = (
    "allow",
    "exclude",
    "verify",
    "binary",
    "archive_max_bytes",
    "archive_max_members",
    "archive_max_depth",
)
_SWITCHES = ("verify", "binary")
_COUNTS = {  # at least this much: a limit of 0 would skip every archive without a trace
    "archive_max_bytes": 1,
    "archive_max_members": 1,
    "archive_max_depth": 1,
}
# Keys a repository might try to set that only the user may choose (SPEC §5, §6).
_FORBIDDEN = {
    "api_base": "the API base can only be set with --api-base or TOKSCAN_API_BASE, so that "
    "a scanned repository cannot send keys to a host of its choosing",
}
_FORBIDDEN["api-base"] = _FORBIDDEN["api_base"]
_FORBIDDEN["apiBase"] = _FORBIDDEN["api_base"]


class AllowEntry(Frozen):
    __slots__ = ("fingerprint", "reason")
    fingerprint: str
    reason: str | None

    def __init__(self, fingerprint: str, reason: str | None = None) -> None:
        set_field(self, "fingerprint", fingerprint)
        set_field(self, "reason", reason)


class Config(Frozen):
    """A plain record (tokscan/record.py), not a dataclass: it is read at every start."""

    __slots__ = (
        "allow",
        "allowed",
        "archive_max_bytes",
        "archive_max_depth",
        "archive_max_members",
        "binary",
        "exclude",
        "source",
        "verify",
    )  # fmt: skip
    exclude: tuple[str, ...]
    allow: tuple[AllowEntry, ...]
    verify: bool | None  # None: the file does not say
    binary: bool  # search binary files' bytes too (--no-binary turns it off)
    archive_max_bytes: int  # decompressed bytes per archive, nesting included
    archive_max_members: int
    archive_max_depth: int  # archives inside archives
    source: str | None  # the file it came from, for messages
    allowed: frozenset[str]  # the fingerprints of `allow`

    def __init__(
        self,
        exclude: tuple[str, ...] = (),
        allow: tuple[AllowEntry, ...] = (),
        verify: bool | None = None,
        binary: bool = True,
        archive_max_bytes: int = 256 << 20,
        archive_max_members: int = 10_000,
        archive_max_depth: int = 3,
        source: str | None = None,
        allowed: object = None,  # derived from `allow` (a parameter for pickling only)
    ) -> None:
        set_field(self, "exclude", exclude)
        set_field(self, "allow", allow)
        set_field(self, "verify", verify)
        set_field(self, "binary", binary)
        set_field(self, "archive_max_bytes", archive_max_bytes)
        set_field(self, "archive_max_members", archive_max_members)
        set_field(self, "archive_max_depth", archive_max_depth)
        set_field(self, "source", source)
        set_field(self, "allowed", frozenset(a.fingerprint for a in allow))


def load(root: Path, explicit: Path | None = None) -> Config:
    """The configuration for a scan of `root`: `explicit` if given, else `root/.tokscan.yaml`."""
    path = explicit if explicit is not None else root / FILENAME
    try:
        if explicit is None and not path.is_file():
            return Config()
        text = path.read_bytes()
    except OSError as error:
        raise TokscanError(f"cannot read config file {path}: {error.strerror}") from None
    return parse(text, str(path))


def user_path() -> Path:
    """`$XDG_CONFIG_HOME/tokscan/config.yaml` (default `~/.config/tokscan/config.yaml`)."""
    import os

    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "tokscan" / "config.yaml"


def load_user() -> Config:
    """The user's own defaults (empty when the file does not exist)."""
    path = user_path()
    try:
        if not path.is_file():
            return Config()
        text = path.read_bytes()
    except OSError as error:
        raise TokscanError(f"cannot read config file {path}: {error.strerror}") from None
    return parse(text, str(path), USER_KNOWN)


def parse(text: bytes, name: str, known: tuple[str, ...] = _KNOWN) -> Config:
    """Parse configuration text; `name` is the file it came from, used in messages;
    `known`: the keys this file may hold."""
    import yaml

    try:
        root = yaml.compose(text.decode("utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        raise TokscanError(f"{name}: config file is not UTF-8 text") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise TokscanError(f"{name}: malformed YAML: it is nested too deeply") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = keyformat.redact_all(str(error.problem))
        raise TokscanError(f"{where}: malformed YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise TokscanError(f"{name}: malformed YAML: {keyformat.redact_all(str(error))}") from None
    if root is None or root.tag == "tag:yaml.org,2002:null":  # empty, or `---` and comments
        return Config(source=name)
    if not isinstance(root, yaml.MappingNode):
        raise _error(name, root, "the config file must be a mapping (key: value)")
    values: dict[str, Any] = {}
    for key_node, value_node in root.value:
        option = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if option in _FORBIDDEN:
            raise _error(name, key_node, f"'{option}' is not allowed here: {_FORBIDDEN[option]}")
        if option not in known:
            listed = ", ".join(known)
            raise _error(name, key_node, f"unknown key {option!r} (known keys: {listed})")
        if option in values:
            raise _error(name, key_node, f"key {option!r} appears twice")
        values[option] = _read(name, option, value_node)
    return Config(source=name, **values)


def _read(name: str, option: str, node: yaml.Node) -> Any:
    import yaml

    if option in _SWITCHES or option in _COUNTS:
        value = yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None
        if option in _SWITCHES and not isinstance(value, bool):
            raise _error(name, node, f"'{option}' must be true or false")
        if option in _COUNTS and (
            isinstance(value, bool) or not isinstance(value, int) or value < _COUNTS[option]
        ):
            raise _error(name, node, f"'{option}' must be a whole number of at least 1")
        return value
    if not isinstance(node, yaml.SequenceNode):
        raise _error(name, node, f"'{option}' must be a list")
    if option == "exclude":
        patterns = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode) or not item.value.strip():
                raise _error(name, item, "each 'exclude' entry must be a non-empty pattern")
            problem = _pattern_problem(item.value)
            if problem is not None:
                raise _error(name, item, f"'exclude' pattern {item.value!r} is invalid: {problem}")
            patterns.append(item.value)
        return tuple(patterns)
    return tuple(_read_allow(name, item) for item in node.value)


def _read_allow(name: str, node: yaml.Node) -> AllowEntry:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise _error(name, node, "each 'allow' entry must be a mapping with a 'fingerprint'")
    fields: dict[str, str] = {}
    for key_node, value_node in node.value:
        field_name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if field_name not in ("fingerprint", "reason"):
            raise _error(
                name, key_node, f"unknown key {field_name!r} in 'allow' (use fingerprint, reason)"
            )
        if not isinstance(value_node, yaml.ScalarNode):
            raise _error(name, value_node, f"'{field_name}' must be a string")
        fields[field_name] = value_node.value
    fingerprint = fields.get("fingerprint", "").strip().lower()
    if not fingerprint:
        raise _error(name, node, "an 'allow' entry needs a 'fingerprint'")
    if keyformat.find_in_text(fingerprint) or keyformat.find_in_text(fields["fingerprint"]):
        # Never echo it: it is a raw key, and this message may land in a CI log.
        raise _error(
            name,
            node,
            "this 'allow' entry holds a raw key; put its fingerprint there instead "
            "(`tokscan scan --format json` prints it) and rotate the key, which is now exposed",
        )
    if not keyformat.is_fingerprint_prefix(fingerprint):
        raise _error(
            name, node, f"'fingerprint' must be a SHA-256 in hex: all 64 characters, or the "
            f"first {keyformat.PREFIX_MIN} or more (as the text report prints them)",
        )
    return AllowEntry(fingerprint, fields.get("reason"))


def _error(name: str, node: yaml.Node, message: str) -> TokscanError:
    # Messages quote what the file says (an unknown key's name), which may be a raw key.
    return TokscanError(f"{name}:{node.start_mark.line + 1}: {keyformat.redact_all(message)}")


def _pattern_problem(pattern: str) -> str | None:
    """Why this gitignore-style pattern cannot be read, or None."""
    from tokscan import patterns

    try:
        patterns.compile_pattern(pattern)
    except patterns.PatternError as error:
        return str(error)
    return None


def excluder(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """A test for "/"-separated relative paths against gitignore-style `exclude` patterns,
    in time linear in the path (tokscan/patterns.py): a scanned repository chooses them."""
    if not patterns:  # most repositories: nothing to compile (nor `re` to import)
        return _nothing
    from tokscan import patterns as compiled

    return compiled.matcher(patterns)


def _nothing(_path: str) -> bool:
    return False
