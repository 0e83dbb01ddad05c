"""``repair``: make a model file loadable by stock Keras 3.0-3.4, atomically.

The result is built in a temporary file beside the destination and moved
into place with one ``os.replace`` once it is complete and on disk
(``_atomic.replacing``), so a
crash, a kill or a full disk leaves either the old destination or the new
one, never a partial file, and the input is only ever opened for reading.
``--in-place`` keeps the original as ``IN.bak`` (a hard link where the
file system allows, so even a huge model is backed up instantly).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from keras_rescaling_patch import _archive_rewrite, _atomic, _config_scan, _keras_file
from keras_rescaling_patch._config_repair import Repair, repair_config

BACKUP_SUFFIX = ".bak"


class RepairRefused(Exception):
    """The request cannot be carried out as given; the message says why."""


@dataclass(frozen=True)
class RepairOutcome:
    """What ``repair`` did."""

    repairs: tuple[Repair, ...]
    other: tuple[_config_scan.Finding, ...]  # other array-valued config, untouched
    written: Path | None  # None: nothing needed writing
    backup: Path | None


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def _check_destination(source: Path, destination: Path, force: bool) -> None:
    if not destination.parent.is_dir():
        raise RepairRefused(f"{destination.parent} is not an existing folder")
    if not os.path.lexists(destination):
        return
    if destination.is_dir() and not destination.is_symlink():
        raise RepairRefused(f"{destination} is a folder")
    if destination.exists() and os.path.samefile(source, destination):
        raise RepairRefused("the output is the input; use --in-place")
    if not force:
        raise RepairRefused(f"{destination} exists; pass --force to overwrite it")


def _make_backup(source: Path, backup: Path) -> None:
    """Keep ``source`` as ``backup``: a hard link, or a copy, made atomically."""
    folder = Path(tempfile.mkdtemp(dir=backup.parent, prefix=f".{backup.name}."))
    try:
        temporary = folder / backup.name
        try:
            os.link(source, temporary)
        except OSError:  # no hard links here: copy, keeping the timestamps
            shutil.copy2(source, temporary)
        os.replace(temporary, backup)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_result(
    target: int,
    source: Path,
    model: _keras_file.ModelFile,
    new_config: str | None,
    progress: _archive_rewrite.Progress,
    sync: bool,
) -> None:
    """Write the repaired model to ``target``; ``new_config`` None: a plain copy."""
    with open(source, "rb") as stream:
        writer = _archive_rewrite.Writer(
            stream.fileno(), target, progress, early_writeback=sync
        )
        if new_config is None:
            writer.copy(0, os.fstat(stream.fileno()).st_size)
        elif model.archive is None:
            writer.write(new_config.encode())
        else:
            replacement = {_keras_file.CONFIG_MEMBER: new_config.encode()}
            _archive_rewrite.rewrite_archive(writer, model.archive, replacement)


def repair(
    source: Path,
    destination: Path | None = None,
    *,
    in_place: bool = False,
    backup: bool = True,
    force: bool = False,
    sync: bool = True,
    progress: _archive_rewrite.Progress = lambda copied: None,
) -> RepairOutcome:
    """Repair ``source`` into ``destination``, or into itself with ``in_place``.

    Raises ``UnreadableModel`` for input that is not a readable model,
    ``NotExactlyRepairable`` when a value cannot be written exactly,
    ``RepairRefused`` for a destination it must not touch, and ``OSError``
    when writing fails; in every case the destination is left as it was.
    ``sync=False`` skips the fsyncs: still atomic for a killed process or a
    full disk, but a power cut soon after may lose the new file's data.
    """
    _keras_file.check_regular_file(source)
    if in_place:
        destination = source
    elif destination is None:
        raise RepairRefused("give an output file (-o OUT) or --in-place")
    else:
        _check_destination(source, destination, force)
    model = _keras_file.read_model(source)
    repaired, repairs = repair_config(model.config)
    other = _config_scan.scan_config(model.config).other
    if not repairs and in_place:
        return RepairOutcome(repairs, other, None, None)
    keep = backup_path(source) if in_place and backup else None
    if keep is not None and os.path.lexists(keep) and not force:
        raise RepairRefused(f"{keep} exists; pass --force to overwrite it")
    new_config = json.dumps(repaired) if repairs else None

    def keep_original() -> None:  # once the new file is complete, not before
        if keep is not None:
            _make_backup(source, keep)

    with _atomic.replacing(
        destination,
        mode=stat.S_IMODE(source.stat().st_mode),
        sync=sync,
        before_replace=keep_original,
    ) as target:
        _write_result(target, source, model, new_config, progress, sync)
    return RepairOutcome(repairs, other, destination, keep)
