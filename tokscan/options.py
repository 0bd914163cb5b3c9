"""The command line's options, declared once, and the record they are parsed into.

`OUTPUT_OPTIONS` (what every scanning command takes, SPEC §3), `GLOBAL_OPTIONS` (before
or after the command name) and `SWITCHES` (a command's own flags) are data: the click
application (cli/app.py) and the hook's fast parser (cli/fast.py) are both built from
them, so the two routes cannot drift apart.

Plain classes rather than dataclasses: `dataclasses` costs several milliseconds to import,
and this module is on the pre-commit hook's hot path.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

FORMATS = ("text", "json", "sarif", "github", "gitlab")
AUDIT_FORMATS = ("text", "json", "sarif", "html")  # `tokscan audit`: one report, many repos

# The one place that names the environment variable for the API base; both parsers read
# it through the option below, and verification never looks at the environment itself.
API_BASE_ENV = "TOKSCAN_API_BASE"


class Option:
    """One command-line option.

    `kind` is "flag" (a switch that sets True; with `negative`, a --x/--no-x pair whose
    default is None: "not said"), "text", "path", "folder", "choice" (one of `choices`),
    "count" (an integer of at least 1) or "seconds" (a positive number). `env` names an
    environment variable that gives the value when the option is absent.
    """

    __slots__ = ("choices", "default", "env", "field", "help", "kind", "metavar", "names",
                 "negative")

    def __init__(self, field: str, names: tuple[str, ...], kind: str, help: str, *,
                 negative: str | None = None, choices: tuple[str, ...] = (),
                 default: object = None, env: str | None = None,
                 metavar: str | None = None) -> None:
        self.field = field
        self.names = names
        self.kind = kind
        self.help = help
        self.negative = negative
        self.choices = choices
        self.default = default
        self.env = env
        self.metavar = metavar


OUTPUT_OPTIONS = (
    Option("format", ("-f", "--format"), "choice", "Report format.", choices=FORMATS,
           default="text"),
    Option("output", ("-o", "--output"), "path",
           "Write the report to FILE instead of standard output."),
    Option("verify", ("--verify",), "flag",
           "Ask the TokModel API whether each key is live (off by default).",
           negative="--no-verify"),
    Option("api_base", ("--api-base",), "text",
           f"TokModel API base for --verify [env: {API_BASE_ENV}].", env=API_BASE_ENV,
           metavar="URL"),
    Option("show_secrets", ("--show-secrets",), "flag",
           "Print full keys instead of redacted ones."),
    Option("baseline", ("--baseline",), "path",
           "Suppress findings whose fingerprint is in this baseline file."),
    Option("write_baseline", ("--write-baseline",), "path",
           "Write the findings' fingerprints to this baseline file."),
    Option("quiet", ("-q", "--quiet"), "flag",
           "Print less: only findings, their advice and errors."),
    Option("progress", ("--progress",), "flag",
           "Show progress on stderr (default: when it is a terminal).",
           negative="--no-progress"),
    Option("jobs", ("--jobs",), "count", "Processes to use (default: all cores).",
           metavar="N"),
    Option("fail_on_revoked", ("--fail-on-revoked",), "flag",
           "Fail the run on keys verified revoked too."),
    Option("exit_zero", ("--exit-zero",), "flag",
           "Report keys but exit 0 (for dashboards); an incomplete scan still exits 2."),
    Option("annotate", ("--annotate",), "flag",
           "In GitHub Actions: also write annotations, the job summary and the step outputs "
           "`findings` and `failing`, whatever the format."),
    Option("binary", ("--binary",), "flag",
           "Search binary files for keys too (the default; the config's `binary` can "
           "change it).", negative="--no-binary"),
)

GLOBAL_OPTIONS = (
    Option("directory", ("-C",), "path", "Run as if started in this directory (like git -C)."),
    Option("config", ("--config",), "path",
           "Configuration file (default: .tokscan.yaml at the root)."),
)

# A command's own flags. `scan`, `staged` and `commit-msg` have a fast route (cli/fast.py):
# a scan of a big tree should not pay for click either.
SWITCHES = {
    "staged": (),
    "commit-msg": (),
    "scan": (
        Option("all_files", ("--all-files",), "flag", "Also scan files that git ignores."),
    ),
    "history": (
        Option("allow_shallow", ("--allow-shallow",), "flag",
               "Scan a shallow or partial clone anyway (the audit is then incomplete)."),
    ),
    # `tokscan audit` (commands/audit.py): what to audit, and where it runs. Its output
    # options are AUDIT_OUTPUT below.
    "audit": (
        Option("from_file", ("--from",), "path",
               "Read sources from FILE: one a line, `#` starts a comment.", metavar="FILE"),
        Option("github_org", ("--github-org",), "text",
               "Audit every repository of this GitHub organisation (token: $GITHUB_TOKEN).",
               metavar="ORG"),
        Option("gitlab_group", ("--gitlab-group",), "text",
               "Audit every project of this GitLab group (token: $GITLAB_TOKEN).",
               metavar="GROUP"),
        Option("github_api", ("--github-api",), "text",
               "GitHub API base, for GitHub Enterprise (default: https://api.github.com).",
               metavar="URL"),
        Option("gitlab_api", ("--gitlab-api",), "text",
               "GitLab API base, for self-managed GitLab (default: https://gitlab.com/api/v4).",
               metavar="URL"),
        Option("forks", ("--include-forks",), "flag",
               "List forks of an organisation's repositories too (default: left out).",
               negative="--exclude-forks"),
        Option("archived", ("--include-archived",), "flag",
               "List archived repositories too (the default: they still hold their leaks).",
               negative="--exclude-archived"),
        Option("workdir", ("--workdir",), "folder",
               "Where clones and results are kept between runs (default: "
               "$XDG_CACHE_HOME/tokscan/audit); shared by every worker of a cluster.",
               metavar="DIR"),
        Option("scheduler", ("--scheduler",), "text",
               "Run on this Dask cluster (default: an embedded one on this machine) "
               "[env: DASK_SCHEDULER_ADDRESS].", env="DASK_SCHEDULER_ADDRESS",
               metavar="tcp://HOST:PORT"),
        Option("workers", ("--workers",), "count",
               "Worker processes of the embedded cluster (default: all cores).", metavar="N"),
        Option("timeout", ("--timeout",), "seconds",
               "Give up on a repository (clone and scan) after this many seconds.",
               metavar="SECONDS"),
    ),
}

# `tokscan audit`'s output options: the table's, with the audit's formats; no baseline,
# --jobs (see --workers) or --show-secrets (workers never send keys back).
AUDIT_OUTPUT = (
    Option("format", ("-f", "--format"), "choice", "Report format.", choices=AUDIT_FORMATS,
           default="text"),
    *(option for option in OUTPUT_OPTIONS
      if option.field in ("output", "verify", "api_base", "quiet", "progress",
                          "fail_on_revoked", "exit_zero")),
)


def by_field(*fields: str) -> tuple[Option, ...]:
    """Output options by field name, for a command that takes only some of them."""
    return tuple(option for option in OUTPUT_OPTIONS if option.field in fields)


class Options:
    """What the user asked for. Read-only once parsed: what a run decides from it (the
    config's `verify` default, how many jobs) lives in the session (commands/session.py)."""

    __slots__ = (
        "annotate",
        "api_base",
        "baseline",
        "binary",
        "config",
        "exit_zero",
        "fail_on_revoked",
        "format",
        "jobs",
        "output",
        "progress",
        "quiet",
        "show_secrets",
        "verify",
        "write_baseline",
    )

    def __init__(
        self,
        *,
        config: Path | None = None,
        format: str = "text",
        output: Path | None = None,
        verify: bool | None = None,
        api_base: str | None = None,
        show_secrets: bool = False,
        baseline: Path | None = None,
        write_baseline: Path | None = None,
        quiet: bool = False,
        progress: bool | None = None,
        jobs: int | None = None,
        fail_on_revoked: bool = False,
        binary: bool | None = None,
        exit_zero: bool = False,
        annotate: bool = False,
    ) -> None:
        self.config = config  # --config: else .tokscan.yaml at the root
        self.format = format
        self.output = output
        self.verify = verify  # None: the config file's `verify`, else off
        self.api_base = api_base  # --api-base, else $TOKSCAN_API_BASE, else None
        self.show_secrets = show_secrets
        self.baseline = baseline
        self.write_baseline = write_baseline
        self.quiet = quiet
        self.progress = progress  # None: on when stderr is a terminal
        self.jobs = jobs  # None: all cores
        self.fail_on_revoked = fail_on_revoked
        self.binary = binary  # None: the config file's `binary`, else on
        self.exit_zero = exit_zero  # findings never fail the run; errors still do
        self.annotate = annotate  # GitHub annotations, job summary and outputs too

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Options) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"Options({fields})"
