"""Scanning many files: folders, patterns, memory:// URLs, formats, the API.

In-process and fast: real HTTP and S3 servers are in test_remote.py.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files import api
from keras_rescaling_patch.files.jobs.scan_file import budget
from keras_rescaling_patch.files.options import Limits
from keras_rescaling_patch.files.stores import listing, ranged
from support.synthetic import synthetic_archive
from tests.conftest import AffectedModel


@pytest.fixture
def tree(tmp_path: Path, affected_model: AffectedModel) -> Path:
    """models/ with affected, clean, broken, ignored and nested files."""
    root = tmp_path / "models"
    (root / "team" / "deep").mkdir(parents=True)
    shutil.copyfile(affected_model.path, root / "a.keras")
    shutil.copyfile(affected_model.json_path, root / "named-only.json")
    (root / "notes.txt").write_text("not a model")
    (root / "team" / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\nno config here")
    shutil.copyfile(affected_model.path, root / "team" / "deep" / "b.KERAS")
    synthetic_archive(root / "team" / "c.hdf5.keras", 1024)
    return root


def scan(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["scan", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def names(reports: list[api.FileReport], root: Path) -> list[str]:
    return [os.path.relpath(report.file, root) for report in reports]


def test_a_folder_gives_its_model_files_in_order(tree: Path) -> None:
    reports = list(api.scan_many([tree]))
    assert names(reports, tree) == [
        "a.keras",
        "team/broken.h5",
        "team/c.hdf5.keras",
        "team/deep/b.KERAS",
    ]
    assert [r.status for r in reports] == ["affected", "error", "affected", "affected"]
    assert [r.exit_code for r in reports] == [1, 2, 1, 1]
    assert reports[1].error is not None and "legacy HDF5" in reports[1].error


def test_include_and_exclude_narrow_what_a_folder_gives(tree: Path) -> None:
    taken = list(api.scan_many([tree], include=["team/*"], exclude=["*.h5"]))
    assert names(taken, tree) == ["team/c.hdf5.keras", "team/deep/b.KERAS"]
    nothing = list(api.scan_many([tree], include=["nowhere/*"]))
    assert [(r.file, r.status) for r in nothing] == [(str(tree), "error")]
    assert nothing[0].error == (
        "is a folder that holds no model file (.keras, .h5, .hdf5) (as narrowed "
        "by include/exclude)"
    )


def test_each_caller_names_the_settings_its_own_way(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same problem: the command line names its flags, the API its
    parameters (nothing below the command line spells either)."""
    code, _, err = scan(capsys, tree, "--include", "nowhere/*")
    assert code == 2 and err == (
        f"scan: {tree}: is a folder that holds no model file (.keras, .h5, .hdf5) "
        "(as narrowed by --include/--exclude)\n"
    )
    [tiny] = api.scan_many([tree / "a.keras"], max_config_mib=0.0001)
    assert tiny.error is not None and "(raise it with max_config_mib)" in tiny.error
    code, _, err = scan(capsys, tree / "a.keras", "--max-config-mib", "0.0001")
    assert code == 2 and "(raise it with --max-config-mib)" in err


def test_a_file_named_explicitly_is_scanned_whatever_its_name(tree: Path) -> None:
    [report] = api.scan_many([tree / "named-only.json"])
    assert (report.format, report.status) == ("json", "affected")


def test_a_pattern_and_an_empty_match(tree: Path) -> None:
    found = list(api.scan_many([f"{tree}/**/*.keras"]))
    assert sorted(names(found, tree)) == ["a.keras", "team/c.hdf5.keras"]
    [none] = api.scan_many([f"{tree}/*.nothing"])
    assert none.error == "matches no model file (.keras, .h5, .hdf5)"
    (tree / "docs").mkdir()
    (tree / "docs" / "readme.md").write_text("# models")
    [only_notes] = api.scan_many([f"{tree}/docs/*"])  # matches, but no model
    assert only_notes.error == "matches no model file (.keras, .h5, .hdf5)"
    [empty] = api.scan_many([f"{tree}/docs"])
    assert empty.error == "is a folder that holds no model file (.keras, .h5, .hdf5)"


def test_a_pattern_never_follows_a_link_loop(tree: Path) -> None:
    (tree / "team" / "deep" / "loop").symlink_to("..", target_is_directory=True)
    reports = list(api.scan_many([f"{tree}/**/*.keras"]))
    assert sorted(names(reports, tree)) == [
        "a.keras",
        "team/c.hdf5.keras",
        "team/deep/loop",
    ]
    [loop] = [r for r in reports if r.file.endswith("loop")]
    assert loop.error == "is a symbolic link loop; not followed"


def test_what_a_scan_would_not_take_is_never_a_problem(tree: Path) -> None:
    """A broken link that is not a model file, a loop in an excluded folder."""
    (tree / "NOTES.txt").symlink_to(tree / "nowhere")
    (tree / "archive").mkdir()
    (tree / "archive" / "loop").symlink_to(tree, target_is_directory=True)
    reports = list(api.scan_many([tree], exclude=["archive/*", "team/*"]))
    assert [(r.file, r.status) for r in reports] == [(f"{tree}/a.keras", "affected")]


def test_link_loops_and_links_to_walked_folders(tree: Path) -> None:
    (tree / "team" / "back").symlink_to(tree, target_is_directory=True)
    (tree / "again").symlink_to(tree / "team" / "deep", target_is_directory=True)
    (tree / "gone.keras").symlink_to(tree / "missing.keras")
    reports = list(api.scan_many([tree]))
    problems = {
        r.file: r.error for r in reports if r.error and "broken.h5" not in r.file
    }
    assert problems == {
        str(tree / "gone.keras"): "is a broken symbolic link",
        str(tree / "team" / "back"): "is a symbolic link loop; not followed",
    }
    # deep/ is reached twice (through again/ and team/deep/): scanned once.
    assert sum(r.file.endswith("b.KERAS") for r in reports) == 1


def test_a_file_several_inputs_name_is_scanned_once(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Overlapping inputs, one name spelled two ways, a folder reached through
    a link to it: each file once, under the first name. A link to a file
    keeps its own name (it is what was asked about)."""
    (tree.parent / "alias").symlink_to(tree, target_is_directory=True)
    (tree / "latest.keras").symlink_to(tree / "a.keras")
    monkeypatch.chdir(tree.parent)
    inputs = [
        "models/team",
        "models",
        "./models/a.keras",
        "models/a.keras",
        str(tree / "team" / "deep" / "b.KERAS"),
        "alias/a.keras",
        "models/team/missing.keras",
        "models/team/../team/missing.keras",
    ]
    reports = list(api.scan_many(inputs))
    assert [(r.file, r.status) for r in reports] == [
        ("models/team/broken.h5", "error"),
        ("models/team/c.hdf5.keras", "affected"),
        ("models/team/deep/b.KERAS", "affected"),
        ("models/a.keras", "affected"),
        ("models/latest.keras", "affected"),
        ("models/team/missing.keras", "error"),
    ]
    code, out, _ = scan(capsys, *inputs)
    assert code == 2
    assert out.splitlines()[-1].startswith("scanned 6 file(s): 4 affected,")


def test_several_jobs_give_the_same_reports_in_the_same_order(tree: Path) -> None:
    one = [r.as_dict() for r in api.scan_many([tree], jobs=1)]
    four = [r.as_dict() for r in api.scan_many([tree], jobs=4)]
    assert four == one
    streamed = [r.as_dict() for r in api.scan_many([tree], jobs=4, ordered=False)]
    assert sorted(streamed, key=lambda r: r["file"]) == sorted(
        one, key=lambda r: r["file"]
    )


def test_text_output_ends_with_a_summary(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = scan(capsys, tree)
    assert code == 2  # the worst file wins
    assert out.splitlines()[-1].startswith(
        "scanned 4 file(s): 3 affected, 0 suspect, 0 clean, 1 error(s); "
    )
    assert err == f"scan: {tree}/team/broken.h5: " + (
        "is a legacy HDF5 (.h5) file, but no Keras model config was found in it "
        "(within 16777216 bytes of where one starts)\n"
    )


def test_json_and_jsonl_carry_every_file(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = scan(capsys, tree, "--json")
    document = json.loads(out)
    assert code == document["exit_code"] == 2
    assert document["summary"] == {
        "files": 4, "affected": 3, "suspect": 0, "clean": 0, "errors": 1,
        "skipped": 0, "bytes_read": sum(f["bytes_read"] for f in document["files"]),
    }  # fmt: skip
    assert code == main(["scan", str(tree), "--format", "json"])
    capsys.readouterr()
    code, out, _ = scan(capsys, tree, "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["file"] for line in lines] == [f["file"] for f in document["files"]]
    assert all(line["exit_code"] in (1, 2) for line in lines)


def test_a_resumed_scan_skips_what_was_read(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = tmp_path / "done.jsonl"
    first = [f"{tree}/a.keras", f"{tree}/team/broken.h5"]
    code, out, _ = scan(capsys, *first, "--format", "jsonl")
    assert code == 2
    done.write_text(out)
    code, out, _ = scan(capsys, tree, "--format", "jsonl", "--resume", done)
    again = [json.loads(line)["file"] for line in out.splitlines()]
    # a.keras was read: skipped; broken.h5 was an error: tried again.
    assert f"{tree}/a.keras" not in again and f"{tree}/team/broken.h5" in again
    assert code == 2
    text_code, text, _ = scan(capsys, f"{tree}/a.keras", "--resume", done)
    assert text_code == 1  # the skipped file's result still counts
    assert "1 skipped: already scanned" in text


def test_a_resume_file_that_cannot_be_used_is_one_line(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = scan(capsys, tree, "--resume", tmp_path)
    assert (code, out) == (2, "")
    assert err.startswith("scan: --resume: cannot read ") and len(err.splitlines()) == 1
    cut = tmp_path / "cut.jsonl"
    cut.write_text(
        '{"file": "a.keras", "status": "clean", "exit_code": 0}\n{"file": "b.k'
    )
    code, out, err = scan(capsys, tree, "--resume", cut, "--format", "jsonl")
    assert (code, out) == (2, "")
    assert err == (
        f"scan: --resume: the last line of {cut} is cut short (a scan stopped "
        "while writing it?); end or remove that line, then resume\n"
    )
    garbage = tmp_path / "report.json"
    garbage.write_text('{"files": [],\n "exit_code": 0}\n')
    code, _, err = scan(capsys, tree, "--resume", garbage)
    assert code == 2
    assert err == (
        f"scan: --resume: line 1 of {garbage} is not a line of a scan's JSON "
        "Lines output\n"
    )


def test_resumed_results_count_only_for_the_files_of_this_scan(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = tmp_path / "done.jsonl"
    code, out, _ = scan(capsys, tree / "a.keras", "--format", "jsonl")
    done.write_text(out)
    assert scan(capsys, tree / "team" / "c.hdf5.keras", "--resume", done)[0] == 1
    clean = tmp_path / "clean.json"
    clean.write_text('{"class_name": "Functional", "config": {"layers": []}}')
    code, out, _ = scan(capsys, clean, "--resume", done)
    assert (code, "skipped" in out) == (0, False)


def test_memory_urls_are_read_by_their_end_and_their_config(
    affected_model: AffectedModel, tmp_path: Path
) -> None:
    """fsspec's in-memory filesystem: the same code as S3 or GCS."""
    import fsspec

    memory = fsspec.filesystem("memory")
    big = synthetic_archive(tmp_path / "big.keras", 8 << 20)
    memory.put_file(str(big), "/fleet/prod/big.keras")
    memory.put_file(str(affected_model.path), "/fleet/prod/sub/small.keras")
    memory.pipe_file("/fleet/prod/readme.md", b"# models")
    try:
        reports = list(api.scan_many(["memory://fleet/prod/"]))
        assert [(r.file, r.status) for r in reports] == [
            ("memory://fleet/prod/big.keras", "affected"),
            ("memory://fleet/prod/sub/small.keras", "affected"),
        ]
        big_report = reports[0]
        config = len(zipfile.ZipFile(big).read("config.json"))
        assert big_report.bytes_read <= ranged.TAIL_BYTES + config + 1024
        assert big_report.requests is not None and big_report.requests <= 2
        assert api.scan("memory://fleet/prod/big.keras").requests == 3  # + its size
        [missing] = api.scan_many(["memory://fleet/none/"])
        assert missing.error == "no such file or prefix"
    finally:
        memory.rm("/fleet", recursive=True)


def test_a_store_whose_package_is_missing_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = scan(capsys, "gs://bucket/model.keras")
    assert (code, out) == (2, "")
    assert err == (
        "scan: gs://bucket/model.keras: reading gs:// URLs needs the gcsfs "
        "package: pip install gcsfs\n"
    )
    code, _, err = scan(capsys, "nosuchscheme://x/y.keras")
    assert code == 2 and "no filesystem is known for nosuchscheme:// URLs" in err


def test_the_api_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="a list of paths or URLs, not one"):
        api.scan_many("models/")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be at most 86400 seconds"):
        api.scan("x.keras", timeout=1e12)
    with pytest.raises(ValueError, match="max_config_mib must be a positive number"):
        api.scan("x.keras", max_config_mib=0)
    with pytest.raises(ValueError, match="jobs must be 1 or more"):
        api.scan_many(["x"], jobs=0)
    with pytest.raises(ValueError, match="either an output or in_place"):
        api.repair("x.keras")
    with pytest.raises(ValueError, match="either an output or in_place"):
        api.repair("x.keras", "y.keras", in_place=True)


def test_the_api_repairs_and_reports_without_raising(
    affected_model: AffectedModel, tmp_path: Path
) -> None:
    out = tmp_path / "fixed.keras"
    report = api.repair(affected_model.path, out)
    assert (report.status, report.exit_code, report.output) == ("repaired", 0, str(out))
    assert [r.argument for r in report.repairs] == ["scale", "offset"]
    again = api.repair(affected_model.path, out)
    assert (again.status, again.exit_code) == ("error", 2)
    assert (
        again.error == f"{out} exists; pass force=True to overwrite it; nothing written"
    )
    assert api.scan(out).status == "clean"
    assert api.repair(out, tmp_path / "copy.keras").status == "copied"
    memory_out = api.repair(affected_model.path, "memory://fixed/a.keras")
    assert (memory_out.status, memory_out.output) == (
        "repaired",
        "memory://fixed/a.keras",
    )
    assert api.scan("memory://fixed/a.keras").status == "clean"
    refused = api.repair("memory://fixed/a.keras", in_place=True)
    assert refused.error == (
        "memory://fixed/a.keras: in_place=True works on local files only; write the "
        "result elsewhere with an output (an existing object is never replaced "
        "without force=True); nothing written"
    )


def test_limits_hold_for_remote_input(tmp_path: Path) -> None:
    """A config.json claimed too big, and a compressed size that lies."""
    import fsspec

    memory = fsspec.filesystem("memory")
    huge = tmp_path / "huge.keras"
    with zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b"{" + b" " * (20 << 20) + b"}")
    memory.put_file(str(huge), "/limits/huge.keras")
    try:
        report = api.scan("memory://limits/huge.keras")
        assert report.error is not None and "over the limit" in report.error
        assert report.bytes_read <= ranged.TAIL_BYTES
        tight = Limits(max_config_bytes=1024, max_read_bytes=1024)
        reader = ranged.RangeReader(
            lambda s, e: b"\0" * (e - s), 1 << 30, budget=budget(tight)
        )
        with pytest.raises(ranged.ReadBudgetExceeded, match="more than"):
            reader.read(budget(tight) + 1)
    finally:
        memory.rm("/limits", recursive=True)


def test_locations_never_import_fsspec_for_local_paths(tree: Path) -> None:
    """Checked for real in a fresh interpreter in test_remote.py; here the
    selection alone."""
    selection = listing.Selection(include=("*.keras",), exclude=("skip/*",))
    assert selection.takes("a/b.keras") and not selection.takes("skip/b.keras")
    assert not selection.takes("b.txt")
