"""Broken and hostile input: `scan` and `repair` refuse it with one line.

Each entry of the table makes the file at ``path`` (from a real affected
``source`` archive where it needs one) and names words the error line must
contain. Both commands must exit 2, print nothing on stdout, write no file
and leave the input as it was.
"""

from __future__ import annotations

import os
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_rescaling_patch import _keras_file
from keras_rescaling_patch.cli import main


def _zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def _truncated(path: Path, source: Path) -> Path:
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return path


def _symlink(path: Path, source: Path) -> Path:
    path.symlink_to(source)
    return path


HOSTILE: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "missing": (lambda p, s: p, "no such file"),
    "directory": (lambda p, s: (p.mkdir(), p)[1], "not a regular file"),
    "empty": (lambda p, s: (p.write_bytes(b""), p)[1], "nor a model JSON file"),
    "not a zip": (
        lambda p, s: (p.write_bytes(os.urandom(512)), p)[1],
        "nor a model JSON",
    ),
    "truncated zip": (lambda p, s: _truncated(p, s), "not a Keras archive"),
    "no config.json": (
        lambda p, s: _zip(p, [("metadata.json", b"{}")]),
        "no config.json",
    ),
    "invalid JSON": (
        lambda p, s: _zip(p, [("config.json", b"{nope")]),
        "not valid JSON",
    ),
    "JSON not an object": (
        lambda p, s: _zip(p, [("config.json", b"[1]")]),
        "JSON object",
    ),
    "zip bomb": (
        lambda p, s: _zip(
            p, [("config.json", b" " * (_keras_file.MAX_CONFIG_BYTES + 1))]
        ),
        "limit",
    ),
    "duplicate names": (
        lambda p, s: _zip(p, [("config.json", b"{}"), ("config.json", b"{}")]),
        "twice",
    ),
    "absolute name": (
        lambda p, s: _zip(p, [("config.json", b"{}"), ("/etc/evil", b"")]),
        "unsafe member name",
    ),
    "parent name": (
        lambda p, s: _zip(p, [("config.json", b"{}"), ("../evil", b"")]),
        "unsafe member name",
    ),
    "symlink": (lambda p, s: _symlink(p, s), "symbolic link"),
}


@pytest.fixture(scope="module")
def affected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "affected.keras"
    inputs = keras.Input(shape=(3,))
    rescaling = keras.layers.Rescaling(np.array([1.0, 2.0, 3.0]))
    keras.Model(inputs, rescaling(inputs)).save(path)
    return path


@pytest.mark.parametrize("command", ["scan", "repair"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_gets_one_line_exit_2_and_changes_nothing(
    case: str,
    command: str,
    affected: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make, words = HOSTILE[case]
    source = make(tmp_path / "input.keras", affected)
    before = sorted(path.name for path in tmp_path.iterdir())
    content = source.read_bytes() if source.is_file() else None
    output = ["-o", str(tmp_path / "out.keras")] if command == "repair" else []

    code = main([command, str(source), *output])

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert "Traceback" not in err
    assert sorted(path.name for path in tmp_path.iterdir()) == before
    if content is not None:
        assert source.read_bytes() == content
