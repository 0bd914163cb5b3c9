"""One scanning run, opened and concluded the same way by every command.

A session holds what the user asked for (`Options`, read-only), the policy that applies
(the configuration, its allowlist and exclusions, the baseline) and the report being
collected. A command opens one, lets its source scan into `session.collector`, and ends
with `conclude`: verification if asked, the report written, the baseline written, and the
exit code decided from the report by pipeline/policy.py.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable
from pathlib import Path

from tokscan import config as configuration
from tokscan import outfile
from tokscan.decode import kinds
from tokscan.errors import ExitCode
from tokscan.model import Finding, Report
from tokscan.options import Options
from tokscan.parallel import default_jobs
from tokscan.pipeline import collect, policy, suppress
from tokscan.report import output
from tokscan.sources.stream import Reading


class Session:
    def __init__(
        self,
        options: Options,
        mode: str,
        root: Path | str,
        config: configuration.Config,
        baseline: frozenset[str] = frozenset(),
        revisions: Iterable[str] = (),
        trusted: bool = True,
    ) -> None:
        """`trusted`: `config` is the user's word (`--config FILE`, or `tokscan ci`'s base
        revision), so its `verify: true` is obeyed; a scanned repository's own file is not."""
        self.options = options
        self.root = Path(root)
        self.config = config
        # Where the report and baseline go is checked before a scan that may take minutes.
        for path, what in ((options.output, ""), (options.write_baseline, "baseline ")):
            if path is not None:
                outfile.check(path, what)
        self.verify = decide_verify(options, config, trusted)
        # How streams are read: binary content, and the archive limits (SPEC §10).
        self.reading = Reading(
            binary=config.binary if options.binary is None else options.binary,
            limits=kinds.Limits(
                config.archive_max_bytes, config.archive_max_members, config.archive_max_depth
            ),
        )
        self.excluded = configuration.excluder(config.exclude)
        self.report = collect.new_report(mode, str(root), revisions)
        self.collector = collect.Collector(
            self.report, suppress.Suppressor(allowed=config.allowed, baseline=baseline)
        )

    @classmethod
    def open(
        cls, options: Options, mode: str, root: Path | str, revisions: Iterable[str] = ()
    ) -> Session:
        """A session whose policy comes from the work tree: `--config FILE` or the root's
        `.tokscan.yaml`, and `--baseline FILE`. (`tokscan ci` reads its policy from the
        base revision instead, and builds its session with `Session(...)`.)"""
        config = configuration.load(Path(root), options.config)
        baseline = (
            suppress.read_baseline(options.baseline) if options.baseline else frozenset()
        )
        trusted = options.config is not None
        return cls(options, mode, root, config, baseline, revisions, trusted)

    @property
    def jobs(self) -> int:
        """--jobs, else all cores."""
        return self.options.jobs or default_jobs()

    @property
    def progress(self) -> bool:
        """--progress/--no-progress, else on when stderr is a terminal; never with --quiet."""
        return wants_progress(self.options)

    def tell(self, text: str) -> None:
        """A line for the user on stderr, unless --quiet."""
        if not self.options.quiet:
            output.write_err(f"{text}\n")

    def conclude(self, quiet_when_clean: bool = False) -> ExitCode:
        """Finish the report, write it (and the baseline), and decide the exit code.

        `quiet_when_clean`: hooks print nothing at all when there is nothing to say."""
        return conclude(self.report, self.options, self.verify, quiet_when_clean)


def decide_verify(options: Options, config: configuration.Config, trusted: bool) -> bool:
    """Whether to send the keys found to TokModel: only on the user's own word. The command
    line wins; then a trusted configuration; then the user's config file. A scanned
    repository's `.tokscan.yaml` cannot turn it on: that would make tokscan open network
    connections (and send keys) because a file someone else wrote asked for it."""
    if options.verify is not None:
        return options.verify
    if trusted and config.verify is not None:
        return config.verify
    user = configuration.load_user()
    if user.verify is not None:
        return user.verify
    if config.verify and not options.quiet:
        output.warn(
            f"`verify: true` in {config.source} is ignored: a scanned repository cannot turn "
            f"verification on. Pass --verify, --config FILE, or set `verify: true` in "
            f"{configuration.user_path()}"
        )
    return False


def wants_progress(options: Options) -> bool:
    if options.quiet:
        return False
    if options.progress is not None:
        return options.progress
    return sys.stderr.isatty()


def conclude(
    report: Report, options: Options, verify: bool | None = None, quiet_when_clean: bool = False
) -> ExitCode:
    """See `Session.conclude`; `verify` None means as the options say."""
    # The console script scans without Python's cycle collector (cli/main.py); writing the
    # report (json's encoder leaves a few reference cycles for each finding) and verifying
    # (asyncio) make garbage only it frees.
    gc.enable()
    report.fail_on_revoked = options.fail_on_revoked
    if verify if verify is not None else options.verify:
        _verify(report, options)
    collect.finish(report)
    if options.format == "json":  # the report names the search in use (not free to load)
        from tokscan.detect import matcher

        report.matcher = matcher.name()
    clean = not report.findings and not report.errors
    to_terminal = options.format == "text" and options.output is None
    if options.write_baseline is not None and to_terminal:
        # Writing a baseline accepts what was found: say what was written, not the alarm
        # report (a report asked for with -f or -o is still written). Errors still show.
        output.tell_stderr(report, options, summary=False)
    elif not (quiet_when_clean and clean and to_terminal):
        output.emit(report, options)
    if options.write_baseline is not None:
        accepted = report.findings + [f for why, f in report.suppressed if why == "baseline"]
        entries = suppress.write_baseline(options.write_baseline, accepted)
        if not options.quiet:
            output.warn(_baseline_written(options.write_baseline, entries, accepted))
    return policy.exit_code(
        report, baseline_written=options.write_baseline is not None, exit_zero=options.exit_zero
    )


def _baseline_written(path: Path, entries: int, accepted: list[Finding]) -> str:
    from tokscan.terminal import plural

    keys = len({finding.fingerprint for finding in accepted})
    records = f"{entries} {'entry' if entries == 1 else 'entries'}"
    return (
        f"wrote baseline {path}: {plural(keys, 'key')} in {plural(len(accepted), 'place')} "
        f"({records}); pass --baseline {path} to suppress them"
    )


def _verify(report: Report, options: Options) -> None:
    """Ask TokModel about each key found (SPEC §5). Imported here, so that a run without
    --verify never loads the HTTP client, let alone opens a socket."""
    from tokscan.verify import api_base, checker

    base = api_base.resolve(options.api_base)
    keys = len({finding.key for finding in report.findings})
    if keys and wants_progress(options):
        output.warn(f"asking {base} whether {keys} key{'s' if keys != 1 else ''} still work…")
    checker.annotate(report, base)
