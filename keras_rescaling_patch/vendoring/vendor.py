"""``keras-rescaling-patch vendor``: apply the shipped diff to a vendored Keras.

For people who keep a copy of the ``keras/`` package (from a wheel or an
sdist) in their own tree and cannot add a runtime import. The vendored
release is read from ``keras/src/version.py`` (never imported), the diff
for its byte layout is picked, and the file is rewritten atomically: the
tree is either fully patched, untouched, or (``--reverse``) pristine again.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from keras_rescaling_patch._atomic import write_text_atomically
from keras_rescaling_patch._keras_releases import (
    FIRST_FIXED,
    InvalidVersion,
    Version,
    release,
)
from keras_rescaling_patch.vendoring import unified_diff

TARGET = "keras/src/layers/preprocessing/rescaling.py"
VERSION_FILES = ("keras/src/version.py", "keras/version.py", "keras/__init__.py")
VERSION_LINE = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)
PRISTINE_DIGEST = re.compile(r"^Pristine-SHA256: ([0-9a-f]{64})$", re.MULTILINE)

# Which diff fits which releases' pristine file. The file is byte-identical
# across 3.0.0-3.2.1 and across 3.3.0-3.4.1, and the two layouts differ (the
# first ends with an extra blank line), so one diff per layout.
PATCH_FOR_RANGE = (
    (release(3, 0, 0), release(3, 3, 0), "keras+3.0.0-3.2.1.patch"),
    (release(3, 3, 0), FIRST_FIXED, "keras+3.3.0-3.4.1.patch"),
)


class Outcome(enum.Enum):
    """What ``vendor`` did; the exit code follows from it."""

    CHANGED = "changed"
    NOTHING_TO_DO = "nothing to do"
    REFUSED = "refused"
    BAD_INPUT = "bad input"


EXIT_CODES = {
    Outcome.CHANGED: 0,
    Outcome.NOTHING_TO_DO: 0,
    Outcome.REFUSED: 1,
    Outcome.BAD_INPUT: 2,
}


@dataclass(frozen=True)
class Report:
    """The outcome and the one line the command prints."""

    outcome: Outcome
    message: str

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


class BadInput(Exception):
    """DIR is not a vendored Keras this command can read."""


def patch_directory() -> Path:
    """The shipped diffs: inside the wheel, or ``patches/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent  # keras_rescaling_patch/
    for candidate in (package / "patches", package.parent / "patches"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the patches/ folder is missing from this installation")


def find_root(folder: Path) -> Path:
    """The folder that contains ``keras/``, given it or ``keras/`` itself."""
    if not folder.is_dir():
        raise BadInput(f"{folder} is not a directory")
    if (folder / "keras").is_dir():
        return folder
    if folder.name == "keras":
        return folder.parent
    raise BadInput(f"{folder} contains no keras/ package")


def read_text(path: Path) -> str:
    """A source file's text, or ``BadInput`` saying why it cannot be had."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text") from None
    except OSError as error:
        raise BadInput(f"cannot read {path} ({error.strerror or error})") from None


def read_version(root: Path) -> str:
    for name in VERSION_FILES:
        path = root / name
        if path.is_file():
            match = VERSION_LINE.search(read_text(path))
            if match:
                return match[1]
    raise BadInput(f"cannot find Keras's __version__ under {root / 'keras'}")


def _check_target(target: Path) -> None:
    """Only a regular file is rewritten: a link would become a copy."""
    if target.is_symlink():
        raise BadInput(
            f"{target} is a symbolic link; vendor rewrites regular files only "
            f"(it points to {target.resolve()}: patch that tree instead)"
        )
    if not target.is_file():
        raise BadInput(
            f"{target} is missing; vendor expects the wheel/sdist layout (for a "
            "git checkout of v3.0-v3.2 use patches/keras-source+v3.0.0-v3.2.1.patch)"
        )


def _writable(target: Path) -> bool:
    return os.access(target.parent, os.W_OK) and os.access(target, os.W_OK)


def patch_for(version: Version) -> str | None:
    for low, high, name in PATCH_FOR_RANGE:
        if low <= version < high:
            return name
    return None


def vendor(folder: Path, *, dry_run: bool = False, reverse: bool = False) -> Report:
    """Patch (or un-patch) the vendored Keras under ``folder``."""
    try:
        root = find_root(folder)
        raw_version = read_version(root)
    except BadInput as error:
        return Report(Outcome.BAD_INPUT, str(error))
    try:
        version = Version.parse(raw_version)
    except InvalidVersion:
        return Report(
            Outcome.BAD_INPUT, f"Keras version {raw_version!r} cannot be parsed"
        )
    name = patch_for(version)
    if name is None:
        why = (
            "already contains the fix"
            if version >= FIRST_FIXED
            else "never had the bug"
        )
        return Report(
            Outcome.NOTHING_TO_DO,
            f"Keras {raw_version} is not an affected release ({why}); nothing changed.",
        )
    target = root / TARGET
    try:
        _check_target(target)
        current = read_text(target)
    except BadInput as error:
        return Report(Outcome.BAD_INPUT, str(error))
    patch_path = patch_directory() / name
    patch_text = patch_path.read_text(encoding="utf-8")
    file_patch = unified_diff.parse(patch_text)[0]
    pristine_digest = PRISTINE_DIGEST.search(patch_text)
    if pristine_digest is None:
        raise ValueError(f"{patch_path} has no Pristine-SHA256 header")
    state = _state_of(current, file_patch, pristine_digest[1])
    if state is _State.MODIFIED:
        return _refusal(current, file_patch, reverse, raw_version, root, patch_path)
    if state is (_State.PATCHED if reverse else _State.PRISTINE):
        updated = unified_diff.apply(current, file_patch, reverse=reverse)
        action = f"undoing {name} on" if reverse else f"applying {name} to"
        if not _writable(target):
            return Report(
                Outcome.BAD_INPUT,
                f"Keras {raw_version}: cannot write {target}; nothing changed",
            )
        if dry_run:
            return Report(
                Outcome.NOTHING_TO_DO,
                f"Keras {raw_version}: {action} {target} would succeed "
                "(dry run; nothing changed).",
            )
        try:
            write_text_atomically(target, updated, mode=target.stat().st_mode)
        except OSError as error:
            return Report(
                Outcome.BAD_INPUT,
                f"Keras {raw_version}: cannot write {target}: "
                f"{error.strerror or error}; nothing changed",
            )
        done = f"undid {name} on" if reverse else f"applied {name} to"
        return Report(Outcome.CHANGED, f"Keras {raw_version}: {done} {target}.")
    wording = "already patched" if state is _State.PATCHED else "not patched"
    return Report(
        Outcome.NOTHING_TO_DO,
        f"Keras {raw_version}: {target} is {wording}; nothing changed.",
    )


class _State(enum.Enum):
    PRISTINE = "pristine"
    PATCHED = "patched"
    MODIFIED = "modified"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _state_of(text: str, file_patch: unified_diff.FilePatch, pristine: str) -> _State:
    """Pristine or patched byte for byte, or anything else (modified)."""
    if _digest(text) == pristine:
        return _State.PRISTINE
    try:
        undone = unified_diff.apply(text, file_patch, reverse=True)
    except unified_diff.PatchError:
        return _State.MODIFIED
    return _State.PATCHED if _digest(undone) == pristine else _State.MODIFIED


def _refusal(
    text: str,
    file_patch: unified_diff.FilePatch,
    reverse: bool,
    version: str,
    root: Path,
    patch_path: Path,
) -> Report:
    """Say which hunk fails, or that the file differs outside the hunks."""
    try:
        unified_diff.apply(text, file_patch, reverse=reverse)
    except unified_diff.PatchError as error:
        where = str(error)
    else:
        where = f"{TARGET}: the hunks fit, but lines outside them differ"
    flag = " -R" if reverse else ""
    return Report(
        Outcome.REFUSED,
        f"Keras {version}: {TARGET} is neither the pristine nor the patched "
        f"release file, so it was left alone ({where}). Inspect with: "
        f"cd {root} && patch -p1{flag} --dry-run --verbose < {patch_path}",
    )
