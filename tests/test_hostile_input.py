"""Broken and hostile input: `scan` and `repair` refuse it with one line.

Each entry of the table makes the file at ``path`` (from a real affected
``source`` archive where it needs one) and names words the error line must
contain. Both commands must exit 2, print nothing on stdout, write no file
and leave the input as it was, quickly: every refusal here is bounded.
"""

from __future__ import annotations

import os
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files.options import DEFAULT_MAX_CONFIG_MIB, MIB
from support.synthetic import synthetic_archive
from tests.conftest import AffectedModel


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


def _big_truncated(path: Path) -> Path:
    """An archive cut short at more than the config limit: the size is
    not what is wrong with it."""
    whole = synthetic_archive(path.with_name("whole.keras"), 20 << 20)
    with whole.open("rb") as stream:
        path.write_bytes(stream.read(DEFAULT_MAX_CONFIG_MIB * MIB + 4096))
    whole.unlink()
    return path


def _big_noise(path: Path) -> Path:
    """17 MiB of random bytes that do not begin like JSON (one time in about
    200 they used to begin with ``{``, which is a model JSON file too big)."""
    with path.open("wb") as stream:
        stream.write(b"\x00")
        for _ in range(17):
            stream.write(os.urandom(1 << 20))
    return path


def _nested(path: Path, levels: int) -> Path:
    """A model config.json whose config nests objects ``levels`` deep."""
    deep = b'{"a":' * levels + b"1" + b"}" * levels
    return _zip(
        path, [("config.json", b'{"class_name":"Functional","config":' + deep + b"}")]
    )


def _zeros(path: Path, megabytes: int) -> Path:
    """A small archive whose config.json inflates to ``megabytes`` of zeros."""
    count = megabytes * 1024 * 1024 // 2
    return _zip(path, [("config.json", b'{"v":[' + b"0," * (count - 1) + b"0]}")])


def _negative_offset(path: Path, source: Path) -> Path:
    """A directory entry pointing before the archive (zipfile: offset < 0).

    The end record and every entry but the first claim their data 64 bytes
    later than it is; zipfile subtracts that back, and the first entry's
    offset, left as it was, comes out at -64.
    """
    data = bytearray(source.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    directory = int.from_bytes(data[end + 16 : end + 20], "little")
    data[end + 16 : end + 20] = (directory + 64).to_bytes(4, "little")
    entry = data.find(b"PK\x01\x02", directory)
    entry = data.find(b"PK\x01\x02", entry + 4)  # leave the first as it was
    while entry != -1:
        offset = int.from_bytes(data[entry + 42 : entry + 46], "little")
        data[entry + 42 : entry + 46] = (offset + 64).to_bytes(4, "little")
        entry = data.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(data))
    return path


HOSTILE: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "missing": (lambda p, s: p, "no such file"),
    "directory": (lambda p, s: (p.mkdir(), p)[1], "is a folder"),
    "empty": (lambda p, s: (p.write_bytes(b""), p)[1], "nor a model JSON file"),
    "not a zip": (
        lambda p, s: (p.write_bytes(os.urandom(512)), p)[1],
        "nor a model JSON",
    ),
    "truncated zip": (lambda p, s: _truncated(p, s), "truncated zip archive"),
    "truncated zip over the limit": (
        lambda p, s: _big_truncated(p),
        "input.keras: a damaged or truncated zip archive",
    ),
    "17 MiB of noise": (lambda p, s: _big_noise(p), "not a Keras archive (no zip)"),
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
            p, [("config.json", b" " * (DEFAULT_MAX_CONFIG_MIB * MIB + 1))]
        ),
        "over the limit",
    ),
    "62 MB of zeros in 62 KB": (lambda p, s: _zeros(p, 62), "--max-config-mib"),
    "nested 700 deep": (lambda p, s: _nested(p, 700), "nests deeper than"),
    "nested 5000 deep": (lambda p, s: _nested(p, 5000), "nests deeper than"),
    "negative member offset": (
        lambda p, s: _negative_offset(p, s),
        "input.keras: the archive cannot be read",
    ),
    "fifo": (lambda p, s: (os.mkfifo(p), p)[1], "not a regular file"),
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
}


@pytest.mark.parametrize("command", ["scan", "repair"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_gets_one_line_exit_2_and_changes_nothing(
    case: str,
    command: str,
    affected_model: AffectedModel,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make, words = HOSTILE[case]
    source = make(tmp_path / "input.keras", affected_model.path)
    before = sorted(path.name for path in tmp_path.iterdir())
    content = source.read_bytes() if source.is_file() else None
    output = ["-o", str(tmp_path / "out.keras")] if command == "repair" else []

    started = time.monotonic()
    code = main([command, str(source), *output])
    seconds = time.monotonic() - started

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert err.startswith(f"{command}: {source}: "), err
    assert "Traceback" not in err
    assert seconds < 5, f"{seconds:.1f} s"
    assert sorted(path.name for path in tmp_path.iterdir()) == before
    if content is not None:
        assert source.read_bytes() == content
