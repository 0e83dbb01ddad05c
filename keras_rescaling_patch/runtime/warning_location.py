"""Attribute this package's warnings to the user's own line.

The shim's warnings are raised inside imports: the user's ``import
keras_rescaling_patch``, or Keras's own import, which may itself be deep
inside another library's (``import tensorflow`` imports Keras from
``tensorflow/__init__.py``). Python's default would name a line of
importlib, of this package, or of TensorFlow. The line that means
something to the user is the one in their code that started it, so the
walk up the stack skips this package, the import machinery, the standard
library, installed packages (anything under a ``site-packages`` or
``dist-packages`` folder), and the bodies of modules still being imported.
Where no such line exists (everything ran from installed code), the
warning names no line (``keras_rescaling_patch:0``) and its text, which
starts with the package's name, stands alone.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import warnings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType

PACKAGE_FOLDER = __file__.rsplit("runtime", 1)[0]
INSTALLED = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


def _library_folders() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    folders = {PACKAGE_FOLDER}
    for key in ("stdlib", "platstdlib"):
        if paths.get(key):
            folders.add(os.path.join(paths[key], ""))
    return tuple(sorted(folders))


def _is_the_users(frame: FrameType, libraries: tuple[str, ...]) -> bool:
    filename = frame.f_code.co_filename
    if filename.startswith(("<frozen ", *libraries)):
        return False
    if any(folder in filename for folder in INSTALLED):
        return False
    if frame.f_code.co_name == "<module>":
        spec = frame.f_globals.get("__spec__")
        if getattr(spec, "_initializing", False):
            return False  # a module body still being imported: its importer
    return True


def users_frame() -> FrameType | None:
    """The innermost frame of the user's code that led here, if any."""
    libraries = _library_folders()
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and not _is_the_users(frame, libraries):
        frame = frame.f_back
    return frame


def warn_at_the_user(message: str, category: type[Warning]) -> None:
    """Warn, attributed to the user's line (shown once per line by default)."""
    frame = users_frame()
    if frame is None:
        warnings.warn_explicit(message, category, "keras_rescaling_patch", 0)
        return
    warnings.warn_explicit(
        message,
        category,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=frame.f_globals.get("__name__", "<unknown>"),
        registry=frame.f_globals.setdefault("__warningregistry__", {}),
    )
