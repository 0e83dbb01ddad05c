"""``repair`` of many files (the API's ``repair_many``, the command line's
folders and patterns) and rounding allowed (``allow_rounding``), in this
process; the real signal and the resumed run in a fresh interpreter of the
installed wheel."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files import api
from keras_rescaling_patch.files.judgement import arithmetic
from keras_rescaling_patch.files.options import SettingError
from support.processes import environment
from support.synthetic import numpy_marker, rescaling_config
from tests.subprocesses import Venv

# A float64 value float32 cannot hold (0.1), and its nearest float32.
TENTH_AS_FLOAT32 = 0.10000000149011612


def _archive(path: Path, config: dict[str, Any], saved_by: str = "3.4.1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": saved_by}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr(
            "model.weights.h5", hashlib.sha256(path.name.encode()).digest()
        )
    return path


def _affected(path: Path) -> Path:
    return _archive(path, rescaling_config(numpy_marker([0.5, 2.0, 4.0])))


def _clean(path: Path) -> Path:
    return _archive(path, rescaling_config(0.5))


def _with(layer_class: str, **arguments: Any) -> dict[str, Any]:
    """A model config holding one more object: ``layer_class`` with these
    arguments (a Masking, say), beside a plain Rescaling."""
    config = rescaling_config(0.5)
    layer = {"name": "extra", "trainable": True, **arguments}
    config["config"]["layers"].append(
        {"module": "keras.layers", "class_name": layer_class, "config": layer}
    )
    return config


def _compiled_with(section: str, entry: dict[str, Any]) -> dict[str, Any]:
    config = rescaling_config(0.5)
    config["compile_config"] = {section: entry}
    return config


def _object(class_name: str, module: str, **arguments: Any) -> dict[str, Any]:
    return {"module": module, "class_name": class_name, "config": arguments}


def _store(folder: Path, count: int) -> list[Path]:
    """``count`` models in two subfolders, every other one affected."""
    made = []
    for number in range(count):
        path = folder / f"group{number % 2}" / f"model{number}.keras"
        made.append(_affected(path) if number % 2 == 0 else _clean(path))
    return made


def _config(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))  # type: ignore[no-any-return]


# --- many files -----------------------------------------------------------


def test_a_folder_is_repaired_into_a_mirror_of_its_layout_as_one_file_each_is(
    tmp_path: Path,
) -> None:
    made = _store(tmp_path / "in", 6)
    reports = list(api.repair_many([tmp_path / "in"], tmp_path / "out"))
    (tmp_path / "single").mkdir()
    assert [r.status for r in reports] == ["repaired", "repaired", "repaired"] + [
        "copied"
    ] * 3
    for source in made:
        below = source.relative_to(tmp_path / "in")
        single = api.repair(source, tmp_path / "single" / below.name)
        assert single.exit_code == 0
        produced = tmp_path / "out" / below
        assert produced.read_bytes() == (tmp_path / "single" / below.name).read_bytes()


def test_an_output_folder_inside_an_input_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    _store(tmp_path / "in", 2)
    with pytest.raises(SettingError, match="lies within the input"):
        api.repair_many([tmp_path / "in"], tmp_path / "in" / "fixed")
    with pytest.raises(SettingError, match="lies within the input"):
        api.repair_many([str(tmp_path / "in" / "*.keras")], tmp_path / "in")
    assert not (tmp_path / "in" / "fixed").exists()


def test_two_files_for_one_output_write_the_first_and_refuse_the_second(
    tmp_path: Path,
) -> None:
    first = _affected(tmp_path / "a" / "model.keras")
    second = _affected(tmp_path / "b" / "model.keras")
    reports = list(api.repair_many([first, second], tmp_path / "out", force=True))
    assert [r.status for r in reports] == ["repaired", "error"]
    assert "is the output of" in (reports[1].error or "")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model.keras"]


def test_many_files_in_place_each_keep_a_backup(tmp_path: Path) -> None:
    made = _store(tmp_path / "in", 4)
    before = {path: path.read_bytes() for path in made}
    reports = list(api.repair_many([tmp_path / "in"], in_place=True))
    assert [r.status for r in reports] == [
        "repaired",
        "repaired",
        "unchanged",
        "unchanged",
    ]
    for path in made[::2]:
        assert Path(f"{path}.bak").read_bytes() == before[path]
        assert "__numpy__" not in json.dumps(_config(path))
    for path in made[1::2]:
        assert path.read_bytes() == before[path]


def test_a_stop_starts_no_further_file_and_finishes_those_under_way(
    tmp_path: Path,
) -> None:
    _store(tmp_path / "in", 20)
    stop = threading.Event()
    reports = []
    for report in api.repair_many(
        [tmp_path / "in"], tmp_path / "out", jobs=2, stop=stop
    ):
        reports.append(report)
        stop.set()
    # The one seen, those done meanwhile and those already started (two
    # jobs: at most two running and two finished, not yet given back).
    assert 1 <= len(reports) <= 5
    written = sorted((tmp_path / "out").rglob("*"))
    assert [p for p in written if p.is_file()] == sorted(
        Path(r.output) for r in reports if r.output
    )
    assert not [p for p in written if p.name.startswith(".")]  # no temporary


def test_repair_many_takes_a_list_not_one_path(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match="inputs"):
        api.repair_many(str(tmp_path), tmp_path / "out")  # type: ignore[arg-type]


def test_the_command_line_takes_folders_and_exits_with_the_worst_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(tmp_path / "in", 4)
    _archive(
        tmp_path / "in" / "masking.keras",
        _with("Masking", mask_value=numpy_marker(0.1)),
    )
    code = main(
        [
            "repair",
            str(tmp_path / "in"),
            "-o",
            str(tmp_path / "out"),
            "--format",
            "jsonl",
        ]
    )
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1, err
    assert sorted(line["status"] for line in lines) == [
        "copied", "copied", "refused", "repaired", "repaired",
    ]  # fmt: skip
    [refused] = [line for line in lines if line["status"] == "refused"]
    assert "--allow-rounding" in refused["error"]


def test_a_resumed_repair_takes_only_what_was_not_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = _store(tmp_path / "in", 4)
    first = tmp_path / "first.jsonl"
    (tmp_path / "out" / "group0").mkdir(parents=True)
    done = api.repair(made[0], tmp_path / "out" / "group0" / made[0].name)
    assert done.status == "repaired"
    first.write_text(json.dumps(done.as_dict()) + "\n")
    code = main([
        "repair", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
        "--format", "jsonl", "--resume", str(first),
    ])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    assert sorted(json.loads(line)["file"] for line in out.splitlines()) == sorted(
        str(path) for path in made[1:]
    )


def test_a_cut_short_resume_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(tmp_path / "in", 2)
    broken = tmp_path / "first.jsonl"
    broken.write_text('{"file": "x", "status": "repaired"')
    code = main(["repair", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                 "--resume", str(broken)])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "--resume" in err, err
    assert not (tmp_path / "out").exists()


def test_one_file_keeps_its_output_file_and_json_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _affected(tmp_path / "model.keras")
    code = main(
        ["repair", str(source), "-o", str(tmp_path / "fixed.keras"), "--format", "json"]
    )
    out, _ = capsys.readouterr()
    document = json.loads(out)
    assert code == 0 and document["summary"]["repaired"] == 1
    assert document["files"][0]["output"] == str(tmp_path / "fixed.keras")


# --- rounding allowed -------------------------------------------------------


def test_a_float_float32_cannot_hold_is_refused_naming_the_opt_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _archive(
        tmp_path / "m.keras", _with("Masking", mask_value=numpy_marker(0.1))
    )
    report = api.repair(source, tmp_path / "out.keras")
    assert report.status == "refused"
    assert "allow_rounding=True writes the nearest float32 value" in (
        report.error or ""
    )
    assert not (tmp_path / "out.keras").exists()
    code = main(["repair", str(source), "-o", str(tmp_path / "out.keras")])
    _, err = capsys.readouterr()
    assert code == 1 and "--allow-rounding writes the nearest float32" in err


def test_rounding_allowed_writes_the_nearest_float32_and_says_how_far(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _archive(
        tmp_path / "m.keras", _with("Masking", mask_value=numpy_marker([0.1, 0.5, 0.0]))
    )
    report = api.repair(source, tmp_path / "out.keras", allow_rounding=True)
    [repair] = report.repairs
    assert repair.rounding is not None
    assert repair.rounding.written == [TENTH_AS_FLOAT32, 0.5, 0.0]
    assert repair.rounding.largest_absolute == TENTH_AS_FLOAT32 - 0.1
    assert repair.rounding.largest_relative == (TENTH_AS_FLOAT32 - 0.1) / 0.1
    assert repair.rounding.moved == 1
    written = _config(tmp_path / "out.keras")["config"]["layers"][1]["config"]
    assert written["mask_value"] == [TENTH_AS_FLOAT32, 0.5, 0.0]
    as_json = report.as_dict()["repairs"][0]["rounding"]
    assert as_json["largest_absolute_difference"] == TENTH_AS_FLOAT32 - 0.1
    code = main(["repair", str(source), "-o", str(tmp_path / "text.keras"),
                 "--allow-rounding"])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0 and "1 value(s) moved, by at most 1.49e-09" in err, err


@pytest.mark.parametrize(
    ("marker", "words"),
    [
        (numpy_marker([1e300]), "beyond float32's range"),
        (numpy_marker([[1.0, 2.0]], "complex128"), "complex128 data"),
        (numpy_marker([2**60], "int64"), "beyond exact floats"),
    ],
)
def test_what_no_plain_number_carries_is_refused_even_with_rounding(
    tmp_path: Path, marker: dict[str, Any], words: str
) -> None:
    source = _archive(tmp_path / "m.keras", _with("Masking", mask_value=marker))
    report = api.repair(source, tmp_path / "out.keras", allow_rounding=True)
    assert report.status == "refused" and words in (report.error or ""), report.error
    assert "allow_rounding" not in (report.error or "")
    assert not (tmp_path / "out.keras").exists()


def test_a_rescaling_computing_in_float64_rounds_only_when_allowed(
    tmp_path: Path,
) -> None:
    config = rescaling_config(numpy_marker([0.1]))
    config["config"]["layers"][0]["config"]["dtype"] = "float64"
    source = _archive(tmp_path / "m.keras", config)
    assert api.repair(source, tmp_path / "a.keras").status == "refused"
    report = api.repair(source, tmp_path / "b.keras", allow_rounding=True)
    [repair] = report.repairs
    assert repair.rounding is not None and repair.rounding.written == [TENTH_AS_FLOAT32]


def _auc(weights: list[float]) -> dict[str, Any]:
    auc = _object(
        "AUC", "keras.metrics", name="auc", label_weights=numpy_marker(weights)
    )
    return _compiled_with("metrics", [auc])  # type: ignore[arg-type]


def test_a_float64_array_a_class_computes_with_as_given_is_refused(
    tmp_path: Path,
) -> None:
    """Stock 3.0.0's AUC computes in float64 with float64 label_weights:
    no plain number gives its result, though float32 holds the values."""
    source = _archive(tmp_path / "m.keras", _auc([0.25, 0.75]), saved_by="3.0.0")
    report = api.repair(source, tmp_path / "out.keras")
    assert report.status == "refused"
    assert "AUC computes with a float64 array as it is" in (report.error or "")
    written = api.repair(source, tmp_path / "out.keras", allow_rounding=True)
    [repair] = written.repairs
    assert repair.rounding is None and repair.computes_differently is not None
    weights = {"class_name": "__tensor__", "config": {"value": [0.25, 0.75],
                                                      "dtype": "float32"}}  # fmt: skip
    auc = _object("AUC", "keras.metrics", name="auc", label_weights=weights)
    saved = _archive(tmp_path / "t.keras", _compiled_with("metrics", [auc]))
    assert api.repair(saved, tmp_path / "t.out.keras").status == "repaired"


def _piecewise(layer_dtype: str | None) -> dict[str, Any]:
    schedule = _object(
        "PiecewiseConstantDecay",
        "keras.optimizers.schedules",
        boundaries=numpy_marker([1], "int64"),
        values=numpy_marker([0.1, 0.03]),
    )
    optimizer = _object("SGD", "keras.optimizers", learning_rate=schedule)
    config = _compiled_with("optimizer", optimizer)
    if layer_dtype is not None:
        config["config"]["layers"][0]["config"]["dtype"] = layer_dtype
    return config


def test_a_schedules_values_are_exact_only_for_float32_variables(
    tmp_path: Path,
) -> None:
    exact = api.repair(_archive(tmp_path / "a.keras", _piecewise("mixed_float16")),
                       tmp_path / "a.out.keras")  # fmt: skip
    assert exact.status == "repaired", exact.error
    wide = api.repair(_archive(tmp_path / "b.keras", _piecewise("float64")),
                      tmp_path / "b.out.keras")  # fmt: skip
    assert wide.status == "refused"
    assert "variables are not all float32" in (wide.error or ""), wide.error


def test_a_class_computing_differently_is_refused_or_written_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ftrl = _object(
        "Ftrl",
        "keras.optimizers",
        learning_rate=0.5,
        learning_rate_power={
            "class_name": "__tensor__",
            "config": {"value": -0.5, "dtype": "float32"},
        },
    )
    source = _archive(tmp_path / "m.keras", _compiled_with("optimizer", ftrl))
    refused = api.repair(source, tmp_path / "a.keras")
    assert refused.status == "refused"
    assert "Ftrl raises to the power" in (refused.error or "")
    assert "allow_rounding=True writes it as a plain value anyway" in (
        refused.error or ""
    )
    written = api.repair(source, tmp_path / "b.keras", allow_rounding=True)
    [repair] = written.repairs
    assert repair.computes_differently is not None and repair.rounding is None
    main(["repair", str(source), "-o", str(tmp_path / "c.keras"), "--allow-rounding"])
    _, err = capsys.readouterr()
    assert "results may differ" in err


def test_every_entry_of_the_arithmetic_names_an_argument_once() -> None:
    seen = [(c, e.argument) for e in arithmetic.HANDLINGS for c in e.classes]
    assert len(seen) == len(set(seen))


# --- a real signal, in a fresh interpreter of the installed wheel -------------


@pytest.mark.slow
def test_an_interrupted_folder_repair_resumed_writes_every_output_once(
    tmp_path: Path, installed_files: Venv
) -> None:
    made = _store(tmp_path / "in", 400)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    command = [
        installed_files.cli, "repair", str(tmp_path / "in"),
        "-o", str(tmp_path / "out"), "--format", "jsonl", "--jobs", "2",
    ]  # fmt: skip
    with first.open("w") as stream:
        process = subprocess.Popen(
            command, env=environment(), stdout=stream, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 120
        while first.read_text().count("\n") < 20:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "--resume" in err
    done = [json.loads(line) for line in first.read_text().splitlines()]
    assert 20 <= len(done) < len(made), "the signal came after the end"
    outputs = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    # Every output on disk was reported, none is partial or temporary.
    assert outputs == sorted(Path(line["output"]) for line in done)
    resumed = subprocess.run(
        [*command, "--resume", str(first)], env=environment(),
        stdout=second.open("w"), stderr=subprocess.PIPE, text=True, timeout=600,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    later = [json.loads(line) for line in second.read_text().splitlines()]
    names = [line["file"] for line in done + later]
    assert sorted(names) == sorted(str(path) for path in made)  # each once
    assert all(line["status"] in ("repaired", "copied") for line in done + later)
    for source in made:
        produced = tmp_path / "out" / source.relative_to(tmp_path / "in")
        single = api.repair(source, tmp_path / "single.keras", force=True)
        assert single.exit_code == 0
        assert produced.read_bytes() == (tmp_path / "single.keras").read_bytes()


@pytest.mark.parametrize(
    "below", ["../escaped.keras", "a//b.keras", "/abs.keras", "./a.keras"]
)
def test_a_listed_name_that_would_leave_the_output_folder_is_refused(
    tmp_path: Path, below: str
) -> None:
    """An object store's key may hold ``..``: a result must never be
    written outside the output folder."""
    from keras_rescaling_patch.files.jobs import repair_many as job
    from keras_rescaling_patch.files.options import RepairOptions
    from keras_rescaling_patch.files.stores.listing import Found
    from keras_rescaling_patch.files.stores.location import LocalPath

    source = _affected(tmp_path / "in" / "model.keras")
    found = Found(LocalPath(str(source), str(source)), below=below)
    root = LocalPath(str(tmp_path / "out"), str(tmp_path / "out"))
    report = job._repair_one(found, root, RepairOptions(), job._Outputs())
    assert report.status == "error" and "would leave the output folder" in (
        report.error or ""
    )
    assert not (tmp_path / "escaped.keras").exists()
    assert not (tmp_path / "out").exists()


# --- what a new user found ----------------------------------------------------


def _resume(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "previous.jsonl"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        (["[1, 2]"], "line 1 of"),
        (['"text"'], "line 1 of"),
        (['{"file": 5, "status": "repaired", "repairs": []}'], "line 1 of"),
        # A scan's output is not a repair's: its files were never repaired.
        (['{"file": "a.keras", "status": "affected", "bytes_read": 1}'], "line 1 of"),
    ],
)
def test_a_resume_file_that_is_not_a_repairs_output_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str], words: str
) -> None:
    _store(tmp_path / "in", 2)
    previous = _resume(tmp_path, lines)
    code = main(["repair", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                 "--resume", str(previous)])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and words in err, err
    assert "not a line of a repair's JSON Lines output" in err
    assert not (tmp_path / "out").exists()


def test_a_missing_resume_file_is_an_error_not_a_first_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(tmp_path / "in", 2)
    code = main(["repair", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                 "--resume", str(tmp_path / "typo.jsonl")])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2 and "does not exist" in err and err.count("\n") == 1


def test_files_a_resume_file_lists_as_written_elsewhere_are_taken_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = _store(tmp_path / "in", 4)
    main(["repair", str(tmp_path / "in"), "-o", str(tmp_path / "first"),
          "--format", "jsonl"])  # fmt: skip
    previous = _resume(tmp_path, capsys.readouterr().out.splitlines())
    code = main(["repair", str(tmp_path / "in"), "-o", str(tmp_path / "second"),
                 "--format", "jsonl", "--resume", str(previous)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0 and "4 file(s) it lists as done were written elsewhere" in err
    assert len(out.splitlines()) == 4
    assert all((tmp_path / "second" / p.relative_to(tmp_path / "in")).exists()
               for p in made)  # fmt: skip
    # In place, a run into a folder did nothing either.
    code = main(["repair", str(tmp_path / "in"), "--in-place", "--format", "jsonl",
                 "--resume", str(previous)])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0 and len(out.splitlines()) == 4
    assert Path(f"{made[0]}.bak").exists()


def test_rounding_a_compared_value_says_the_results_may_differ(tmp_path: Path) -> None:
    """Masking compares float32 inputs with the float64 array: an input equal
    to float32(0.1) never matched 0.1, and matches the rounded value."""
    source = _archive(
        tmp_path / "m.keras", _with("Masking", mask_value=numpy_marker([0.1]))
    )
    report = api.repair(source, tmp_path / "out.keras", allow_rounding=True)
    [repair] = report.repairs
    assert repair.exact_because is None
    assert repair.computes_differently is not None
    assert "now matches it" in repair.computes_differently
    exact = _archive(
        tmp_path / "e.keras", _with("Masking", mask_value=numpy_marker([0.5]))
    )
    [kept] = api.repair(exact, tmp_path / "e.out.keras").repairs
    assert kept.exact_because is not None and kept.computes_differently is None


def test_the_api_takes_one_pattern_or_name_as_text(tmp_path: Path) -> None:
    made = _store(tmp_path / "in", 4)
    reports = list(api.repair_many([tmp_path / "in"], tmp_path / "out",
                                   include="group0/*"))  # fmt: skip
    assert [r.file for r in reports] == [str(p) for p in made[::2]]
    scanned = list(api.scan_many([tmp_path / "in"], skip=str(made[0])))
    assert len(scanned) == 3
    with pytest.raises(SettingError, match="include"):
        api.repair_many([tmp_path / "in"], tmp_path / "o", include=[1])  # type: ignore[list-item]


def test_one_file_into_a_folder_goes_there_by_its_own_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _affected(tmp_path / "model.keras")
    code = main(["repair", str(source), "-o", f"{tmp_path / 'fixed'}/"])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "fixed" / "model.keras").exists()
    code = main(["repair", str(tmp_path / "nosuch.keras"), "-o", f"{tmp_path}/o/"])
    _, err = capsys.readouterr()
    assert code == 2 and "nosuch.keras" in err and "no such file" in err, err


def test_among_many_files_every_error_names_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _affected(tmp_path / "a" / "m.keras")
    second = _affected(tmp_path / "b" / "m.keras")
    code = main(["repair", str(first), str(second), "-o", str(tmp_path / "a")])
    _, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.startswith("repair: ")]
    assert code == 2 and lines
    assert all(str(first) in line or str(second) in line for line in lines), err


def test_an_output_folder_that_is_a_file_is_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(tmp_path / "in", 2)
    taken = _clean(tmp_path / "taken.keras")
    with pytest.raises(SystemExit) as exit_:  # as argparse says a bad argument
        main(["repair", str(tmp_path / "in"), "-o", str(taken)])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert err.splitlines()[-1].endswith(
        "is a file; many files are written into a folder"
    )
