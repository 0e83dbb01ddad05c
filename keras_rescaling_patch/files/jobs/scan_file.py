"""Scan one file, local or remote, by the same code.

A local file is read through its descriptor (``stores/local.py``); a remote
one through ranged reads (``stores/remote.py``), so its weights are never
fetched: the end of the archive and ``config.json``, in at most three
requests (the size, the end, the member). Both then go through the same
``read_model`` and the same walk of the config, within the same limits.
"""

from __future__ import annotations

from typing import Any

from keras_rescaling_patch.files.judgement.verdicts import judge
from keras_rescaling_patch.files.model.config_walk import walk
from keras_rescaling_patch.files.model.reader import ModelFile, read_model
from keras_rescaling_patch.files.options import DEFAULT_JUDGING, Judging, Limits
from keras_rescaling_patch.files.problems import FileProblem, message, one_line
from keras_rescaling_patch.files.reports.scan_report import FileReport
from keras_rescaling_patch.files.stores import ranged
from keras_rescaling_patch.files.stores.local import LocalFile, open_local
from keras_rescaling_patch.files.stores.location import LocalPath, Location, Url
from keras_rescaling_patch.files.stores.remote import ObjectReader, RemoteFile
from keras_rescaling_patch.files.stores.schemes import store_for


def budget(limits: Limits) -> int:
    """Bytes a remote file may cost in all: the end of the archive, one more
    read, a config (compressed as badly as deflate can) and an ``.h5`` head."""
    config = limits.max_config_bytes + limits.max_config_bytes // 100 + 4096
    return ranged.TAIL_BYTES + ranged.MIN_FETCH_BYTES + limits.max_read_bytes + config


def deadline(limits: Limits) -> float:
    """Seconds one remote file may take in all (a few requests)."""
    return 4 * limits.timeout


def _report(name: str, model: ModelFile, judging: Judging, **counts: Any) -> FileReport:
    judgement = judge(walk(model.config), judging, model.saved_by)
    return FileReport.judged(name, model.format, judgement, **counts)


def scan_local(
    location: LocalPath, limits: Limits, judging: Judging = DEFAULT_JUDGING
) -> FileReport:
    """Scan a local file (never raises for a problem with the file)."""
    source: LocalFile | None = None
    try:
        with open_local(location.path) as opened:
            source = opened
            model = read_model(source, limits)
        read = source.bytes_read(model.mapped_bytes)
        return _report(
            location.text, model, judging, bytes_read=read,
            size=source.size,
        )  # fmt: skip
    except FileProblem as problem:
        return FileReport(
            location.text,
            problem=problem.message,
            bytes_read=source.bytes_read() if source else 0,
        )


def scan_remote(
    url: Url,
    limits: Limits,
    size: int | None = None,
    judging: Judging = DEFAULT_JUDGING,
) -> FileReport:
    """Scan a remote file by ranged reads (never raises for a problem with
    it); ``size``: where a listing said it."""
    reader: ObjectReader | None = None
    remote: RemoteFile | None = None
    try:
        reader = store_for(url, limits.timeout).reader(url)
        total = size if size is not None else reader.size()
        remote = RemoteFile(reader, total, budget(limits))
        model = read_model(remote, limits)
        return _report(
            url.text, model, judging, bytes_read=remote.bytes_read,
            requests=reader.requests, remote=True, size=total,
        )  # fmt: skip
    except FileProblem as problem:
        why = problem.message
    except FileNotFoundError:
        why = message("no such file")
    except PermissionError:
        why = message("cannot read it (access denied)")
    except OSError as error:
        why = message(f"cannot read it ({one_line(error)})")
    except Exception as error:  # noqa: BLE001 - any store's error is one line
        why = message(one_line(error))
    return FileReport(
        url.text,
        problem=why,
        bytes_read=remote.bytes_read if remote is not None else 0,
        requests=reader.requests if reader is not None else 0,
        remote=True,
    )


def scan_location(
    location: Location,
    limits: Limits,
    size: int | None = None,
    judging: Judging = DEFAULT_JUDGING,
) -> FileReport:
    """Scan the file at ``location``, wherever it is."""
    if isinstance(location, Url):
        return scan_remote(location, limits, size, judging)
    return scan_local(location, limits, judging)
