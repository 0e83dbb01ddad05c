"""A problem, as data: what went wrong, which file, which setting.

Every part of the file tools says what it cannot do by raising a
:class:`FileProblem`: the formats for a model they cannot read, the stores
for an object they cannot reach, the jobs for an output they must not
write. Its :class:`Message` is text in which the file it is about and the
setting that would help are references, not words, so that whoever shows it
chooses the words: the command line says ``--max-config-mib`` where the
Python API says ``max_config_mib``, and a remote repair names the user's URL
where the local step it ran saw a temporary file.

:class:`SettingError` is the other kind of problem: a setting given a
value it cannot take, raised before any work by the one validator of that
setting (``files/options.py``), whoever gave it; it too names the setting
by reference, so the command line shows ``argument --timeout: ...`` where
the API says ``timeout must be ...``.

:func:`one_line` is the one formatter for errors raised by others (a
store's package, the operating system), which carry only their text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """A setting a message can point at. ``name``: the API's parameter;
    ``api``: how a message from the API spells it (``force=True``). The
    settings themselves are listed in ``files/options.py``."""

    name: str
    api: str


@dataclass(frozen=True)
class Role:
    """Which file of a command a message is about (its name is filled in
    when the message is shown)."""

    name: str


INPUT = Role("input")
OUTPUT = Role("output")
BACKUP = Role("backup")

Part = str | Option | Role
Spelling = Callable[[Option], str]


def api_spelling(option: Option) -> str:
    """How the Python API names a setting in its messages."""
    return option.api


@dataclass(frozen=True)
class Message:
    """Text with references to settings and to the files it is about.

    ``names``: each file role's name as the code that made the message knew
    it; :meth:`render` may be given others (the user's, for a temporary file).
    """

    parts: tuple[Part, ...]
    names: tuple[tuple[Role, str], ...] = ()

    def render(
        self,
        spelling: Spelling = api_spelling,
        names: Mapping[Role, str] | None = None,
    ) -> str:
        known = dict(self.names)
        if names:
            known.update(names)
        shown = []
        for part in self.parts:
            if isinstance(part, Option):
                shown.append(spelling(part))
            elif isinstance(part, Role):
                shown.append(known.get(part, f"the {part.name}"))
            else:
                shown.append(part)
        return "".join(shown)

    def __str__(self) -> str:
        return self.render()

    def naming(self, names: Mapping[Role, str]) -> Message:
        """The same message with these names for the files it is about (the
        user's URL where the code that made it saw a temporary file)."""
        return Message(self.parts, (*self.names, *names.items()))

    def __add__(self, more: Message | str) -> Message:
        """This message followed by more text (``"; nothing written"``)."""
        if isinstance(more, str):
            return Message((*self.parts, more), self.names)
        return Message((*self.parts, *more.parts), (*self.names, *more.names))


def message(*parts: Part, names: Mapping[Role, str] | None = None) -> Message:
    """A :class:`Message` of ``parts``; ``names``: the files' names as known here."""
    return Message(tuple(parts), tuple((names or {}).items()))


class FileProblem(Exception):
    """Something about a file that stops the work; the message says what."""

    def __init__(self, what: Message | str) -> None:
        self.message = what if isinstance(what, Message) else message(what)
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class LimitReached(FileProblem):
    """A file needs more than a limit allows: ``limit``, which ``options``
    raise (more than one where the limit is made of several)."""

    def __init__(self, what: Message, limit: int, *options: Option) -> None:
        super().__init__(what)
        self.limit = limit
        self.options = options


def one_line(error: BaseException, limit: int = 300) -> str:
    """Another's error in one line: its text with white space folded, cut at
    ``limit`` characters, or its type where it has no text."""
    text = " ".join(str(error).split())[:limit]
    return text or type(error).__name__


def reason(error: OSError) -> str:
    """The operating system's words for an ``OSError`` (``No such file...``)."""
    return error.strerror or one_line(error)


class SettingError(ValueError):
    """A setting given a value it cannot take, as data.

    ``option``: which setting (``None`` for a relation between settings,
    such as an output and in place at once); ``given``: the value as given;
    either ``expected``, what it must be (``a positive number``), or
    ``problem``, what is wrong with it, in words that may point at settings.
    ``str()`` is the API's words.
    """

    def __init__(
        self,
        option: Option | None,
        given: object = None,
        *,
        expected: str | None = None,
        problem: Message | str | None = None,
    ) -> None:
        self.option = option
        self.given = given
        self.expected = expected
        self.problem = problem if not isinstance(problem, str) else message(problem)
        super().__init__(self.render(api_spelling))

    def render(self, spelling: Spelling, *, named: bool = True) -> str:
        """The error in the words of whoever shows it; ``named``: the
        setting's name starts the text (the API's way), else the caller
        names it itself (``argument --timeout: '0' is not ...``)."""
        if self.expected is not None:
            if named and self.option is not None:
                return (
                    f"{spelling(self.option)} must be {self.expected}, "
                    f"not {self.given!r}"
                )
            return f"{self.given!r} is not {self.expected}"
        assert self.problem is not None
        text = self.problem.render(spelling)
        if named and self.option is not None:
            return f"{spelling(self.option)}: {text}"
        return text

    def __str__(self) -> str:
        return self.render(api_spelling)
