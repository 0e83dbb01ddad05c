"""What a caller of the file tools can set: each setting, its default and its
validator, once.

The command line and the Python API offer the same settings, each under its
own name (``--max-config-mib`` there, ``max_config_mib`` here). Below them
the code knows a setting as an :class:`Option`, so that a message saying
which setting would help (a limit to raise, a switch to pass) can point at
it without spelling it, and each caller spells it its own way when it shows
the message (``files/problems.py``).

Every value is checked here and nowhere else, by the API, whoever gave it:
the command line only turns its flags into the API's arguments (as text,
where the user typed a number) and a :class:`SettingError` back into its
flags. The checked values travel down as one frozen object per command:
:class:`ScanOptions` or :class:`RepairOptions`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from threading import Event

from keras_rescaling_patch._keras_releases import (
    KERAS_3,
    LATEST_CHECKED,
    InvalidVersion,
    Version,
    release,
)
from keras_rescaling_patch.files.problems import Option, SettingError, message

__all__ = ["Option", "SettingError"]

MAX_CONFIG = Option("max_config_mib", "max_config_mib")
MAX_READ = Option("max_read_mib", "max_read_mib")
MAX_ARRAY_ELEMENTS = Option("max_array_elements", "max_array_elements")
TIMEOUT = Option("timeout", "timeout")
JOBS = Option("jobs", "jobs")
FORCE = Option("force", "force=True")
IN_PLACE = Option("in_place", "in_place=True")
OUTPUT = Option("output", "an output")
NO_BACKUP = Option("backup", "backup=False")
SYNC = Option("sync", "sync")
PROGRESS = Option("progress", "progress")
SELECTION = Option("include_exclude", "include/exclude")
TARGET_KERAS = Option("target_keras", "target_keras")
SELECT = Option("select", "select")
SOURCE = Option("source", "source")
ALLOW_ROUNDING = Option("allow_rounding", "allow_rounding=True")
RESUME = Option("resume", "resume")
INPUTS = Option("inputs", "inputs")
IGNORE = Option("ignore", "ignore")

MIB = 1024 * 1024
DEFAULT_MAX_CONFIG_MIB = 16
DEFAULT_MAX_READ_MIB = 8
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 24 * 3600.0  # a day: a longer time limit is a mistake
DEFAULT_MAX_ARRAY_ELEMENTS = 1_000_000
LOCAL_JOBS = 1  # reading small local files is CPU-bound: threads only add cost
REMOTE_JOBS = 16  # remote reads wait on the network: overlap them


def positive_number(option: Option, given: object) -> float:
    """A positive, finite number, given as one or as its text (``"0.5"``)."""
    value = _number(given, float)
    if value is None or not (value > 0 and math.isfinite(value)):
        raise SettingError(option, given, expected="a positive number")
    return value


def whole_number(option: Option, given: object) -> int:
    """A whole number of 1 or more, given as one or as its text (``"4"``)."""
    value = _number(given, int)
    if not isinstance(value, int) or value < 1:
        raise SettingError(option, given, expected="1 or more (a whole number)")
    return value


def seconds(option: Option, given: object) -> float:
    """A time limit: a positive number of seconds, at most a day."""
    value = positive_number(option, given)
    if value > MAX_TIMEOUT:
        raise SettingError(
            option, given, expected=f"at most {MAX_TIMEOUT:g} seconds (a day)"
        )
    return value


def switch(option: Option, given: object) -> bool:
    """``True`` or ``False``, and nothing that merely looks like one."""
    if not isinstance(given, bool):
        raise SettingError(option, given, expected="True or False")
    return given


def _number(given: object, kind: type[int] | type[float]) -> float | None:
    if isinstance(given, bool):
        return None
    if isinstance(given, str):
        try:
            return kind(given.strip())
        except ValueError:
            return None
    if kind is int:
        return given if isinstance(given, int) else None
    return float(given) if isinstance(given, (int, float)) else None


@dataclass(frozen=True)
class Limits:
    """What one file may cost."""

    max_config_bytes: int = DEFAULT_MAX_CONFIG_MIB * MIB
    max_read_bytes: int = DEFAULT_MAX_READ_MIB * MIB
    timeout: float = DEFAULT_TIMEOUT  # seconds per request to a remote store
    max_array_elements: int = DEFAULT_MAX_ARRAY_ELEMENTS

    @classmethod
    def checked(
        cls,
        *,
        max_config_mib: object = DEFAULT_MAX_CONFIG_MIB,
        max_read_mib: object = DEFAULT_MAX_READ_MIB,
        timeout: object = DEFAULT_TIMEOUT,
        max_array_elements: object = DEFAULT_MAX_ARRAY_ELEMENTS,
    ) -> Limits:
        """The limits from the caller's values; :class:`SettingError` names a
        bad one."""
        return cls(
            int(positive_number(MAX_CONFIG, max_config_mib) * MIB),
            int(positive_number(MAX_READ, max_read_mib) * MIB),
            seconds(TIMEOUT, timeout),
            whole_number(MAX_ARRAY_ELEMENTS, max_array_elements),
        )


@dataclass(frozen=True)
class Targets:
    """The Keras releases a model must load on: ranges of versions, each
    ``(lowest, highest)`` inclusive (``None``: no upper bound).

    By default every Keras 3 release, those to come included. ``text`` is
    how the user named them, for messages. Which of the releases checked so
    far they take is for the judgement to work out (``files/judgement/``).
    """

    ranges: tuple[tuple[Version, Version | None], ...] = ((release(3, 0, 0), None),)
    text: str = "3.x"

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, Version):
            return False
        return any(
            low <= version and (high is None or version <= high)
            for low, high in self.ranges
        )

    @classmethod
    def from_release(cls, saved_by: str | None) -> Targets:
        """The release that saved a file and every later one (every Keras 3
        release where that is not known, or not a Keras 3 version)."""
        return _from_release(saved_by)

    @property
    def open_ended(self) -> bool:
        """Whether releases after the newest checked are targets too."""
        latest = Version.parse(LATEST_CHECKED)
        return any(high is None or high > latest for _, high in self.ranges)

    @classmethod
    def checked(cls, given: object) -> Targets | None:
        """``3.4.1``, ``3.4`` (every 3.4.x), ``3.0-3.4`` (inclusive), ``3.5+``
        (and later); several are taken together; none (``None``) is the
        default, the release that saved each file and every later one.
        :class:`SettingError` for anything else, and for a range that takes
        no Keras 3 release (a typo must not turn a gate off)."""
        if isinstance(given, str):  # one version, as a caller naturally gives it
            given = [given]
        if not isinstance(given, Iterable):
            raise SettingError(
                TARGET_KERAS, given, expected="a list of versions (text)"
            )
        texts = list(given)
        if not all(isinstance(text, str) for text in texts):
            raise SettingError(
                TARGET_KERAS, texts, expected="a list of versions (text)"
            )
        if not texts:
            return None
        ranges = tuple(_target_range(text) for text in texts)
        checked = [Version.parse(text) for text in KERAS_3]
        for text, bounds in zip(texts, ranges, strict=True):
            taken = cls((bounds,), text)
            if (
                bounds[1] is not None
                and not text.strip().endswith("+")
                and (bounds[0] > checked[-1])
            ):  # 3.41 for 3.4.1, 3.16 before it exists: a gate must not pass
                raise SettingError(
                    TARGET_KERAS,
                    text,
                    problem=f"{text!r} is not a Keras release this package knows "
                    f"(the newest is {LATEST_CHECKED}; name releases to come with "
                    f"{LATEST_CHECKED}+, or update this package)",
                )
            if not any(version in taken for version in checked) and not (
                taken.open_ended
            ):
                raise SettingError(
                    TARGET_KERAS,
                    text,
                    problem=f"{text!r} takes no Keras 3 release (those checked "
                    f"are {KERAS_3[0]}-{LATEST_CHECKED}; later ones are judged "
                    "by the rule)",
                )
        return cls(ranges, ", ".join(texts))


@cache
def _from_release(saved_by: str | None) -> Targets:
    """``Targets.from_release``, once per version (a fleet repeats them)."""
    try:
        version = Version.parse(saved_by) if saved_by else None
    except InvalidVersion:
        version = None
    if version is None or version.major != 3:
        return Targets()
    low = release(version[0], version[1], version[2])
    return Targets(((low, None),), f"{low}+")


def _bound(text: str, *, upper: bool) -> Version:
    """``3.4`` as a lower bound is 3.4.0; as an upper one, every 3.4.x."""
    parts = text.strip().split(".")
    if not 2 <= len(parts) <= 3 or not all(
        p.isdigit() and p.isascii() and (p == "0" or not p.startswith("0"))
        for p in parts
    ):
        raise _bad_target(text, "is not a Keras version such as 3.4.1 or 3.4")
    if parts[0] != "3":
        raise _bad_target(
            text, "is not a Keras 3 version (only Keras 3 writes these files)"
        )
    try:
        version = Version.parse(".".join(parts + ["0"] * (3 - len(parts))))
    except InvalidVersion:
        raise _bad_target(text, "is not a Keras version") from None
    if upper and len(parts) == 2:
        return release(version[0], version[1], 10**9)  # every micro of it
    return version


def _bad_target(text: str, problem: str) -> SettingError:
    return SettingError(TARGET_KERAS, text, problem=f"{text!r} {problem}")


def _target_range(text: str) -> tuple[Version, Version | None]:
    target = text.strip()
    if target.endswith("+"):
        return _bound(target[:-1], upper=False), None
    low, dash, high = target.partition("-")
    if dash:
        first, last = _bound(low, upper=False), _bound(high, upper=True)
        if last < first:
            raise _bad_target(text, "runs backwards")
        return first, last
    return _bound(target, upper=False), _bound(target, upper=True)


@dataclass(frozen=True)
class Judging:
    """What a file is judged against: the Keras releases a model must load
    on (``None``: the release that saved the file and every later one, as
    its metadata says; every Keras 3 release where it says none), and the
    rules (``KRP001``...) to report only (``select``) or to leave out
    (``ignore``); the codes are checked against the rules by
    ``files/judgement/rules.py``."""

    targets: Targets | None = None
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()

    def reports(self, rule: str) -> bool:
        if self.select and rule not in self.select:
            return False
        return rule not in self.ignore

    def targets_for(self, saved_by: str | None) -> Targets:
        """The releases a file saved by ``saved_by`` is judged against."""
        return self.targets or Targets.from_release(saved_by)


# The default: the saving release and later, every rule.
DEFAULT_JUDGING = Judging()
EVERY_RELEASE = Judging(Targets())


@dataclass(frozen=True)
class ScanOptions:
    """How ``scan`` takes and reads files.

    ``include``/``exclude``: patterns that narrow what folders, prefixes and
    patterns give. ``jobs``: files scanned at once (``None``: the default for
    the inputs). ``skip``: files not to scan, by the name a report would
    give them; ``on_skip`` is told each one met. ``ordered``: reports in the
    order the files were found, rather than as each scan ends.
    ``judging``: the Keras releases a model must load on, and the rules
    reported.
    """

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    jobs: int | None = None
    limits: Limits = field(default_factory=Limits)
    skip: Collection[str] = ()
    on_skip: Callable[[str], object] | None = None
    ordered: bool = True
    judging: Judging = DEFAULT_JUDGING


def no_progress(copied: int) -> None:
    """A progress callback that shows nothing."""
    return None


@dataclass(frozen=True)
class RepairOptions:
    """How ``repair`` writes its result.

    ``in_place``: replace the input (local files), keeping ``IN.bak`` unless
    not ``backup``; otherwise the output is given beside these options.
    ``force``: replace an existing output or backup. ``sync``: wait for the
    result to reach the disk. ``progress``: told the bytes copied so far.
    """

    in_place: bool = False
    backup: bool = True
    force: bool = False
    sync: bool = True
    limits: Limits = field(default_factory=Limits)
    progress: Callable[[int], None] = no_progress
    judging: Judging = DEFAULT_JUDGING
    allow_rounding: bool = False

    @classmethod
    def checked(
        cls,
        *,
        has_output: bool,
        in_place: object = False,
        backup: object = True,
        force: object = False,
        sync: object = True,
        limits: Limits | None = None,
        progress: object = None,
        judging: Judging = DEFAULT_JUDGING,
        allow_rounding: object = False,
    ) -> RepairOptions:
        """The options from the caller's values: exactly one of an output and
        in place, a backup switched off only in place, a callable progress;
        :class:`SettingError` otherwise."""
        in_place = switch(IN_PLACE, in_place)
        backup = switch(NO_BACKUP, backup)
        if in_place == has_output:
            raise SettingError(
                None, problem=message("give either ", OUTPUT, " or ", IN_PLACE)
            )
        if not backup and not in_place:
            raise SettingError(
                None, problem=message(NO_BACKUP, " only goes with ", IN_PLACE)
            )
        if progress is not None and not callable(progress):
            raise SettingError(
                PROGRESS, progress, expected="a function of the bytes copied"
            )
        return cls(
            in_place=in_place,
            backup=backup,
            force=switch(FORCE, force),
            sync=switch(SYNC, sync),
            limits=limits or Limits(),
            progress=progress or no_progress,
            judging=judging,
            allow_rounding=switch(ALLOW_ROUNDING, allow_rounding),
        )


@dataclass(frozen=True)
class BatchOptions:
    """How a command over many files takes them and runs.

    ``include``/``exclude``, ``jobs``, ``skip``, ``on_skip``, ``ordered``: as
    for :class:`ScanOptions`. ``stop``: once set, no further file is
    started; those under way are finished (each is written whole or not at
    all) and reported."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    jobs: int | None = None
    skip: Collection[str] = ()
    on_skip: Callable[[str], object] | None = None
    ordered: bool = True
    stop: Event = field(default_factory=Event)
