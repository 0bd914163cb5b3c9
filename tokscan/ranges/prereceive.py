"""What a push brings to a server (`tokscan pre-receive`): git's lines turned into one range.

git runs the pre-receive hook in the receiving repository, before any ref moves, with one
line per ref on standard input: `<old sha> <new sha> <ref name>`. The objects the push
brought sit in a quarantine folder that git names in the hook's environment
(GIT_QUARANTINE_PATH, GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES); git run
from the hook with that environment sees them, and git/process.py passes it through.

The server already holds every commit reachable from any of its refs, and the refs have
not moved yet, so what a push brings is `<every new tip> --not --all`:

- an update, fast-forward or forced: the commits the server has not seen;
- a new branch or tag: only the commits that no existing ref reaches (a branch that
  re-points existing commits brings nothing new to scan);
- a deletion (new sha all zeros): nothing.

Each ref goes with the range as well, so the history engine reads an annotated tag's
message, and a blob or tree that a ref points to directly, where no existing ref reaches
it. Push options (`git push -o ...`) come in GIT_PUSH_OPTION_COUNT / GIT_PUSH_OPTION_<n>.
"""

from __future__ import annotations

from collections.abc import Mapping

from tokscan import git
from tokscan.errors import TokscanError
from tokscan.ranges.prepush import PushRange

# What the server already has: every ref (read before any ref moves).
EXISTING = ("--all",)


def from_lines(lines: list[str]) -> PushRange:
    """The range for the lines git wrote on the pre-receive hook's standard input."""
    push = PushRange()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split(" ", 2)
        if len(parts) != 3 or not all(parts):
            raise TokscanError(
                f"pre-receive input line {number} is not '<old sha> <new sha> <ref name>'"
            )
        _, new, ref = parts
        if git.is_null(new):
            continue  # deleting a ref brings nothing
        push.tips.append(new)
        push.refs.append((ref, new))
    if push.tips:
        push.exclude = list(EXISTING)
    return push


def push_options(env: Mapping[str, str]) -> list[str]:
    """The push options the pusher gave (`git push -o OPTION`), as git passes them to the
    hook; none when the server does not advertise them (receive.advertisePushOptions)."""
    count = env.get("GIT_PUSH_OPTION_COUNT", "")
    if not count.isdigit():
        return []
    return [env.get(f"GIT_PUSH_OPTION_{n}", "") for n in range(int(count))]


# The environment variables that name who pushed, on the servers docs/server-hooks.md
# covers (GitLab, Gitea/Forgejo, GitHub Enterprise Server), for the bypass log.
PUSHER_VARIABLES = (
    "GL_USERNAME",
    "GITEA_PUSHER_NAME",
    "GITHUB_USER_LOGIN",
    "REMOTE_USER",
    "USER",
)


def pusher(env: Mapping[str, str]) -> str:
    """Who pushed, as far as the server's environment says; `unknown` when it does not."""
    for name in PUSHER_VARIABLES:
        if env.get(name):
            return f"{env[name]} ({name})"
    return "unknown"
