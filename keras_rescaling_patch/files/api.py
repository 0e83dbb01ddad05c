"""The file tools from Python: scan and repair model files, local or remote.

What ``keras-rescaling-patch scan`` and ``repair`` do, as three functions
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
``force=True``). Bad arguments raise ``ValueError``. Nothing here imports
Keras, TensorFlow, NumPy or, for local files, fsspec.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence

from keras_rescaling_patch.files.jobs.repair_file import repair_file
from keras_rescaling_patch.files.jobs.scan_file import scan_location
from keras_rescaling_patch.files.jobs.scan_many import scan_many as _scan_many
from keras_rescaling_patch.files.model.restoration import RULE_CODES
from keras_rescaling_patch.files.options import (
    DEFAULT_MAX_ARRAY_ELEMENTS,
    DEFAULT_MAX_CONFIG_MIB,
    DEFAULT_MAX_READ_MIB,
    DEFAULT_TIMEOUT,
    Judging,
    Limits,
    RepairOptions,
    ScanOptions,
    Targets,
    no_progress,
)
from keras_rescaling_patch.files.reports.repair_report import RepairReport
from keras_rescaling_patch.files.reports.scan_report import FileReport
from keras_rescaling_patch.files.stores.location import Location, parse

__all__ = ["FileReport", "RepairReport", "repair", "scan", "scan_many"]


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
    """``given`` parsed; ``ValueError`` names the parameter it came as."""
    if not isinstance(given, (str, os.PathLike)):
        raise ValueError(f"{name} is a path or a URL (text), not {given!r}")
    text = os.fspath(given)
    if not isinstance(text, str):
        raise ValueError(f"{name} is a path or a URL as text, not bytes: {text!r}")
    return parse(text)


def _flags(**given: object) -> None:
    for name, value in given.items():
        if not isinstance(value, bool):
            raise ValueError(f"{name} is True or False, not {value!r}")


def _judging(
    target_keras: Sequence[str], select: Sequence[str], ignore: Sequence[str]
) -> Judging:
    """The targets and rules, checked (``ValueError`` names a bad one)."""
    for name, codes in (("select", select), ("ignore", ignore)):
        if isinstance(codes, str):
            raise ValueError(f"{name} is a list of rule codes, not one string")
        if not isinstance(codes, Iterable) or not all(
            isinstance(code, str) for code in codes
        ):
            raise ValueError(f"{name} is a list of rule codes, not {codes!r}")
        unknown = sorted(set(codes) - RULE_CODES)
        if unknown:
            known = ", ".join(sorted(RULE_CODES))
            raise ValueError(f"{name}: no rule {unknown[0]!r}; the rules are {known}")
    if isinstance(target_keras, str):
        raise ValueError("target_keras is a list of versions, not one string")
    if not isinstance(target_keras, Iterable) or not all(
        isinstance(version, str) for version in target_keras
    ):
        raise ValueError(
            f"target_keras is a list of versions (text), not {target_keras!r}"
        )
    try:
        targets = Targets.parse(list(target_keras))
    except ValueError as error:
        raise ValueError(f"target_keras: {error}") from None
    return Judging(targets, frozenset(select), frozenset(ignore))


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
    ``ignore``: as for :func:`scan`.
    """
    if isinstance(inputs, (str, bytes, os.PathLike)):
        raise ValueError(
            "inputs is a list of paths or URLs, not one: "
            "scan_many([path]), or scan(path)"
        )
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be 1 or more, not {jobs!r}")
    options = ScanOptions(
        include=tuple(include),
        exclude=tuple(exclude),
        jobs=jobs,
        limits=Limits.checked(
            max_config_mib=max_config_mib, max_read_mib=max_read_mib, timeout=timeout
        ),
        skip=skip,
        on_skip=on_skip,
        ordered=ordered,
        judging=_judging(target_keras, select, ignore),
    )
    if isinstance(inputs, (str, os.PathLike)):
        raise ValueError("inputs is a list of paths or URLs, not one")
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
) -> RepairReport:
    """Rewrite the serialized arrays stock Keras does not restore as plain
    values, so that every Keras 3 release loads the file.

    ``source`` and ``output`` may be local paths or URLs. The output
    appears only when complete, and an existing one is replaced only with
    ``force`` (on S3 by a conditional write, so a concurrent writer is never
    clobbered). ``in_place`` (local files only) keeps ``SOURCE.bak`` unless
    ``backup`` is false. ``progress`` is called with the bytes copied so far.
    """
    _flags(in_place=in_place, backup=backup, force=force, sync=sync)
    if in_place == (output is not None):
        raise ValueError("give either an output or in_place=True")
    if not backup and not in_place:
        raise ValueError("backup=False applies only with in_place=True")
    if progress is not None and not callable(progress):
        raise ValueError(
            f"progress is a function of the bytes copied, not {progress!r}"
        )
    limits = Limits.checked(
        max_config_mib=max_config_mib,
        timeout=timeout,
        max_array_elements=max_array_elements,
    )
    options = RepairOptions(
        in_place=in_place,
        backup=backup,
        force=force,
        sync=sync,
        limits=limits,
        progress=progress or no_progress,
    )
    target = None if output is None else _location("output", output)
    return repair_file(_location("source", source), target, options)
