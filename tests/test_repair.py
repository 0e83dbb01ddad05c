"""`keras-rescaling-patch repair`: the command, its refusals and its safety."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_rescaling_patch.cli import progress
from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files.model import archive_rewrite
from support.synthetic import sparse_archive, synthetic_archive
from tests.conftest import AffectedModel
from tests.subprocesses import Venv, cli_in_bare_interpreter, environment


def rescaling_model(scale: object, dtype: str | None = None) -> keras.Model:
    inputs = keras.Input(shape=(3,))
    layer = keras.layers.Rescaling(scale, 0.5, dtype=dtype, name="rescale")
    dense = keras.layers.Dense(2, name="dense")
    return keras.Model(inputs, dense(layer(inputs)), name="outer")


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, affected_model: AffectedModel
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("repair")
    paths = {
        "affected": affected_model.path,
        "clean": folder / "clean.keras",
        "float64": folder / "float64.keras",
    }
    rescaling_model([1.0, 2.0, 3.0]).save(paths["clean"])
    rescaling_model(np.array([0.1, 0.2, 0.3]), "float64").save(paths["float64"])
    return paths


def repair(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["repair", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def copy_of(path: Path, folder: Path) -> Path:
    target = folder / path.name
    target.write_bytes(path.read_bytes())
    return target


def raw_members(path: Path) -> dict[str, tuple[object, ...]]:
    """Each member's attributes and stored (compressed) bytes."""
    with zipfile.ZipFile(path) as archive, path.open("rb") as stream:
        found = {}
        for info in archive.infolist():
            stream.seek(info.header_offset + 26)
            skip = int.from_bytes(stream.read(2), "little")
            skip += int.from_bytes(stream.read(2), "little")
            stream.seek(skip, os.SEEK_CUR)
            found[info.filename] = (
                info.date_time,
                info.compress_type,
                info.external_attr,
                info.CRC,
                stream.read(info.compress_size),
            )
        return found


def test_output_has_plain_lists_and_every_other_member_unchanged(
    files: dict[str, Path],
    affected_model: AffectedModel,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "fixed.keras"
    code, stdout, err = repair(capsys, files["affected"], "-o", out)
    assert (code, err) == (0, "")
    assert "2 serialized array(s) now plain values" in stdout
    assert "affected/rescale  scale  __numpy__ float64 shape 4" in stdout
    before, after = raw_members(files["affected"]), raw_members(out)
    assert list(after) == list(before)  # same names, same order
    for name in before:
        if name != "config.json":
            assert after[name] == before[name], name
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        config = json.loads(archive.read("config.json"))
    [layer] = [e for e in config["config"]["layers"] if e["class_name"] == "Rescaling"]
    assert layer["config"]["scale"] == affected_model.scale.astype("float32").tolist()


def test_members_after_the_config_keep_their_offset_within_a_page(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """So the kernel copies the weights page by page (bench_repair.py)."""
    out = tmp_path / "fixed.keras"
    assert main(["repair", str(files["affected"]), "-o", str(out)]) == 0
    with zipfile.ZipFile(files["affected"]) as before, zipfile.ZipFile(out) as after:
        old = before.getinfo("model.weights.h5").header_offset
        new = after.getinfo("model.weights.h5").header_offset
        assert (new - old) % archive_rewrite.PAGE_BYTES == 0
        assert after.testzip() is None


def test_repairing_twice_changes_nothing_and_says_so(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    once, twice = tmp_path / "once.keras", tmp_path / "twice.keras"
    assert repair(capsys, files["affected"], "-o", once)[0] == 0
    code, stdout, _ = repair(capsys, once, "-o", twice)
    assert code == 0 and "nothing to repair" in stdout
    assert twice.read_bytes() == once.read_bytes()
    before = once.stat()
    Path(f"{once}.bak").write_bytes(b"from the first repair")
    code, stdout, _ = repair(capsys, once, "--in-place")
    assert code == 0 and "left unchanged" in stdout
    assert once.stat().st_mtime_ns == before.st_mtime_ns
    assert Path(f"{once}.bak").read_bytes() == b"from the first repair"


def test_refuses_to_overwrite_without_force(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fixed.keras"
    out.write_bytes(b"precious")
    code, stdout, err = repair(capsys, files["affected"], "-o", out)
    assert (code, stdout) == (2, "") and "pass --force" in err
    assert out.read_bytes() == b"precious"
    assert repair(capsys, files["affected"], "-o", out, "--force")[0] == 0
    assert zipfile.is_zipfile(out)


def test_in_place_keeps_the_original_as_backup(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = copy_of(files["affected"], tmp_path)
    original = model.read_bytes()
    code, stdout, _ = repair(capsys, model, "--in-place")
    assert code == 0 and f"original: {model}.bak" in stdout
    assert Path(f"{model}.bak").read_bytes() == original
    assert model.read_bytes() != original and zipfile.is_zipfile(model)
    assert listing(tmp_path) == ["affected.keras", "affected.keras.bak"]


def test_in_place_refuses_an_existing_backup_and_no_backup_skips_it(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = copy_of(files["affected"], tmp_path)
    Path(f"{model}.bak").write_bytes(b"older backup")
    original = model.read_bytes()
    code, _, err = repair(capsys, model, "--in-place")
    assert code == 2 and "affected.keras.bak exists" in err
    assert model.read_bytes() == original
    code, stdout, _ = repair(capsys, model, "--in-place", "--no-backup")
    assert code == 0 and "no backup" in stdout
    assert Path(f"{model}.bak").read_bytes() == b"older backup"


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--no-backup", "-o", "{out}"], "--no-backup only goes with --in-place"),
        (["-o", "{missing}/out.keras"], "is not an existing folder"),
        # Into a folder by its own name: the input's own folder names it.
        (["-o", "{folder}"], "the output is the input; use --in-place"),
        (["-o", "{input}"], "the output is the input; use --in-place"),
    ],
)
def test_bad_destinations_get_one_line_and_exit_2(
    arguments: list[str],
    words: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = copy_of(files["affected"], tmp_path)
    names = {
        "out": tmp_path / "out.keras",
        "missing": tmp_path / "missing",
        "folder": tmp_path,
        "input": model,
    }
    filled = [argument.format(**names) for argument in arguments]
    code, stdout, err = repair(capsys, model, *filled, "--force")
    assert (code, stdout) == (2, "")
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert listing(tmp_path) == ["affected.keras"]


def test_values_no_plain_list_can_carry_are_refused_with_exit_1(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = repair(capsys, files["float64"], "-o", tmp_path / "o.keras")
    assert (code, stdout) == (1, "")
    assert "outer/rescale scale: holds 0.1, which a plain list cannot carry" in err
    assert "nothing written" in err and len(err.strip().splitlines()) == 1
    assert listing(tmp_path) == []


def test_that_refusal_is_needed_a_list_would_change_float64_outputs() -> None:
    """TensorFlow converts a Python list through float32: 0.1 would drift."""
    batch = np.ones((1, 3))
    as_array = rescaling_model(np.array([0.1, 0.2, 0.3]), "float64")
    as_list = rescaling_model([0.1, 0.2, 0.3], "float64")
    as_list.set_weights(as_array.get_weights())
    layer_out = [
        keras.ops.convert_to_numpy(model.get_layer("rescale")(batch))
        for model in (as_array, as_list)
    ]
    assert not np.array_equal(*layer_out)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A file system of 256 KiB of its own (tmpfs), mounted for the test."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(folder)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr!r}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_full_disk_leaves_no_output_and_the_input_untouched(
    files: dict[str, Path],
    small_disk: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A real full disk: the input on a small file system, and what is left
    of it filled, so writing the result runs out of space."""
    model = copy_of(files["affected"], small_disk)
    original = model.read_bytes()
    free = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(
        bytes(free.f_bavail * free.f_frsize - 4096)  # less than the output needs
    )
    before = listing(small_disk)
    for arguments in (["-o", small_disk / "out.keras"], ["--in-place"]):
        code, stdout, err = repair(capsys, model, *arguments)
        assert (code, stdout) == (2, "")
        assert "No space left on device" in err and len(err.splitlines()) == 1
        assert listing(small_disk) == before
        assert model.read_bytes() == original


@pytest.mark.parametrize(("flags", "synced"), [([], True), (["--no-sync"], False)])
def test_the_output_is_synced_to_disk_unless_no_sync(
    flags: list[str],
    synced: bool,
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    synced_fds: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        synced_fds.append(descriptor)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    out = tmp_path / "out.keras"
    assert main(["repair", str(files["affected"]), "-o", str(out), *flags]) == 0
    assert bool(synced_fds) == synced and zipfile.is_zipfile(out)


def test_an_unwritable_folder_is_named_in_one_line(
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "x.tmp")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "out.keras"
    code, stdout, err = repair(capsys, files["affected"], "-o", out)
    assert (code, stdout) == (2, "")
    assert err == f"repair: cannot write {out}: Permission denied; nothing written\n"


@pytest.mark.slow
def test_kill_9_mid_copy_leaves_no_output_and_the_input_untouched(
    tmp_path: Path, installed_files: Venv
) -> None:
    """Kill -9 while the temporary file grows: OUT must not exist."""
    source = synthetic_archive(tmp_path / "big.keras", 512 << 20)
    before = hashlib.sha256(source.read_bytes()).digest()
    out = tmp_path / "out.keras"
    process = subprocess.Popen(
        [installed_files.cli, "repair", str(source), "-o", str(out)],
        env=environment(),
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in tmp_path.glob(".out.keras.*.tmp")):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("the repair ended before it could be killed mid-copy")
        time.sleep(0.001)
    process.kill()
    process.wait()
    assert not out.exists()
    assert hashlib.sha256(source.read_bytes()).digest() == before


def test_progress_bar_only_on_a_terminal_for_big_files(
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert repair(capsys, files["affected"], "-o", tmp_path / "a.keras")[2] == ""
    monkeypatch.setattr(progress, "REPAIR_ABOVE_BYTES", 0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, _, err = repair(capsys, files["affected"], "-o", tmp_path / "b.keras")
    assert code == 0 and "repair affected.keras" in err


def _zip64_records(extra: bytes) -> int:
    count, position = 0, 0
    while position + 4 <= len(extra):
        kind = int.from_bytes(extra[position : position + 2], "little")
        size = int.from_bytes(extra[position + 2 : position + 4], "little")
        count += kind == 1
        position += 4 + size
    return count


FOUR_GIB = 4 << 30
ZIP64_FROM = 0xFFFFFFFF  # a 32-bit field holding this means "see zip64"


@pytest.fixture
def in_memory() -> Iterator[Path]:
    """A private folder on tmpfs (/dev/shm): a sparse source costs nothing,
    and an output of 4 GiB is written at memory speed, then freed."""
    folder = Path(tempfile.mkdtemp(prefix="krp-zip64-", dir="/dev/shm"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow  # 4 GiB copied, in memory
def test_zip64_records_are_written_where_sizes_and_offsets_need_them(
    affected_model: AffectedModel, in_memory: Path
) -> None:
    """Weights past 4 GiB, and a member after them: their size and offset,
    and the directory's, go to zip64 records, and nothing else does."""
    with zipfile.ZipFile(affected_model.path) as original:
        config = original.read("config.json")
    source = sparse_archive(in_memory / "big.keras", config, FOUR_GIB + (1 << 20))
    out = in_memory / "out.keras"
    assert main(["repair", str(source), "-o", str(out), "--no-sync"]) == 0
    with zipfile.ZipFile(out) as archive:
        members = {info.filename: info for info in archive.infolist()}
        for info in members.values():
            wide = info.header_offset >= ZIP64_FROM or info.file_size >= ZIP64_FROM
            assert _zip64_records(info.extra) == int(wide), info.filename
            assert not wide or info.extract_version >= 45, info.filename
        assert members["model.weights.h5"].file_size == FOUR_GIB + (1 << 20)
        assert members["assets/after-weights.txt"].header_offset > FOUR_GIB
        assert archive.read("assets/after-weights.txt") == b"after the weights\n"
        assert json.loads(archive.read("config.json")) != json.loads(config)
    assert out.stat().st_size > FOUR_GIB


def test_zip64_input_gets_no_zip64_records_where_the_output_needs_none(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An input written with zip64 records (as zipfile does past 2 GiB, made
    here by lowering zipfile's own threshold): a small output needs none."""
    source = tmp_path / "zip64-input.keras"
    with monkeypatch.context() as patch:
        patch.setattr(zipfile, "ZIP64_LIMIT", 100)
        with (
            zipfile.ZipFile(files["affected"]) as original,
            zipfile.ZipFile(source, "w") as target,
        ):
            for info in original.infolist():
                target.writestr(info, original.read(info))
    with zipfile.ZipFile(source) as archive:
        assert _zip64_records(archive.getinfo("model.weights.h5").extra) == 1
    out = tmp_path / "out.keras"
    assert main(["repair", str(source), "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        for info in archive.infolist():
            assert _zip64_records(info.extra) == 0, info.filename
    assert (
        raw_members(out)["model.weights.h5"] == raw_members(source)["model.weights.h5"]
    )
    keras.models.load_model(out)


def test_without_kernel_copy_or_pread_the_output_is_the_same(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portable path (read and write; Windows has neither call)."""
    fast, portable = tmp_path / "fast.keras", tmp_path / "portable.keras"
    assert main(["repair", str(files["affected"]), "-o", str(fast)]) == 0
    monkeypatch.delattr(os, "copy_file_range")
    monkeypatch.delattr(os, "pread")
    assert main(["repair", str(files["affected"]), "-o", str(portable)]) == 0
    assert portable.read_bytes() == fast.read_bytes()


def test_deflated_archives_keep_their_compressed_bytes(
    files: dict[str, Path], tmp_path: Path
) -> None:
    deflated = tmp_path / "deflated.keras"
    with (
        zipfile.ZipFile(files["affected"]) as source,
        zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED)
        target.comment = b"archive comment"
    out = tmp_path / "out.keras"
    assert main(["repair", str(deflated), "-o", str(out)]) == 0
    before, after = raw_members(deflated), raw_members(out)
    assert after["model.weights.h5"] == before["model.weights.h5"]
    with zipfile.ZipFile(out) as archive:
        assert archive.comment == b"archive comment"
        assert archive.getinfo("config.json").compress_type == zipfile.ZIP_DEFLATED
        assert archive.testzip() is None


@pytest.mark.slow
def test_repair_never_imports_keras_or_numpy(
    files: dict[str, Path], tmp_path: Path, installed: Venv
) -> None:
    """Where Keras, TensorFlow and NumPy are all installed."""
    arguments = ["repair", str(files["affected"]), "-o", str(tmp_path / "out.keras")]
    assert cli_in_bare_interpreter(installed.python, arguments) == (0, [])


def numpy_marker(value: object, dtype: str) -> dict[str, object]:
    return {"class_name": "__numpy__", "config": {"value": value, "dtype": dtype}}


def _json_model_with(tmp_path: Path, marker: dict[str, object]) -> Path:
    """A model .json (as to_json writes it) whose Rescaling scale is ``marker``."""
    config = json.loads(rescaling_model(np.array([1.0, 2.0, 3.0])).to_json())
    [layer] = [e for e in config["config"]["layers"] if e["class_name"] == "Rescaling"]
    layer["config"]["scale"] = marker
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        ("int32", [1.5, 2.5, -0.7]),
        ("bool", [2, 0, 1]),
        ("uint8", [-1, 300, 1]),
        ("int32", [2**40, 1, 1]),
        ("int8", [float("nan"), 1, 1]),
    ],
)
def test_integer_values_their_dtype_cannot_hold_are_refused(
    dtype: str, value: list[object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NumPy would truncate or wrap them on loading; a list would not."""
    model = _json_model_with(tmp_path, numpy_marker(value, dtype))
    code, stdout, err = repair(capsys, model, "-o", tmp_path / "out.json")
    assert (code, stdout) == (1, "") and len(err.splitlines()) == 1
    assert f"which {dtype} cannot hold exactly" in err and "nothing written" in err
    assert listing(tmp_path) == ["model.json"]


def test_integer_and_bool_values_their_dtype_holds_are_repaired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = {
        "class_name": "__numpy__",
        "config": {"value": [1, 0, 1], "dtype": "bool"},
    }
    model = _json_model_with(tmp_path, marker)
    assert repair(capsys, model, "-o", tmp_path / "out.json")[0] == 0
    [layer] = [
        e
        for e in json.loads((tmp_path / "out.json").read_text())["config"]["layers"]
        if e["class_name"] == "Rescaling"
    ]
    assert layer["config"]["scale"] == [1.0, 0.0, 1.0]


def test_the_work_is_bounded_by_limits_that_flags_raise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = [0.5] * 1_200_000
    marker = {
        "class_name": "__numpy__",
        "config": {"value": values, "dtype": "float32"},
    }
    model = _json_model_with(tmp_path, marker)
    out = tmp_path / "out.json"
    code, _, err = repair(capsys, model, "-o", out)
    assert code == 2 and "holds over 1000000 values" in err
    assert "--max-array-elements" in err and not out.exists()
    assert repair(capsys, model, "-o", out, "--max-array-elements", "2000000")[0] == 0
    code, _, err = repair(
        capsys, model, "-o", tmp_path / "o2.json", "--max-config-mib", "1"
    )
    assert (
        code == 2 and "over the limit of 1048576" in err and "--max-config-mib" in err
    )
    assert main(["scan", str(model), "--max-config-mib", "1"]) == 2


def test_bytes_after_the_end_of_the_archive_are_kept(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """A trailing block (a signature, say) stays at the end of the output."""
    signed = tmp_path / "signed.keras"
    signed.write_bytes(files["affected"].read_bytes() + b"SIGNATURE-BLOCK\x00\x01")
    out = tmp_path / "out.keras"
    assert main(["repair", str(signed), "-o", str(out)]) == 0
    assert out.read_bytes().endswith(b"SIGNATURE-BLOCK\x00\x01")
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None


def test_in_place_refuses_a_symlink_but_o_follows_one(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = copy_of(files["affected"], tmp_path)
    link = tmp_path / "link.keras"
    link.symlink_to(target)
    before = target.read_bytes()
    code, _, err = repair(capsys, link, "--in-place")
    assert code == 2 and "is a symbolic link" in err
    assert link.is_symlink() and target.read_bytes() == before
    assert repair(capsys, link, "-o", tmp_path / "out.keras")[0] == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encoding", "name"),
    [("ascii", "模型/缩放"), ("utf-8", "lone\ud800surrogate")],
)
def test_any_layer_name_on_any_terminal_never_crashes_after_writing(
    encoding: str, name: str, tmp_path: Path, installed_files: Venv
) -> None:
    """The exit code tells the truth about what was written."""
    model = _json_model_with(tmp_path, numpy_marker([2.0], "float32"))
    config = json.loads(model.read_text())
    [layer] = [e for e in config["config"]["layers"] if e["class_name"] == "Rescaling"]
    layer["config"]["name"] = name
    model.write_text(json.dumps(config))  # ensure_ascii: escapes, lone ones too
    completed = subprocess.run(
        [installed_files.cli, "repair", str(model), "--in-place"],
        env=environment(PYTHONIOENCODING=encoding),
        capture_output=True,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert b"Traceback" not in completed.stderr
    assert b"repaired" in completed.stdout and b"\\u" in completed.stdout
    assert "__numpy__" not in model.read_text()


def test_a_value_beyond_the_compute_dtype_is_written_and_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1e300 computes as infinity in float32, before and after: the list says
    Infinity, which Keras reads but strict JSON parsers refuse, so repair
    says so (on stderr, and in the report)."""
    from keras_rescaling_patch.files import api

    model = _json_model_with(tmp_path, numpy_marker([1e300, 1.0, 2.0], "float64"))
    code, stdout, err = repair(capsys, model, "-o", tmp_path / "out.json")
    assert code == 0 and "repaired" in stdout
    assert "outer/rescale scale computes as infinity or NaN in float32" in err
    assert len(err.splitlines()) == 1
    text = (tmp_path / "out.json").read_text()
    assert "Infinity" in text
    with pytest.raises(ValueError, match="Infinity"):  # as a strict parser does
        json.loads(text, parse_constant=_strict)
    report = api.repair(model, tmp_path / "again.json").as_dict()
    assert [item["non_finite"] for item in report["repairs"]] == [True]
    finite = _json_model_with(tmp_path, numpy_marker([1e30, 1.0, 2.0], "float64"))
    code, _, err = repair(capsys, finite, "-o", tmp_path / "finite.json")
    assert (code, err) == (0, "")
    assert api.repair(finite, tmp_path / "f2.json").repairs[0].non_finite is False


def _strict(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
