"""What a caller of the file tools can set: each setting, its default, once.

The command line and the Python API offer the same settings, each under its
own name (``--max-config-mib`` there, ``max_config_mib`` here). Below them
the code knows a setting as an :class:`Option`, so that a message saying
which setting would help (a limit to raise, a switch to pass) can point at
it without spelling it: each caller spells it its own way when it shows the
message (``files/problems.py``). The values travel down as one object per
command: :class:`ScanOptions` or :class:`RepairOptions`, made and checked
once, by the API.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import cache

from keras_rescaling_patch._keras_releases import (
    KERAS_3,
    LATEST_CHECKED,
    InvalidVersion,
    Version,
    release,
)


@dataclass(frozen=True)
class Option:
    """A setting a message can point at. ``name``: the API's parameter;
    ``api``: how a message from the API spells it (``force=True``)."""

    name: str
    api: str


MAX_CONFIG = Option("max_config_mib", "max_config_mib")
MAX_READ = Option("max_read_mib", "max_read_mib")
MAX_ARRAY_ELEMENTS = Option("max_array_elements", "max_array_elements")
TIMEOUT = Option("timeout", "timeout")
FORCE = Option("force", "force=True")
IN_PLACE = Option("in_place", "in_place=True")
OUTPUT = Option("output", "an output")
NO_BACKUP = Option("backup", "backup=False")
SELECTION = Option("include_exclude", "include/exclude")
TARGET_KERAS = Option("target_keras", "target_keras")

MIB = 1024 * 1024
DEFAULT_MAX_CONFIG_MIB = 16
DEFAULT_MAX_READ_MIB = 8
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 24 * 3600.0  # a day: a longer time limit is a mistake
DEFAULT_MAX_ARRAY_ELEMENTS = 1_000_000
LOCAL_JOBS = 1  # reading small local files is CPU-bound: threads only add cost
REMOTE_JOBS = 16  # remote reads wait on the network: overlap them


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not (
        isinstance(value, (int, float)) and value > 0 and math.isfinite(value)
    ):
        raise ValueError(f"{name} must be a positive number, not {value!r}")


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
        max_config_mib: float = DEFAULT_MAX_CONFIG_MIB,
        max_read_mib: float = DEFAULT_MAX_READ_MIB,
        timeout: float = DEFAULT_TIMEOUT,
        max_array_elements: int = DEFAULT_MAX_ARRAY_ELEMENTS,
    ) -> Limits:
        """The limits from the API's arguments; ``ValueError`` names a bad one."""
        _positive(MAX_CONFIG.name, max_config_mib)
        _positive(MAX_READ.name, max_read_mib)
        _positive(TIMEOUT.name, timeout)
        if timeout > MAX_TIMEOUT:
            raise ValueError(
                f"timeout must be at most {MAX_TIMEOUT:g} seconds, not {timeout!r}"
            )
        if isinstance(max_array_elements, bool) or not (
            isinstance(max_array_elements, int) and max_array_elements > 0
        ):
            raise ValueError(
                "max_array_elements must be a positive whole number, "
                f"not {max_array_elements!r}"
            )
        return cls(
            int(max_config_mib * MIB),
            int(max_read_mib * MIB),
            float(timeout),
            max_array_elements,
        )


@dataclass(frozen=True)
class Targets:
    """The Keras releases a model must load on: ranges of versions, each
    ``(lowest, highest)`` inclusive (``None``: no upper bound).

    By default every Keras 3 release, those to come included. ``text`` is
    how the user named them, for messages.
    """

    ranges: tuple[tuple[Version, Version | None], ...] = ((release(3, 0, 0), None),)
    text: str = "every Keras 3 release"

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, Version):
            return False
        return any(
            low <= version and (high is None or version <= high)
            for low, high in self.ranges
        )

    def known(self) -> tuple[str, ...]:
        """The releases checked so far that these targets take."""
        return _before(self, None)

    def before(self, first_fixed: str | None) -> tuple[str, ...]:
        """The checked releases these targets take that come before
        ``first_fixed`` (every one, for ``None``): those that fail where a
        fix arrived in ``first_fixed``. Computed once per value: a scan of
        thousands of files asks it for every finding."""
        return _before(self, first_fixed)

    @property
    def beyond_checked(self) -> bool:
        """Whether releases after the newest checked are targets too."""
        latest = _CHECKED[-1][1]
        return any(high is None or high > latest for _, high in self.ranges)

    @classmethod
    def parse(cls, given: Sequence[str]) -> Targets:
        """``3.4.1``, ``3.4`` (every 3.4.x), ``3.0-3.4`` (inclusive), ``3.5+``
        (and later); several are taken together. ``ValueError`` for others."""
        if not given:
            return cls()
        ranges = tuple(_target_range(text) for text in given)
        for text, bounds in zip(given, ranges, strict=True):
            taken = cls((bounds,), text)
            if not taken.known() and not taken.beyond_checked:
                raise ValueError(
                    f"{text!r} takes no Keras 3 release (those checked are "
                    f"{KERAS_3[0]}-{LATEST_CHECKED}; later ones are judged by "
                    "the rule)"
                )
        return cls(ranges, ", ".join(given))


_CHECKED = tuple((text, Version.parse(text)) for text in KERAS_3)
assert _CHECKED[-1][0] == LATEST_CHECKED


@cache
def _before(targets: Targets, first_fixed: str | None) -> tuple[str, ...]:
    bound = None if first_fixed is None else Version.parse(first_fixed)
    return tuple(
        text
        for text, version in _CHECKED
        if version in targets and (bound is None or version < bound)
    )


def _bound(text: str, *, upper: bool) -> Version:
    """``3.4`` as a lower bound is 3.4.0; as an upper one, every 3.4.x."""
    parts = text.strip().split(".")
    if not 2 <= len(parts) <= 3 or not all(
        p.isdigit() and p.isascii() and (p == "0" or not p.startswith("0"))
        for p in parts
    ):
        raise ValueError(f"{text!r} is not a Keras version such as 3.4.1 or 3.4")
    if parts[0] != "3":
        raise ValueError(
            f"{text!r} is not a Keras 3 version (only Keras 3 writes these markers)"
        )
    try:
        version = Version.parse(".".join(parts + ["0"] * (3 - len(parts))))
    except InvalidVersion:
        raise ValueError(f"{text!r} is not a Keras version") from None
    if upper and len(parts) == 2:
        return release(version[0], version[1], 10**9)  # every micro of it
    return version


def _target_range(text: str) -> tuple[Version, Version | None]:
    target = text.strip()
    if target.endswith("+"):
        return _bound(target[:-1], upper=False), None
    low, dash, high = target.partition("-")
    if dash:
        first, last = _bound(low, upper=False), _bound(high, upper=True)
        if last < first:
            raise ValueError(f"{text!r} runs backwards")
        return first, last
    return _bound(target, upper=False), _bound(target, upper=True)


@dataclass(frozen=True)
class Judging:
    """What a finding is judged against: the Keras releases a model must
    load on, and the rules (``KRP001``...) to report only (``select``) or to
    leave out (``ignore``)."""

    targets: Targets = field(default_factory=Targets)
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()

    def reports(self, rule: str) -> bool:
        if self.select and rule not in self.select:
            return False
        return rule not in self.ignore


# The default: every Keras 3 release, every rule.
EVERY_RELEASE = Judging()


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
    judging: Judging = EVERY_RELEASE


def no_progress(copied: int) -> None:
    """A progress callback that shows nothing."""
    return None


@dataclass(frozen=True)
class RepairOptions:
    """How ``repair`` writes its result.

    ``in_place``: replace the input (local files), keeping ``IN.bak`` unless
    not ``backup``. ``force``: replace an existing output or backup.
    ``sync``: wait for the result to reach the disk. ``progress``: told the
    bytes copied so far.
    """

    in_place: bool = False
    backup: bool = True
    force: bool = False
    sync: bool = True
    limits: Limits = field(default_factory=Limits)
    progress: Callable[[int], None] = no_progress
