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
files returns one result per file. Bad arguments raise ``ValueError``.
Nothing here imports Keras, TensorFlow, NumPy or, for local files, fsspec.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any

from keras_rescaling_patch.files import fleet, locations, remote
from keras_rescaling_patch.files.keras_file import (
    DEFAULT_MAX_CONFIG_BYTES,
    DEFAULT_MAX_READ_BYTES,
)
from keras_rescaling_patch.files.repair_any import RepairReport, repair_any
from keras_rescaling_patch.files.reports import FileReport

MIB = 1024 * 1024

__all__ = ["FileReport", "RepairReport", "repair", "scan", "scan_many"]


MAX_TIMEOUT = 24 * 3600.0  # a day: beyond that, a clock cannot hold it


def _limits(max_config_mib: float, max_read_mib: float, timeout: float) -> fleet.Limits:
    for name, value in (
        ("max_config_mib", max_config_mib),
        ("max_read_mib", max_read_mib),
        ("timeout", timeout),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be a positive number, not {value!r}")
    if timeout > MAX_TIMEOUT:
        raise ValueError(
            f"timeout must be at most {MAX_TIMEOUT:g} seconds, not {timeout!r}"
        )
    return fleet.Limits(int(max_config_mib * MIB), int(max_read_mib * MIB), timeout)


def scan(
    location: str | os.PathLike[str],
    *,
    max_config_mib: float = DEFAULT_MAX_CONFIG_BYTES / MIB,
    max_read_mib: float = DEFAULT_MAX_READ_BYTES / MIB,
    timeout: float = fleet.DEFAULT_TIMEOUT,
) -> FileReport:
    """Scan one model file: a local path or a URL (``s3://``, ``https://``...).

    A ``.keras`` file is read by its directory and ``config.json`` only;
    a remote legacy ``.h5`` up to ``max_read_mib``. ``timeout`` bounds each
    request to a remote store, in seconds.
    """
    limits = _limits(max_config_mib, max_read_mib, timeout)
    text = os.fspath(location)
    if remote.is_remote(text):
        return fleet.scan_remote(text, limits)
    return fleet.scan_local(remote.local_path(text), limits)


def scan_many(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    jobs: int | None = None,
    max_config_mib: float = DEFAULT_MAX_CONFIG_BYTES / MIB,
    max_read_mib: float = DEFAULT_MAX_READ_BYTES / MIB,
    timeout: float = fleet.DEFAULT_TIMEOUT,
    skip: Collection[str] = (),
    on_skip: Callable[[str], object] | None = None,
    ordered: bool = True,
) -> Iterator[FileReport]:
    """Scan files, folders, glob patterns and URL prefixes; yield each report.

    From a folder, prefix or pattern, only ``.keras``, ``.h5`` and
    ``.hdf5`` files are taken, narrowed by ``include`` and ``exclude``
    (``fnmatch`` patterns on the path below the folder, or the URL).
    ``jobs``: files scanned at once (default: 16 with a URL among the
    inputs, else 1). ``skip``: files not to scan (by the name a report
    would give them); ``on_skip`` is called with each one met.
    ``ordered=False`` yields each report as its scan ends, rather than in
    the order the files were found.
    """
    if isinstance(inputs, (str, bytes, os.PathLike)):
        raise ValueError(
            "inputs is a list of paths or URLs, not one: "
            "scan_many([path]), or scan(path)"
        )
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be 1 or more, not {jobs!r}")
    limits = _limits(max_config_mib, max_read_mib, timeout)
    selection = locations.Selection(tuple(include), tuple(exclude))
    names = [os.fspath(item) for item in inputs]
    return fleet.scan_many(
        names, selection, limits, jobs, skip=skip, on_skip=on_skip, ordered=ordered
    )


def repair(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    in_place: bool = False,
    backup: bool = True,
    force: bool = False,
    sync: bool = True,
    max_config_mib: float = DEFAULT_MAX_CONFIG_BYTES / MIB,
    max_array_elements: int = 1_000_000,
    timeout: float = fleet.DEFAULT_TIMEOUT,
    progress: Callable[[int], Any] | None = None,
) -> RepairReport:
    """Rewrite array-valued ``Rescaling`` arguments so stock Keras 3.0-3.4 loads.

    ``source`` and ``output`` may be local paths or URLs. The output
    appears only when complete, and an existing one is replaced only with
    ``force`` (on S3 by a conditional write, so a concurrent writer is never
    clobbered). ``in_place`` (local files only) keeps ``SOURCE.bak`` unless
    ``backup`` is false. ``progress`` is called with the bytes copied so far.
    """
    if in_place == (output is not None):
        raise ValueError("give either an output or in_place=True")
    if not max_array_elements > 0:
        raise ValueError(
            f"max_array_elements must be positive, not {max_array_elements!r}"
        )
    limits = _limits(max_config_mib, DEFAULT_MAX_READ_BYTES / MIB, timeout)
    return repair_any(
        os.fspath(source),
        None if output is None else os.fspath(output),
        in_place=in_place,
        backup=backup,
        force=force,
        sync=sync,
        max_config_bytes=limits.max_config_bytes,
        max_elements=max_array_elements,
        timeout=timeout,
        progress=progress or (lambda copied: None),
    )
