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
from tokscan.options import (
    AUDIT_OUTPUT,
    GLOBAL_OPTIONS,
    OUTPUT_OPTIONS,
    SWITCHES,
    Option,
    Options,
    by_field,
)

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
    elif option.kind in ("path", "folder"):  # -C names a folder too
        folder = option.kind == "folder" or option.field == "directory"
        settings["type"] = click.Path(path_type=Path, file_okay=not folder, dir_okay=folder)
    elif option.kind == "count":
        settings["type"] = click.IntRange(min=1)
    elif option.kind == "seconds":
        settings["type"] = click.FloatRange(min=0, min_open=True)
    return click.option(option.field, *names, **settings)


def with_options(*options: Option) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        for option in reversed(options):
            function = click_option(option)(function)
        return function

    return decorate


# What every scanning command takes: the output options, and the global ones again (after
# the command name, where a gitleaks or ggshield user puts them).
output_options = with_options(*OUTPUT_OPTIONS, *GLOBAL_OPTIONS)


def make_options(ctx: click.Context, params: dict[str, Any]) -> Options:
    """The Options record from click's parameters (the command's own are left in `params`).

    A global option after the command wins over the same one before it; both are taken
    relative to the folder tokscan started in, as the fast route takes them."""
    obj = ctx.find_root().obj or {}
    values = {option.field: params.pop(option.field) for option in OUTPUT_OPTIONS}
    config, directory = params.pop("config"), params.pop("directory")
    started = obj.get("started", Path.cwd())
    if config is not None:
        config = (started / config).absolute()
    if directory is not None:
        change_directory(started / directory)
    _check_api_base(values["api_base"])
    return Options(config=config or obj.get("config"), **values)


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
    started = Path.cwd()
    if config is not None:
        config = config.absolute()
    if directory is not None:
        change_directory(directory)
    ctx.obj = {"config": config, "started": started}


@cli.command(short_help="Scan files and folders (default: the repository as git sees it; "
                        "- reads standard input).")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@with_options(*SWITCHES["scan"])
@output_options
@click.pass_context
def scan(ctx: click.Context, /, paths: tuple[str, ...], all_files: bool,
         **params: Any) -> int:
    """Scan files and folders (default: the repository as git sees it: tracked files and
    untracked ones it does not ignore; outside git, the current folder). A path named is
    scanned whole, ignored files too; - reads standard input."""
    from tokscan.commands import scan as command

    return command.run(make_options(ctx, params), list(paths), all_files)


@cli.command(short_help="Scan what the staged change adds (the pre-commit hook).")
@output_options
@click.pass_context
def staged(ctx: click.Context, /, **params: Any) -> int:
    """Scan the lines that the staged change adds (the pre-commit hook)."""
    from tokscan.commands import staged as command

    return command.run(make_options(ctx, params))


@cli.command("commit-msg", short_help="Scan a commit message (the commit-msg hook).")
@click.argument("message_file", metavar="FILE", type=click.Path(path_type=str))
@output_options
@click.pass_context
def commit_msg(ctx: click.Context, /, message_file: str, **params: Any) -> int:
    """Scan a commit message (the commit-msg hook): FILE is the file git passes."""
    from tokscan.commands import commitmsg as command

    return command.run(make_options(ctx, params), message_file)


@cli.command(
    short_help="Install a plain git hook (pre-commit, pre-push, commit-msg or pre-receive)."
)
@click.option("--hook", type=click.Choice(["pre-commit", "pre-push", "commit-msg", "pre-receive"]),
              default="pre-commit", show_default=True,
              help="Which git hook to install (pre-receive: on a server, in the bare repository).")
@click.option("--force", is_flag=True,
              help="Replace a different existing hook (it is kept as a backup).")
def install(hook: str, force: bool) -> int:
    """Install tokscan as a plain git hook in this repository (honours core.hooksPath)."""
    from tokscan.commands import install as command

    return command.run(hook, force)


class _RevisionsCommand(click.Command):
    """A command whose arguments end, as git's do, at one `--` before paths: click would
    take that `--` as its own end of options and drop it, so `history main -- src` would
    scan a revision named `src`. The `--` and what follows go to `revisions` whole."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        at = _separator(args)
        paths = args[at:] if at is not None else []
        rest = super().parse_args(ctx, args[:at] if at is not None else args)
        if paths:
            ctx.params["revisions"] = (*ctx.params.get("revisions", ()), *paths)
        return rest


def _separator(args: list[str]) -> int | None:
    """Where the first `--` stands, or None. (`--grep --` then lacks its value and is
    refused with a message, rather than searched for something else.)"""
    return args.index("--") if "--" in args else None


@cli.command(cls=_RevisionsCommand,
             short_help="Audit git history: every blob and message, each blob once.",
             context_settings={"ignore_unknown_options": True})
@click.argument("revisions", nargs=-1, type=click.UNPROCESSED, metavar="[REVISION-RANGE]...")
@with_options(*SWITCHES["history"])
@output_options
@click.pass_context
def history(ctx: click.Context, /, revisions: tuple[str, ...], allow_shallow: bool,
            **params: Any) -> int:
    """Scan git history: every blob and commit message, each unique blob once.

    REVISION-RANGE and options are as `git rev-list` takes them (main..feature,
    --branches, paths after --); default: everything reachable from any ref, the stash
    included, and options that only filter (--since, --author, -n) keep that default.
    Each key is reported once per path, at the commit that introduced it.
    """
    from tokscan.commands import history as command

    return command.run(make_options(ctx, params), list(revisions), allow_shallow)


@cli.command(short_help="Scan the commits a CI run brings (push, pull or merge request).")
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


@cli.command(short_help="Check whether keys read from standard input are live.",
             context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("format", "-f", "--format", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="Report format.")
@with_options(*by_field("output", "api_base", "show_secrets", "quiet"))
@click.option("--no-prompt", "no_prompt", is_flag=True,
              help="Do not ask for keys when standard input is a terminal.")
@click.pass_context
def verify(ctx: click.Context, /, format: str, output: Path | None, api_base: str | None,
           show_secrets: bool, quiet: bool, no_prompt: bool) -> int:
    """Check whether keys are live: reads them from standard input, one a line.

    Never pass a key as an argument: it would be kept in your shell history and shown in
    process lists. Exits 1 if any key is live or could not be checked, 0 if all are revoked.
    """
    from tokscan.commands import verify as command

    _check_api_base(api_base)
    options = Options(format=format, output=output, api_base=api_base,
                      show_secrets=show_secrets, quiet=quiet)
    return command.run(options, list(ctx.args), prompt=not (no_prompt or quiet))

@cli.command(short_help="Audit the history of many repositories, on Dask, as one report.")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@with_options(*SWITCHES["audit"])
@with_options(*AUDIT_OUTPUT)
@click.pass_context
def audit(ctx: click.Context, /, sources: tuple[str, ...], **params: Any) -> int:
    """Audit the history of many repositories, on Dask, as one report.

    A SOURCE is a local repository or a clone URL (https, ssh, file); remote ones are
    cloned bare into --workdir and fetched on later runs, and a repository whose refs
    have not moved reuses its last result. Needs `pip install 'tokscan[audit]'`.
    """
    from tokscan.commands import audit as command

    _check_api_base(params["api_base"])
    output_fields = {option.field for option in AUDIT_OUTPUT}
    options = Options(config=(ctx.find_root().obj or {}).get("config"),
                      **{k: v for k, v in params.items() if k in output_fields})
    own = {k: v for k, v in params.items() if k not in output_fields}
    for flag, default in (("forks", False), ("archived", True)):
        if own[flag] is None:
            own[flag] = default
    return command.run(options, command.Request(sources=sources, **own))


@cli.command("pre-push", short_help="Scan the commits a push sends (the pre-push hook).")
@click.argument("remote", required=False)
@click.argument("url", required=False)
@output_options
@click.pass_context
def pre_push(ctx: click.Context, /, remote: str | None, url: str | None, **params: Any) -> int:
    """Scan the commits a push sends (the pre-push hook): git's ref lines on stdin."""
    from tokscan.commands import prepush as command

    return command.run(make_options(ctx, params), remote, url, sys.stdin)


@cli.command(
    "pre-receive", short_help="Scan what a push brings, on the server (the pre-receive hook)."
)
@click.option("--timeout", metavar="SECONDS",
              help="Stop the scan after this long [git config tokscan.timeout; default: none].")
@click.option("--timeout-action", type=click.Choice(("reject", "allow")),
              help="What a scan cut short by --timeout does to the push [git config "
                   "tokscan.timeoutAction; default: reject].")
@click.option("--allow-skip/--no-allow-skip", default=None,
              help="Let `git push -o tokscan.skip` through unscanned, logged [git config "
                   "tokscan.allowSkip; default: off].")
@click.option("--log", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Where bypasses are recorded [git config tokscan.log]; a bypass needs one.")
@output_options
@click.pass_context
def pre_receive(ctx: click.Context, /, timeout: str | None, timeout_action: str | None,
                allow_skip: bool | None, log: Path | None, **params: Any) -> int:
    """Scan what a push brings to this server (the pre-receive hook): git's lines on stdin.

    Policy comes from the server only: --config and --baseline, or tokscan.config and
    tokscan.baseline in this repository's git config; never from the pushed commits.
    """
    from tokscan.commands import prereceive as command

    seconds = None if timeout is None else command.parse_timeout(timeout)
    given = command.Server(timeout=seconds, timeout_action=timeout_action,
                           allow_skip=allow_skip, log=log)
    return command.run(make_options(ctx, params), given, sys.stdin)


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
