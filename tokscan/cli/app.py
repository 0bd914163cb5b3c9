"""The click application: every command, its options built from the table in
tokscan/options.py, calling `tokscan.commands.<name>.run`. Errors are turned into messages
and exit codes by cli/main.py, not here."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from tokscan import __version__
from tokscan.cli.fast import change_directory
from tokscan.errors import ExitCode
from tokscan.options import GLOBAL_OPTIONS, OUTPUT_OPTIONS, SWITCHES, Option, Options, by_field

F = TypeVar("F", bound=Callable[..., Any])


def click_option(option: Option) -> Callable[[F], F]:
    """The click declaration of one option from the table in tokscan/options.py."""
    names = list(option.names)
    if option.negative:  # a --x/--no-x pair: None when neither is given
        names = [f"{names[0]}/{option.negative}"]
    settings: dict[str, Any] = {"help": option.help}
    if option.env:
        settings["envvar"] = option.env
    if option.metavar:
        settings["metavar"] = option.metavar
    if option.kind == "flag":
        if option.negative:  # click makes a --x/--no-x pair a flag by itself
            settings["default"] = None
        else:
            settings.update(is_flag=True, default=False)
    elif option.kind == "choice":
        settings.update(type=click.Choice(option.choices), default=option.default,
                        show_default=True)
    elif option.kind == "path":  # -C names a folder; every other path names a file
        folder = option.field == "directory"
        settings["type"] = click.Path(path_type=Path, file_okay=not folder, dir_okay=folder)
    elif option.kind == "count":
        settings["type"] = click.IntRange(min=1)
    return click.option(option.field, *names, **settings)


def with_options(*options: Option) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        for option in reversed(options):
            function = click_option(option)(function)
        return function

    return decorate


output_options = with_options(*OUTPUT_OPTIONS)


def make_options(ctx: click.Context, params: dict[str, Any]) -> Options:
    """The Options record from click's parameters (the command's own are left in `params`)."""
    obj = ctx.find_root().obj or {}
    values = {option.field: params.pop(option.field) for option in OUTPUT_OPTIONS}
    _check_api_base(values["api_base"])
    return Options(config=obj.get("config"), **values)


def _check_api_base(value: str | None) -> None:
    """Checked now, so a bad --api-base fails before a long scan rather than after it."""
    if value is not None:
        from tokscan.verify import api_base

        api_base.check(value)


def _print_version(ctx: click.Context, value: bool) -> None:
    """`tokscan, version 0.1.0 (matcher: hyperscan)`: which search runs is worth knowing
    when comparing timings, and depends on the machine (detect/matcher.py)."""
    if not value or ctx.resilient_parsing:
        return
    from tokscan.detect import matcher

    click.echo(f"tokscan, version {__version__} (matcher: {matcher.name()})")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _param, value: _print_version(ctx, value),
              help="Show the version and the needle search in use, and exit.")
@with_options(*GLOBAL_OPTIONS)
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
@with_options(*SWITCHES["scan"])
@output_options
@click.pass_context
def scan(ctx: click.Context, /, paths: tuple[str, ...], all_files: bool,
         **params: Any) -> int:
    """Scan files and directories (default: .); - reads standard input."""
    from tokscan.commands import scan as command

    return command.run(make_options(ctx, params), list(paths), all_files)


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
@with_options(*SWITCHES["history"])
@output_options
@click.pass_context
def history(ctx: click.Context, /, revisions: tuple[str, ...], allow_shallow: bool,
            **params: Any) -> int:
    """Scan git history: every blob and commit message, each unique blob once.

    REVISION-RANGE and options are as `git rev-list` takes them (main..feature,
    --since=2024-01-01, --branches); default: everything reachable from any ref, the
    stash included. Each key is reported once per path, at the commit that introduced it.
    """
    from tokscan.commands import history as command

    return command.run(make_options(ctx, params), list(revisions), allow_shallow)


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
@click.option("format", "-f", "--format", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="Report format.")
@with_options(*by_field("output", "api_base", "show_secrets"))
@click.option("quiet", "-q", "--quiet", is_flag=True,
              help="Do not prompt when stdin is a terminal.")
@click.pass_context
def verify(ctx: click.Context, /, format: str, output: Path | None, api_base: str | None,
           show_secrets: bool, quiet: bool) -> int:
    """Check whether keys are live: reads them from standard input, one a line.

    Never pass a key as an argument: it would be kept in your shell history and shown in
    process lists. Exits 1 if any key is live or could not be checked, 0 if all are revoked.
    """
    from tokscan.commands import verify as command

    _check_api_base(api_base)
    options = Options(format=format, output=output, api_base=api_base,
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
    Ctrl-C) become messages in cli/main.py, the one boundary for both routes."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None,
                          prog_name="tokscan", standalone_mode=False)
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None
    except click.ClickException as error:  # a usage error quotes the argument: redact it
        from tokscan.report import output

        message = io.StringIO()
        error.show(file=message)
        output.write_err(message.getvalue())
        return int(ExitCode.ERROR)
    if isinstance(result, int):
        return result
    return int(ExitCode.CLEAN)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
