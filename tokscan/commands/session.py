"""What every scanning command does before and after its source runs."""

from __future__ import annotations

import sys
from pathlib import Path

from tokscan import config as configuration
from tokscan.model import Report
from tokscan.options import Options
from tokscan.parallel import default_jobs
from tokscan.pipeline import collect, policy, suppress
from tokscan.report import output


def load_config(root: Path, options: Options) -> configuration.Config:
    config = configuration.load(root, options.config)
    apply_config(config, options)
    return config


def apply_config(config: configuration.Config, options: Options) -> None:
    """Defaults from the config for what the command line left open (`verify`). Commands
    that read their config another way (from a base revision) call this themselves."""
    if options.verify is None:
        options.verify = config.verify


def suppressor(config: configuration.Config, options: Options) -> suppress.Suppressor:
    baseline = suppress.read_baseline(options.baseline) if options.baseline else frozenset()
    return suppress.Suppressor(allowed=config.allowed, baseline=baseline)


def jobs(options: Options) -> int:
    return options.jobs if options.jobs and options.jobs > 0 else default_jobs()


def wants_progress(options: Options) -> bool:
    """--progress/--no-progress, else on when stderr is a terminal; never with --quiet."""
    if options.quiet:
        return False
    if options.progress is not None:
        return options.progress
    return sys.stderr.isatty()


def conclude(report: Report, options: Options, quiet_when_clean: bool = False) -> int:
    """Finish the report, write it (and the baseline), and decide the exit code.

    `quiet_when_clean`: hooks print nothing at all when there is nothing to say.
    """
    report.fail_on_revoked = options.fail_on_revoked
    if options.verify:
        verify(report, options)
    collect.finish(report)
    clean = not report.findings and not report.errors
    if not (quiet_when_clean and clean and options.format == "text" and options.output is None):
        output.emit(report, options)
    if options.write_baseline is not None:
        accepted = report.findings + [f for why, f in report.suppressed if why == "baseline"]
        count = suppress.write_baseline(options.write_baseline, accepted)
        if not options.quiet:
            output.warn(f"wrote {count} fingerprints to baseline {options.write_baseline}")
    return int(policy.exit_code(report, baseline_written=options.write_baseline is not None))


def verify(report: Report, options: Options) -> None:
    """Ask TokModel about each key found (SPEC §5). Imported here, so that a run without
    --verify never loads the HTTP client, let alone opens a socket."""
    from tokscan.verify import api_base, checker

    base = api_base.resolve(options.api_base)
    keys = len({finding.key for finding in report.findings})
    if keys and wants_progress(options):
        output.warn(f"asking {base} whether {keys} key{'s' if keys != 1 else ''} still work…")
    checker.annotate(report, base)
