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

MIB = 1024 * 1024
DEFAULT_MAX_CONFIG_MIB = 16
DEFAULT_MAX_READ_MIB = 8
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 24 * 3600.0  # a day: a longer time limit is a mistake
DEFAULT_MAX_ARRAY_ELEMENTS = 1_000_000
LOCAL_JOBS = 1  # reading small local files is CPU-bound: threads only add cost
REMOTE_JOBS = 16  # remote reads wait on the network: overlap them


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
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
class ScanOptions:
    """How ``scan`` takes and reads files.

    ``include``/``exclude``: patterns that narrow what folders, prefixes and
    patterns give. ``jobs``: files scanned at once (``None``: the default for
    the inputs). ``skip``: files not to scan, by the name a report would
    give them; ``on_skip`` is told each one met. ``ordered``: reports in the
    order the files were found, rather than as each scan ends.
    """

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    jobs: int | None = None
    limits: Limits = field(default_factory=Limits)
    skip: Collection[str] = ()
    on_skip: Callable[[str], object] | None = None
    ordered: bool = True


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
