"""The one glob engine: what a pattern matches, the same on every store.

Two kinds of pattern, one translation:

- a path pattern (``models/**/*.keras``, locally or after a URL's scheme):
  ``*`` and ``?`` stay within one folder, ``**`` spans folders (``**/``
  also matches none), ``[...]`` is a set (``[!...]`` its complement);
- a selection pattern (``--include``/``--exclude``), matched against the
  path below a folder: as ``fnmatch`` does, ``*`` matches across ``/``
  (``*.h5`` leaves out every ``.h5`` at any depth).

:func:`fixed_part` splits a path pattern where its first wildcard is: what
comes before it is walked, what comes after is matched below it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from keras_rescaling_patch.files.stores.location import has_magic


def _translate(pattern: str, *, crosses_folders: bool) -> str:
    out = []
    index = 0
    star = ".*" if crosses_folders else "[^/]*"
    one = "." if crosses_folders else "[^/]"
    while index < len(pattern):
        if pattern.startswith("**/", index) and not crosses_folders:
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append(star)
            index += 1
        elif pattern[index] == "?":
            out.append(one)
            index += 1
        elif pattern[index] == "[":
            start = index + 1
            if pattern.startswith("!", start):
                start += 1
            if pattern.startswith("]", start):
                start += 1  # a "]" right after "[" (or "[!") belongs to the set
            close = pattern.find("]", start)
            if close < 0:
                out.append(re.escape("["))
                index += 1
                continue
            out.append(_character_set(pattern[index + 1 : close]))
            index = close + 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return "".join(out)


def _character_set(body: str) -> str:
    """A ``[...]`` set as a regular expression, as ``fnmatch`` reads it."""
    negated = body.startswith("!")
    if negated:
        body = body[1:]
    body = re.sub(r"([\\\[&~|])", r"\\\1", body)  # literal inside a set
    if not negated and body.startswith("^"):
        body = "\\" + body
    return f"[{'^' if negated else ''}{body}]"


@lru_cache(maxsize=256)
def _compiled(pattern: str, crosses_folders: bool) -> re.Pattern[str]:
    return re.compile(_translate(pattern, crosses_folders=crosses_folders), re.DOTALL)


def matches_path(pattern: str, path: str) -> bool:
    """Whether the ``/``-separated ``path`` matches the path pattern."""
    return _compiled(pattern, False).fullmatch(path) is not None


def matches_selection(pattern: str, path: str) -> bool:
    """Whether ``path`` matches an ``--include``/``--exclude`` pattern."""
    return _compiled(pattern, True).fullmatch(path) is not None


def may_match_below(pattern: str, folder: str) -> bool:
    """Whether the path pattern can match a path inside ``folder`` (its
    ``/``-separated path, as the pattern sees it): each of the folder's
    names must match the pattern's name at its depth, and the pattern must
    go deeper, unless a ``**`` on the way spans any depth."""
    parts = pattern.split("/")
    for depth, name in enumerate(folder.split("/") if folder else []):
        if "**" in parts[min(depth, len(parts) - 1)]:
            return True
        if depth >= len(parts) - 1 or not matches_path(parts[depth], name):
            return False
    return True


def may_select_below(pattern: str, folder: str) -> bool:
    """Whether a selection pattern (``*`` across folders) can match a path
    inside ``folder``: its fixed start and the folder's path must agree as
    far as both go."""
    start = re.split(r"[*?[]", pattern, maxsplit=1)[0]
    inside = f"{folder}/"
    return inside.startswith(start) or start.startswith(inside)


def fixed_part(pattern: str) -> tuple[str, str]:
    """``("models", "**/*.keras")`` for ``models/**/*.keras``: the folders
    before the first wildcard, and the rest (``("", pattern)`` when the first
    segment holds one; a leading ``/`` stays with the fixed part)."""
    parts = pattern.split("/")
    fixed: list[str] = []
    for part in parts:
        if has_magic(part):
            break
        fixed.append(part)
    rest = "/".join(parts[len(fixed) :])
    return "/".join(fixed), rest


def spelled_suffix(pattern: str) -> tuple[str, ...]:
    """``(".json",)`` for ``a/**/*.json``: an ending without wildcards."""
    last = pattern.rsplit("/", 1)[-1]
    _, dot, ending = last.rpartition(".")
    if not dot or not ending or has_magic(ending):
        return ()
    return (f".{ending.lower()}",)
