"""The file tools from Python: scan and repair model files, local or remote.

What ``keras-rescaling-patch scan`` and ``repair`` do, as four functions
the command line itself uses, so a model registry's hook, a notebook or a
pipeline on an existing engine (Dask, Ray) gets the same answers without a
process per file::

    from keras_rescaling_patch.files import api

    report = api.scan("s3://models/prod/model.keras")
    if report.status == "affected":
        api.repair("s3://models/prod/model.keras", "s3://models/fixed/model.keras")

Problems with a file (unreadable, not a model, refused, unwritable) are
never raised: they are reports with ``error`` set and ``exit_code`` 2 (1
for a value no plain list can carry exactly), so a map over thousands of
files returns one result per file; an ``error`` names the settings that
would help by these functions' own parameters (``max_config_mib``,
``force=True``). Bad arguments raise ``SettingError`` (a ``ValueError``
whose ``option`` says which), before any work. Nothing here imports
Keras, TensorFlow, NumPy or, for local files, fsspec.
"""

from __future__ import annotations

import os
import threading
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)

from keras_rescaling_patch.files.jobs.scan_file import scan_location
from keras_rescaling_patch.files.jobs.scan_many import scan_many as _scan_many
from keras_rescaling_patch.files.judgement.rules import checked_codes
from keras_rescaling_patch.files.options import (
    DEFAULT_MAX_ARRAY_ELEMENTS,
    DEFAULT_MAX_CONFIG_MIB,
    DEFAULT_MAX_READ_MIB,
    DEFAULT_TIMEOUT,
    IGNORE,
    INPUTS,
    JOBS,
    SELECT,
    BatchOptions,
    Judging,
    Limits,
    Option,
    RepairOptions,
    ScanOptions,
    SettingError,
    Targets,
    whole_number,
)
from keras_rescaling_patch.files.reports.repair_report import RepairReport
from keras_rescaling_patch.files.reports.scan_report import FileReport
from keras_rescaling_patch.files.stores.location import Location, parse

__all__ = [
    "FileReport",
    "RepairReport",
    "SettingError",
    "repair",
    "repair_many",
    "scan",
    "scan_many",
]


def scan(
    location: str | os.PathLike[str],
    *,
    max_config_mib: float = DEFAULT_MAX_CONFIG_MIB,
    max_read_mib: float = DEFAULT_MAX_READ_MIB,
    timeout: float = DEFAULT_TIMEOUT,
    target_keras: Sequence[str] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> FileReport:
    """Scan one model file: a local path or a URL (``s3://``, ``https://``...).

    A ``.keras`` file is read by its directory and ``config.json`` only;
    a remote legacy ``.h5`` up to ``max_read_mib``. ``timeout`` bounds each
    request to a remote store, in seconds. ``target_keras``: the Keras
    releases the model must load on (``"3.4.1"``, ``"3.4"``, ``"3.0-3.4"``,
    ``"3.5+"``; default: every Keras 3 release). ``select`` / ``ignore``:
    rule codes (``KRP001``...) to report only, or to leave out.
    """
    limits = Limits.checked(
        max_config_mib=max_config_mib, max_read_mib=max_read_mib, timeout=timeout
    )
    judging = _judging(target_keras, select, ignore)
    return scan_location(_location("location", location), limits, judging=judging)


def _location(name: str, given: object) -> Location:
    """``given`` parsed, once; ``SettingError`` names the parameter it came as."""
    if not isinstance(given, (str, os.PathLike)):
        raise SettingError(Option(name, name), given, expected="a path or a URL (text)")
    text = os.fspath(given)
    if not isinstance(text, str):
        raise SettingError(
            Option(name, name), text, expected="a path or a URL as text, not bytes"
        )
    if not text and name != "output":  # an empty output is named by repair
        raise SettingError(Option(name, name), text, problem="the name is empty")
    return parse(text)


def _texts(name: str, given: object) -> tuple[str, ...]:
    """Patterns or names: a list of them, or one (not its characters)."""
    if isinstance(given, str):
        return (given,)
    if isinstance(given, Iterable) and not isinstance(given, (bytes, Mapping)):
        items = tuple(given)
        if all(isinstance(item, str) for item in items):
            return items
    raise SettingError(Option(name, name), given, expected="a list of text")


def _skipped(given: object) -> Collection[str]:
    """``skip``: names, or a mapping of names (a resumed run's results)."""
    if isinstance(given, Mapping):
        return given
    return frozenset(_texts("skip", given))


def _judging(target_keras: object, select: object, ignore: object) -> Judging:
    """The targets and rules, checked (``SettingError`` names a bad one)."""
    return Judging(
        Targets.checked(target_keras),
        checked_codes(SELECT, select),
        checked_codes(IGNORE, ignore),
    )


def scan_many(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    jobs: int | None = None,
    max_config_mib: float = DEFAULT_MAX_CONFIG_MIB,
    max_read_mib: float = DEFAULT_MAX_READ_MIB,
    timeout: float = DEFAULT_TIMEOUT,
    skip: Collection[str] = (),
    on_skip: Callable[[str], object] | None = None,
    ordered: bool = True,
    target_keras: Sequence[str] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> Iterator[FileReport]:
    """Scan files, folders, glob patterns and URL prefixes; yield each report.

    From a folder, prefix or pattern, only ``.keras``, ``.h5`` and
    ``.hdf5`` files are taken, narrowed by ``include`` and ``exclude``
    (``fnmatch`` patterns on the path below the folder, or the URL).
    ``jobs``: files scanned at once (default: 16 with a URL among the
    inputs, else 1). ``skip``: files not to scan (by the name a report
    would give them); ``on_skip`` is called with each one met.
    ``ordered=False`` yields each report as its scan ends, rather than in
    the order the files were found. ``target_keras``, ``select`` and
    ``ignore``: as for :func:`scan`. Every argument is checked before the
    first file is looked at.
    """
    if isinstance(inputs, (str, bytes, os.PathLike)):
        raise SettingError(
            INPUTS,
            problem="a list of paths or URLs, not one: scan_many([path]), or "
            "scan(path)",
        )
    options = ScanOptions(
        include=_texts("include", include),
        exclude=_texts("exclude", exclude),
        jobs=None if jobs is None else whole_number(JOBS, jobs),
        limits=Limits.checked(
            max_config_mib=max_config_mib, max_read_mib=max_read_mib, timeout=timeout
        ),
        skip=_skipped(skip),
        on_skip=on_skip,
        ordered=ordered,
        judging=_judging(target_keras, select, ignore),
    )
    return _scan_many([_location("inputs", item) for item in inputs], options)


def repair(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    in_place: bool = False,
    backup: bool = True,
    force: bool = False,
    sync: bool = True,
    max_config_mib: float = DEFAULT_MAX_CONFIG_MIB,
    max_array_elements: int = DEFAULT_MAX_ARRAY_ELEMENTS,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[int], None] | None = None,
    target_keras: Sequence[str] = (),
    allow_rounding: bool = False,
) -> RepairReport:
    """Rewrite what the targeted stock releases cannot load: each serialized
    array they do not restore as a plain value, and (porting a file down to
    an older release) each argument they do not take where it holds its
    default, each class name they do not know where they know another for
    the class, each structure of the table they do not read.

    ``target_keras``: as for :func:`scan` (default: the release that saved
    the file, and every later one). What cannot be written exactly, or
    ported, is refused (``exit_code`` 1), naming the oldest release that
    loads the file. ``allow_rounding``: write a float the class cannot get
    exactly from a plain number as the nearest one it computes with (each
    repair's ``rounding`` says what was written and how far the values
    moved), and an argument a class computes with differently as a plain
    number anyway (``computes_differently`` says why); a value no plain
    number carries at all (complex, out of range) is still refused.

    ``source`` and ``output`` may be local paths or URLs. The output
    appears only when complete, and an existing one is replaced only with
    ``force`` (on S3 by a conditional write, so a concurrent writer is never
    clobbered). ``in_place`` (local files only) keeps ``SOURCE.bak`` unless
    ``backup`` is false. ``progress`` is called with the bytes copied so far.
    """
    options = RepairOptions.checked(
        has_output=output is not None,
        in_place=in_place,
        backup=backup,
        force=force,
        sync=sync,
        limits=Limits.checked(
            max_config_mib=max_config_mib,
            timeout=timeout,
            max_array_elements=max_array_elements,
        ),
        progress=progress,
        judging=_judging(target_keras, (), ()),
        allow_rounding=allow_rounding,
    )
    from keras_rescaling_patch.files.jobs.repair_file import repair_file

    target = None if output is None else _location("output", output)
    return repair_file(_location("source", source), target, options)


def repair_many(
    inputs: Iterable[str | os.PathLike[str]],
    output: str | os.PathLike[str] | None = None,
    *,
    in_place: bool = False,
    backup: bool = True,
    force: bool = False,
    sync: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    jobs: int | None = None,
    max_config_mib: float = DEFAULT_MAX_CONFIG_MIB,
    max_array_elements: int = DEFAULT_MAX_ARRAY_ELEMENTS,
    timeout: float = DEFAULT_TIMEOUT,
    skip: Collection[str] = (),
    on_skip: Callable[[str], object] | None = None,
    ordered: bool = True,
    target_keras: Sequence[str] = (),
    allow_rounding: bool = False,
    stop: threading.Event | None = None,
) -> Iterator[RepairReport]:
    """Repair every file that files, folders, glob patterns and URL
    prefixes stand for (as :func:`scan_many` takes them); yield each report.

    ``output``: a folder or URL prefix; each result goes below it where the
    file was below the input it was found in (``models/a/m.keras`` found in
    ``models`` goes to ``OUTPUT/a/m.keras``; a file named on its own, to
    ``OUTPUT/m.keras``). It must not lie inside an input folder. Or
    ``in_place`` (local files), keeping each ``FILE.bak`` unless ``backup``
    is false. ``jobs``: files repaired at once (default: 16 with a URL among
    the inputs, else 1). ``skip``, ``on_skip``, ``ordered``: as for
    :func:`scan_many`. Once ``stop`` is set, no further file is started;
    those under way are finished and reported (a repair is never left
    half-written), so a caller can stop on a signal and resume later with
    ``skip``. The other arguments are :func:`repair`'s, for every file.
    Every argument is checked before the first file is looked at.
    """
    if isinstance(inputs, (str, bytes, os.PathLike)):
        raise SettingError(
            INPUTS,
            problem="a list of paths or URLs, not one: repair_many([path], ...), "
            "or repair(path, ...)",
        )
    options = RepairOptions.checked(
        has_output=output is not None,
        in_place=in_place,
        backup=backup,
        force=force,
        sync=sync,
        limits=Limits.checked(
            max_config_mib=max_config_mib,
            timeout=timeout,
            max_array_elements=max_array_elements,
        ),
        judging=_judging(target_keras, (), ()),
        allow_rounding=allow_rounding,
    )
    batch = BatchOptions(
        include=_texts("include", include),
        exclude=_texts("exclude", exclude),
        jobs=None if jobs is None else whole_number(JOBS, jobs),
        skip=_skipped(skip),
        on_skip=on_skip,
        ordered=ordered,
        stop=stop if stop is not None else threading.Event(),
    )
    from keras_rescaling_patch.files.jobs.repair_many import repair_many as many

    root = None if output is None else _location("output", output)
    locations = [_location("inputs", item) for item in inputs]
    return many(locations, root, options, batch)


def names_one_file(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names one file (which :func:`repair` writes to
    an output file) rather than a folder, a URL prefix or a glob pattern
    (which :func:`repair_many` writes into an output folder)."""
    from keras_rescaling_patch.files.jobs.repair_many import names_one_file as one

    return one(_location("location", location))


def repairs_done(
    previous: Mapping[str, tuple[str, int, str | None]],
    output: str | os.PathLike[str] | None = None,
) -> dict[str, int]:
    """Of a previous repair's results (file -> status, exit code, output; as
    ``reports.json_lines.read_repairs`` reads them from its JSON Lines), the
    files a run into ``output`` (``None``: in place) need not take again,
    with their exit codes: a ``skip`` for :func:`repair_many`. A file
    refused, failed or written to another output is taken again."""
    from keras_rescaling_patch.files.jobs.repair_many import done_here

    root = None if output is None else _location("output", output)
    return done_here(previous, root)
