"""The command line (click): builds options, calls the command, turns errors into exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from tokscan import __version__
from tokscan.cli.main import change_directory
from tokscan.errors import ExitCode
from tokscan.options import FORMATS, Options

F = TypeVar("F", bound=Callable[..., Any])


def output_options(function: F) -> F:
    """The options every scanning command takes (SPEC §3)."""
    decorators = [
        click.option("-f", "--format", "format_", type=click.Choice(FORMATS), default="text",
                     show_default=True, help="Report format."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the report to FILE instead of standard output."),
        click.option("--verify/--no-verify", default=None,
                     help="Ask the TokModel API whether each key is live (off by default)."),
        click.option("--api-base", metavar="URL", envvar="TOKSCAN_API_BASE",
                     help="TokModel API base for --verify [env: TOKSCAN_API_BASE]."),
        click.option("--show-secrets", is_flag=True,
                     help="Print full keys instead of redacted ones."),
        click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
                     help="Suppress findings whose fingerprint is in this baseline file."),
        click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the findings' fingerprints to this baseline file."),
        click.option("-q", "--quiet", is_flag=True, help="Print only findings and errors."),
        click.option("--progress/--no-progress", default=None,
                     help="Show progress on stderr (default: when it is a terminal)."),
        click.option("--jobs", type=click.IntRange(min=1), metavar="N",
                     help="Processes to use (default: all cores)."),
        click.option("--fail-on-revoked", is_flag=True,
                     help="Fail the run on keys verified revoked too."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def make_options(ctx: click.Context, params: dict[str, Any]) -> Options:
    obj = ctx.find_root().obj or {}
    return Options(
        config=obj.get("config"),
        format=params.pop("format_"),
        output=params.pop("output"),
        verify=params.pop("verify"),
        api_base=_api_base(params.pop("api_base")),
        show_secrets=params.pop("show_secrets"),
        baseline=params.pop("baseline"),
        write_baseline=params.pop("write_baseline"),
        quiet=params.pop("quiet"),
        progress=params.pop("progress"),
        jobs=params.pop("jobs"),
        fail_on_revoked=params.pop("fail_on_revoked"),
    )


def _api_base(value: str | None) -> str | None:
    """Checked now, so a bad --api-base fails before a long scan rather than after it."""
    if value is not None:
        from tokscan.verify import api_base

        api_base.check(value)
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tokscan")
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Run as if started in this directory (like git -C).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: .tokscan.yaml at the root).")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None, config: Path | None) -> None:
    """Find TokModel API keys before they leak through git."""
    if config is not None:
        config = config.absolute()
    if directory is not None:
        change_directory(directory)
    ctx.obj = {"config": config}


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--all-files", is_flag=True, help="Also scan files that git ignores.")
@click.option("--binary", is_flag=True, help="Also scan files that look binary.")
@output_options
@click.pass_context
def scan(ctx: click.Context, /, paths: tuple[str, ...], all_files: bool, binary: bool,
         **params: Any) -> int:
    """Scan files and directories (default: .); - reads standard input."""
    from tokscan.commands import scan as command

    return command.run(make_options(ctx, params), list(paths), all_files, binary)


@cli.command()
@output_options
@click.pass_context
def staged(ctx: click.Context, /, **params: Any) -> int:
    """Scan the lines that the staged change adds (the pre-commit hook)."""
    from tokscan.commands import staged as command

    return command.run(make_options(ctx, params))


@cli.command()
@click.option("--hook", type=click.Choice(["pre-commit", "pre-push"]), default="pre-commit",
              show_default=True, help="Which git hook to install.")
@click.option("--force", is_flag=True,
              help="Replace a different existing hook (it is kept as a backup).")
def install(hook: str, force: bool) -> int:
    """Install tokscan as a plain git hook in this repository (honours core.hooksPath)."""
    from tokscan.commands import install as command

    return command.run(hook, force)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("revisions", nargs=-1, type=click.UNPROCESSED, metavar="[REVISION-RANGE]...")
@click.option("--allow-shallow", is_flag=True,
              help="Scan a shallow or partial clone anyway (the audit is then incomplete).")
@click.option("--binary", is_flag=True, help="Also scan blobs that look binary.")
@output_options
@click.pass_context
def history(ctx: click.Context, /, revisions: tuple[str, ...], allow_shallow: bool, binary: bool,
            **params: Any) -> int:
    """Scan git history: every blob and commit message, each unique blob once.

    REVISION-RANGE and options are as `git rev-list` takes them (main..feature,
    --since=2024-01-01, --branches); default: everything reachable from any ref, the
    stash included. Each key is reported once per path, at the commit that introduced it.
    """
    from tokscan.commands import history as command

    return command.run(make_options(ctx, params), list(revisions), allow_shallow, binary)


@cli.command()
@click.option("--base", metavar="REF",
              help="Scan the commits that HEAD has and REF does not; overrides what the CI "
                   "environment says (needed outside GitHub Actions and GitLab CI).")
@output_options
@click.pass_context
def ci(ctx: click.Context, /, base: str | None, **params: Any) -> int:
    """Scan the commits a CI run brings (a push, a pull or merge request).

    The range comes from the environment (GitHub Actions, GitLab CI); configuration,
    allowlist and baseline come from its base revision, so a change cannot allowlist its
    own leak. A shallow clone is deepened as needed.
    """
    from tokscan.commands import ci as command

    return command.run(make_options(ctx, params), base)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("-f", "--format", "format_", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--api-base", metavar="URL", envvar="TOKSCAN_API_BASE",
              help="TokModel API base [env: TOKSCAN_API_BASE].")
@click.option("--show-secrets", is_flag=True, help="Print full keys instead of redacted ones.")
@click.option("-q", "--quiet", is_flag=True, help="Do not prompt when stdin is a terminal.")
@click.pass_context
def verify(ctx: click.Context, /, format_: str, output: Path | None, api_base: str | None,
           show_secrets: bool, quiet: bool) -> int:
    """Check whether keys are live: reads them from standard input, one a line.

    Never pass a key as an argument: it would be kept in your shell history and shown in
    process lists. Exits 1 if any key is live or could not be checked, 0 if all are revoked.
    """
    from tokscan.commands import verify as command

    options = Options(format=format_, output=output, api_base=api_base,
                      show_secrets=show_secrets, quiet=quiet)
    return command.run(options, list(ctx.args))



@cli.command("pre-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
@output_options
@click.pass_context
def pre_push(ctx: click.Context, /, remote: str | None, url: str | None, **params: Any) -> int:
    """Scan the commits a push sends (the pre-push hook): git's ref lines on stdin."""
    from tokscan.commands import prepush as command

    return command.run(make_options(ctx, params), remote, url, sys.stdin)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code. Expected failures (TokscanError,
    Ctrl-C) become messages in entry.main, the one place for both routes."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None,
                          prog_name="tokscan", standalone_mode=False)
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None
    except click.ClickException as error:
        error.show()
        return int(ExitCode.ERROR)
    if isinstance(result, int):
        return result
    return int(ExitCode.CLEAN)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
