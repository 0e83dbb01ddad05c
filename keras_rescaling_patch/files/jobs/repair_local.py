"""``repair`` of a local file: loadable by the targeted stock releases, safely.

The result is built in a temporary file beside the destination and moved
into place in one step once it is complete and on disk, so a crash, a
kill or a full disk leaves either the old destination or the new one,
never a partial file. What it promises beyond that:

- the input is read through one descriptor opened at the start, so the
  bytes examined, copied and backed up are those of one file; if that
  file changes while it is read, or (in place) the path no longer
  names it when the result is ready, nothing is published;
- in place, it holds an exclusive advisory lock (``flock``) on the input
  for the whole run, so a second repair of the same file refuses at once;
  the result is swapped in atomically (``renameat2`` ``RENAME_EXCHANGE``)
  and what was swapped out is checked to be the very file that was read
  (else it is swapped back); ``IN.bak`` is that file (its original name
  links to it); owner, group and mode are kept, or the run refuses;
- to an output, it publishes without ``force`` only where nothing exists
  (an output created meanwhile is never overwritten), and never over
  anything but a regular file, ``force`` or not.

Refusals are :class:`RepairRefused`, whose message names the files by
their role (input, output, backup), so a caller that repairs a copy can
name the originals.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keras_rescaling_patch import _atomic
from keras_rescaling_patch.files.judgement.arithmetic import float32_variables
from keras_rescaling_patch.files.judgement.exactness import (
    NotExactlyRepairable,
    Repair,
    plan_repairs,
)
from keras_rescaling_patch.files.judgement.findings import Finding
from keras_rescaling_patch.files.judgement.porting import NotPortable, Port, port
from keras_rescaling_patch.files.judgement.rules import RESCALING
from keras_rescaling_patch.files.judgement.verdicts import Judged, judge
from keras_rescaling_patch.files.model import archive_rewrite, config_walk
from keras_rescaling_patch.files.model.archive import CONFIG_MEMBER
from keras_rescaling_patch.files.model.reader import ModelFile, read_model
from keras_rescaling_patch.files.options import (
    FORCE,
    IN_PLACE,
    NO_BACKUP,
    OUTPUT,
    RepairOptions,
)
from keras_rescaling_patch.files.problems import (
    BACKUP,
    INPUT,
    FileProblem,
    Message,
    Part,
    Role,
    message,
)
from keras_rescaling_patch.files.problems import (
    OUTPUT as OUTPUT_FILE,
)
from keras_rescaling_patch.files.stores.local import Identity, LocalFile, open_local

BACKUP_SUFFIX = ".bak"


class RepairRefused(FileProblem):
    """The request cannot be carried out as given; the message says why.

    ``about``: the file the message is about, when it names none itself.
    """

    def __init__(self, what: Message, about: Part | None = None) -> None:
        super().__init__(what)
        self.about = about


def _named(*parts: Part, **names: Path) -> Message:
    """A message whose roles are these files (``input=``, ``output=``...)."""
    roles = {"input": INPUT, "output": OUTPUT_FILE, "backup": BACKUP}
    return message(*parts, names={roles[k]: str(v) for k, v in names.items()})


@dataclass(frozen=True)
class RepairOutcome:
    """What ``repair`` did."""

    repairs: tuple[Repair, ...]
    other: tuple[Finding, ...]  # other array-valued config, untouched
    written: Path | None  # None: nothing needed writing
    backup: Path | None
    legacy_hdf5: bool = False  # a legacy .h5 file: not rewritten
    ports: tuple[Port, ...] = ()  # what was changed for the targeted releases
    targets: str = "3.x"  # the releases judged against, for people


def _suspect_refusal(finding: Finding) -> str:
    return (
        f"{finding.path} {finding.place}: {finding.layer_class}, a class this "
        "package does not know, holds a serialized array; stock Keras hands it "
        "the marker unrestored too, and repair cannot vouch for what that "
        "class's own code does with a plain value"
    )


def _hdf5_refusal(unrestored: tuple[Judged, ...]) -> str:
    rescaling_only = all(j.finding.rule == RESCALING.code for j in unrestored)
    instead = (
        "load it with the shim, or save it again as .keras"
        if rescaling_only
        else "save it again as .keras with a Keras that loads it"
    )
    return (
        "a legacy HDF5 (.h5) model holding serialized arrays that Keras does not "
        f"restore; repair rewrites .keras and model .json files only: {instead}"
    )


# What each format's file is named: a result is never named as another's.
SUFFIXES = {"keras": (".keras",), "json": (".json",), "hdf5": (".h5", ".hdf5")}
FORMAT_WORDS = {"keras": "a .keras archive", "json": "a model .json", "hdf5": "an .h5"}


def _check_output_name(destination: Path, model_format: str) -> None:
    """Refuse an output named for another format than the result's (a model
    .json written as ``out.keras`` is no archive a loader can open)."""
    suffix = destination.suffix.lower()
    expected = SUFFIXES[model_format]
    if any(suffix in known for known in SUFFIXES.values()) and suffix not in expected:
        raise RepairRefused(
            message(
                OUTPUT_FILE,
                f" is named {suffix}, but the result is "
                f"{FORMAT_WORDS[model_format]}; name it {expected[0]}",
                names={OUTPUT_FILE: str(destination)},
            )
        )


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def _refuse_unless_regular(path: Path, role: Role) -> None:
    """Only a regular file (or a link) may be replaced; never a device or FIFO."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    names = {role: str(path)}
    if stat.S_ISDIR(mode):
        raise RepairRefused(message(role, " is a folder", names=names))
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise RepairRefused(message(role, " is not a regular file", names=names))


def _exists(role: Role, path: Path) -> RepairRefused:
    return RepairRefused(
        message(
            role, " exists; pass ", FORCE, " to overwrite it", names={role: str(path)}
        )
    )


@dataclass(frozen=True)
class Output:
    """An output path :func:`check_destination` took: checked once, before
    any work (the publishing step checks again, atomically)."""

    path: Path


def check_destination(source: Path | None, destination: Path, force: bool) -> Output:
    """Refuse an output that must not or cannot be written, before any work
    (``source`` is ``None`` while the input is still to be downloaded). The
    publishing step checks again: this only spares a wasted read."""
    if not destination.parent.is_dir():
        raise RepairRefused(message(f"{destination.parent} is not an existing folder"))
    if not os.path.lexists(destination):
        return Output(destination)
    _refuse_unless_regular(destination, OUTPUT_FILE)
    if (
        source is not None
        and destination.exists()
        and os.path.samefile(source, destination)
    ):
        raise RepairRefused(message("the output is the input; use ", IN_PLACE))
    if not force:
        raise _exists(OUTPUT_FILE, destination)
    return Output(destination)


def _check_backup(keep: Path, force: bool) -> None:
    _refuse_unless_regular(keep, BACKUP)
    if os.path.lexists(keep) and not force:
        raise _exists(BACKUP, keep)


def _lock(source: LocalFile, path: Path) -> None:
    """Hold an exclusive advisory lock on the input until it is closed."""
    try:
        import fcntl
    except ImportError:  # no flock here (Windows): no second line of defence
        return
    try:
        fcntl.flock(source.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RepairRefused(
            message("another repair of this file is running"), INPUT
        ) from None


def _write_result(
    target: int,
    source: LocalFile,
    model: ModelFile,
    new_config: str | None,
    progress: archive_rewrite.Progress,
    sync: bool,
) -> None:
    """Write the repaired model to ``target``; ``new_config`` None: a plain copy."""
    writer = archive_rewrite.Writer(
        source.descriptor, target, progress, early_writeback=sync
    )
    if new_config is None:
        writer.copy(0, source.status.st_size)
    elif model.archive is None:
        writer.write(new_config.encode())
    else:
        replacement = {CONFIG_MEMBER: new_config.encode()}
        archive_rewrite.rewrite_archive(writer, model.archive, replacement)


def _keep_owner(new: _atomic.StagedFile, original: os.stat_result) -> None:
    """Give the new file the original's owner and group, or refuse."""
    mine = os.fstat(new.descriptor)
    if (mine.st_uid, mine.st_gid) == (original.st_uid, original.st_gid):
        return
    try:
        os.fchown(new.descriptor, original.st_uid, original.st_gid)
    except OSError as error:
        raise RepairRefused(
            _named(
                "cannot keep the owner of ",
                INPUT,
                f" (uid {original.st_uid}, gid {original.st_gid}): "
                f"{error.strerror}; run as that user, or write a copy with ",
                OUTPUT,
                input=new.destination,
            )
        ) from None


def _appeared(role: Role, path: Path) -> RepairRefused:
    return RepairRefused(
        message(
            role,
            " appeared while repairing; pass ",
            FORCE,
            " to overwrite it",
            names={role: str(path)},
        )
    )


def _changed(path: Path) -> RepairRefused:
    return RepairRefused(
        _named(INPUT, " changed while it was being repaired", input=path)
    )


def _publish_in_place(
    new: _atomic.StagedFile,
    source: LocalFile,
    keep: Path | None,
    force: bool,
) -> None:
    """Swap the new file in, keep the very file that was read as ``keep``."""
    path = new.destination
    if new.exchange():
        # `new.path` now names what was at `path`: it must be what was read.
        try:
            swapped_out = Identity.of(os.stat(new.path))
        except OSError:
            swapped_out = None
        if swapped_out != source.identity:
            new.exchange()  # put it back
            raise _changed(path)
        try:
            if keep is None:
                os.unlink(new.path)
            elif force:
                os.replace(new.path, keep)
            else:
                os.link(new.path, keep)
                os.unlink(new.path)
        except OSError as error:
            new.exchange()  # the original goes back to its name
            if isinstance(error, FileExistsError) and keep is not None:
                raise _appeared(BACKUP, keep) from None
            raise
        return
    # No atomic swap here: back up by a link, check, then rename over.
    if keep is not None:
        _link_backup(source, keep, force)
    if not source.still_at_path():
        if keep is not None:
            keep.unlink(missing_ok=True)
        raise _changed(path)
    new.replace()


def _link_backup(source: LocalFile, keep: Path, force: bool) -> None:
    """``keep`` becomes another name of the file that was read (or a copy)."""
    temporary = _atomic.sibling(keep, str(os.getpid()))
    try:
        os.link(source.path, temporary)
    except OSError:
        raise RepairRefused(
            message(
                "this file system has neither atomic swaps nor hard links; use ",
                NO_BACKUP,
                " or ",
                OUTPUT,
            )
        ) from None
    try:
        if Identity.of(os.stat(temporary)) != source.identity:
            raise _changed(Path(source.path))
        if force:
            os.replace(temporary, keep)
        else:
            try:
                os.link(temporary, keep)
            except FileExistsError:
                raise _appeared(BACKUP, keep) from None
    finally:
        temporary.unlink(missing_ok=True)


def repair(
    source_path: Path,
    destination: Path | Output | None = None,
    options: RepairOptions | None = None,
) -> RepairOutcome:
    """Repair ``source_path`` into ``destination`` (checked here unless it
    is an :class:`Output` already), or into itself (``options.in_place``).

    Raises ``FileProblem`` for what cannot be done: ``UnreadableModel`` (or
    ``CannotOpen``) for input that is not a readable model,
    ``NotExactlyRepairable`` when a value cannot be written exactly,
    ``TooLarge`` past the array limit, ``RepairRefused`` for a destination
    it must not touch or a file that changed meanwhile; and ``OSError``
    when writing fails; in every case everything is left as it was.
    ``options.sync=False`` skips the fsyncs: still atomic for a killed
    process or a full disk, but a power cut soon after may lose the new
    file's data.
    """
    options = options or RepairOptions()
    in_place, force, sync = options.in_place, options.force, options.sync
    if in_place:
        destination = source_path
    else:
        assert destination is not None, "the options say: an output, or in place"
        if isinstance(destination, Path):
            destination = check_destination(source_path, destination, force)
        destination = destination.path
    keep = backup_path(source_path) if in_place and options.backup else None
    with open_local(str(source_path), follow_symlinks=not in_place) as source:
        if in_place:
            _lock(source, source_path)
        model = read_model(source, options.limits)
        if not in_place:
            _check_output_name(destination, model.format)
        walked = config_walk.walk(model.config)
        judgement = judge(walked, options.judging, model.saved_by)
        other = tuple(judged.finding for judged in judgement.information)
        if model.legacy_hdf5 and (judgement.affected or judgement.unreadable):
            raise RepairRefused(message(_hdf5_refusal(judgement.affected)), INPUT)
        if judgement.suspect:
            raise NotExactlyRepairable(
                _suspect_refusal(judgement.suspect[0].finding),
                "make that class take a list or a number there (or restore "
                "its own arrays), and save the model again",
            )
        planned = plan_repairs(
            judgement.affected,
            options.limits.max_array_elements,
            options.allow_rounding,
            float32_variables(site[4] for site in walked.objects),
        )
        ports = port(judgement.unreadable, judgement.loads_from)
        for judged, plain, _ in planned:
            config_walk.replace(judged.placement, plain)
        repairs = tuple(repair for _, _, repair in planned)
        if ports:
            _check_ported(model.config, options, model.saved_by)
        targets = judgement.targets.text
        if not repairs and not ports and in_place:
            return RepairOutcome(
                repairs, other, None, None, model.legacy_hdf5, targets=targets
            )
        if keep is not None:
            _check_backup(keep, force)
        new_config = json.dumps(model.config) if repairs or ports else None
        with _atomic.staged(destination) as new:
            _write_result(
                new.descriptor, source, model, new_config, options.progress, sync
            )
            if not source.unchanged():
                raise _changed(source_path)
            if in_place:
                _keep_owner(new, source.status)
            new.finish(mode=stat.S_IMODE(source.status.st_mode), sync=sync)
            if in_place:
                _publish_in_place(new, source, keep, force)
            elif force:
                _refuse_unless_regular(destination, OUTPUT_FILE)
                new.replace()
            else:
                try:
                    new.link_no_clobber()
                except FileExistsError:
                    raise _appeared(OUTPUT_FILE, destination) from None
    if sync:
        _atomic.fsync_folder(destination.parent)
    return RepairOutcome(
        repairs, other, destination, keep, model.legacy_hdf5, ports, targets
    )


def _check_ported(
    config: dict[str, Any], options: RepairOptions, saved_by: str | None
) -> None:
    """Judge the ported config again: every targeted release must read it
    (a port that left something unread is a refusal, never a file)."""
    again = judge(config_walk.walk(config), options.judging, saved_by)
    if again.unreadable:
        left = again.unreadable[0].finding
        raise NotPortable(
            f"{left.path} {left.place or left.owner}: {left.owner} is still not "
            "read by the targeted releases once ported"
        )
