"""Any model file, read as a :class:`ModelFile`: its config, and its archive.

Three formats hold a model config: a ``.keras`` archive (``config.json``),
a bare ``model.to_json()`` file, and a legacy HDF5 ``.h5`` model. The end
is looked at first: for a remote archive, that one read brings the end
record and the directory in one request (the weights come first in a file,
the directory last).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keras_rescaling_patch.files.model import hdf5
from keras_rescaling_patch.files.model.archive import (
    ZIP_MEMBER_SIGNATURE,
    ModelArchive,
    ends_like_a_zip,
    read_archive,
)
from keras_rescaling_patch.files.model.json_config import parse_config, too_big
from keras_rescaling_patch.files.model.source import Readable, UnreadableModel
from keras_rescaling_patch.files.options import Limits
from keras_rescaling_patch.files.problems import FileProblem, reason


@dataclass(frozen=True)
class ModelFile:
    """A model file: a ``.keras`` archive, a bare ``to_json()`` config, or a
    legacy HDF5 model (its config found in the file, read only)."""

    config: dict[str, Any]
    archive: ModelArchive | None  # None for a JSON or HDF5 file
    legacy_hdf5: bool = False
    mapped_bytes: int = 0  # of a local HDF5 file, searched through a memory map

    @property
    def saved_by(self) -> str | None:
        """The Keras release that saved it, as its metadata says (archives)."""
        return None if self.archive is None else self.archive.saved_by

    @property
    def format(self) -> str:
        """``keras`` (an archive), ``json`` (a bare config) or ``hdf5``."""
        if self.legacy_hdf5:
            return "hdf5"
        return "keras" if self.archive is not None else "json"


def read_model(source: Readable, limits: Limits) -> ModelFile:
    """A ``.keras`` archive, a ``to_json()`` file or a legacy ``.h5`` model.

    ``limits.max_read_bytes`` bounds how much of a remote legacy ``.h5`` is
    read; ``limits.max_config_bytes`` the config.
    """
    stream = source.stream
    max_config = limits.max_config_bytes
    try:
        if ends_like_a_zip(source):
            stream.seek(0)
            archive = read_archive(source, max_config)
            return ModelFile(archive.config, archive)
        stream.seek(0)
        head = stream.read(len(hdf5.SIGNATURE))
        stream.seek(0)
        if head == hdf5.SIGNATURE:
            config, mapped = hdf5.read_hdf5_config(
                source, max_config, limits.max_read_bytes
            )
            return ModelFile(config, None, legacy_hdf5=True, mapped_bytes=mapped)
        _refuse_what_is_no_json(head, whole=False)  # before reading to the limit
        text = stream.read(max_config + 1)
    except FileProblem:
        raise
    except FileNotFoundError:  # a remote object deleted while it was read
        raise UnreadableModel("no longer exists (deleted while it was read)") from None
    except OSError as error:
        raise UnreadableModel(f"cannot read it ({reason(error)})") from None
    if len(text) > max_config:
        raise too_big("the file", source.size, max_config)
    _refuse_what_is_no_json(text, whole=True)
    return ModelFile(parse_config(text, "the file", max_config), None)


def _refuse_what_is_no_json(start: bytes, *, whole: bool) -> None:
    """Refuse a file whose first bytes (or ``whole`` text) show it is neither
    an archive (the end was looked at already) nor a model JSON file; a
    truncated archive is named as such, whatever its size."""
    if start.startswith(ZIP_MEMBER_SIGNATURE):
        raise UnreadableModel(
            "a damaged or truncated zip archive (its end-of-archive record is missing)"
        )
    if start.lstrip()[:1] not in ((b"{",) if whole else (b"", b"{")):
        raise UnreadableModel("not a Keras archive (no zip) nor a model JSON file")
