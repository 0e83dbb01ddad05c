"""The file tools at their edges, as a stranger met them, on the installed wheel.

Each test is a defect found by trying the wheel as a user would: a file name
that is not UTF-8 in SARIF, a closed pipe, a server that never answers, a
resumed scan as JSON, a symbolic link loop, a string where an array belongs,
the wording of a limit, an empty output name.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.servers import RangeServer
from support.synthetic import numpy_marker, rescaling_config
from tests.conftest import AffectedModel
from tests.subprocesses import Venv, environment

pytestmark = pytest.mark.slow  # fresh interpreters of the installed wheel


def run(
    venv: Venv, *arguments: str | os.PathLike[str], cwd: Path, **options: Any
) -> subprocess.CompletedProcess[bytes]:
    settings: dict[str, Any] = {"capture_output": True, "timeout": 120, **options}
    return subprocess.run(
        [venv.cli, *map(os.fsencode, arguments)],
        cwd=cwd, env=environment(), **settings,
    )  # fmt: skip


def test_sarif_names_files_whose_names_are_not_utf8(
    installed_files: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    """A name of raw bytes, a broken file of raw bytes, and a layer name with
    a lone surrogate (valid JSON): SARIF like the other formats, no traceback."""
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copyfile(affected_model.path, os.fsdecode(bytes(folder) + b"/\xff.keras"))
    Path(os.fsdecode(bytes(folder) + b"/\xfe.keras")).write_bytes(b"not a model")
    lonely = json.dumps(rescaling_config(numpy_marker([1.0]), name="\udcff"))
    (folder / "lonely.json").write_text(
        lonely, encoding="utf-8", errors="surrogatepass"
    )
    completed = run(
        installed_files, "scan", "models", "models/lonely.json", "--format", "sarif",
        cwd=tmp_path,
    )  # fmt: skip
    assert completed.returncode == 2, completed.stderr
    assert b"Traceback" not in completed.stderr
    log = json.loads(completed.stdout)
    [run_] = log["runs"]
    uris = [
        location["physicalLocation"]["artifactLocation"]["uri"]
        for result in run_["results"]
        for location in result["locations"]
    ]
    assert "models/%FF.keras" in uris and "models/lonely.json" in uris
    [notification] = run_["invocations"][0]["toolExecutionNotifications"]
    artifact = notification["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == "models/%FE.keras"


def test_a_reader_that_closes_the_pipe_is_told_of_in_one_line(
    installed_files: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    """``scan ... | true``: the output stops, one line says so, and the
    exit code is still the scan's."""
    shutil.copyfile(affected_model.path, tmp_path / "a.keras")
    reading, writing = os.pipe()
    os.close(reading)  # the reader went away before a line was written
    try:
        completed = run(
            installed_files, "scan", "a.keras", "--format", "jsonl", cwd=tmp_path,
            capture_output=False, stdout=writing, stderr=subprocess.PIPE,
        )  # fmt: skip
    finally:
        os.close(writing)
    assert completed.returncode == 1
    assert completed.stderr == (
        b"keras-rescaling-patch: could not write the output: its reader closed "
        b"the pipe before the end\n"
    )


@pytest.fixture
def silent_server(tmp_path: Path) -> Iterator[str]:
    server = RangeServer(tmp_path)
    try:
        yield server.behave("silent.keras", "silent")
    finally:
        server.close()


@pytest.mark.parametrize("command", ["scan", "repair"])
def test_a_server_that_never_answers_costs_one_time_limit(
    command: str, installed_files: Venv, silent_server: str, tmp_path: Path
) -> None:
    """``--timeout 2``: 2 seconds, not one for the size and one more for a
    second way of asking it."""
    output = ["-o", "out.keras"] if command == "repair" else []
    started = time.monotonic()
    completed = run(
        installed_files, command, silent_server, *output, "--timeout", "2",
        cwd=tmp_path,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert completed.returncode == 2
    assert b"the server did not answer in time" in completed.stderr
    assert seconds < 3.5, f"{seconds:.1f} s"


def test_a_resumed_scan_as_json_counts_what_it_skipped(
    installed_files: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("a.keras", "b.keras"):
        shutil.copyfile(affected_model.path, folder / name)
    done = tmp_path / "done.jsonl"
    first = run(installed_files, "scan", "models", "--format", "jsonl", cwd=tmp_path)
    done.write_bytes(first.stdout)
    completed = run(
        installed_files, "scan", "models", "--resume", done, "--json", cwd=tmp_path
    )
    document = json.loads(completed.stdout)
    assert completed.returncode == document["exit_code"] == 1
    assert (document["summary"]["files"], document["summary"]["skipped"]) == (0, 2)


def test_a_symbolic_link_loop_is_named_as_one(
    installed_files: Venv, tmp_path: Path
) -> None:
    (tmp_path / "loop.keras").symlink_to("loop.keras")
    completed = run(installed_files, "repair", "loop.keras", "-o", "x", cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr == (
        b"repair: loop.keras: is a symbolic link loop; nothing written\n"
    )
    completed = run(installed_files, "scan", "loop.keras", cwd=tmp_path)
    assert completed.stderr == b"scan: loop.keras: is a symbolic link loop\n"


def test_a_string_where_an_array_belongs_is_malformed_input(
    installed_files: Venv, tmp_path: Path
) -> None:
    (tmp_path / "string.json").write_text(
        json.dumps(rescaling_config(numpy_marker("x")))
    )
    scanned = run(installed_files, "scan", "string.json", cwd=tmp_path)
    assert scanned.returncode == 1
    assert b"  model/rescaling  scale  __numpy__ float64 (its value is a str, " in (
        scanned.stdout
    )
    assert b"shape" not in scanned.stdout
    repaired = run(
        installed_files, "repair", "string.json", "-o", "o.json", cwd=tmp_path
    )
    assert repaired.returncode == 2, "bad input, not a value to round"
    assert repaired.stderr == (
        b"repair: string.json: model/rescaling scale: holds a str where an "
        b"array's values belong; nothing written\n"
    )
    assert not (tmp_path / "o.json").exists()


def test_the_container_limit_says_what_it_limits(
    installed_files: Venv, tmp_path: Path
) -> None:
    config = rescaling_config(numpy_marker([1.0]))
    config["padding"] = [[] for _ in range(80_000)]
    text = json.dumps(config)
    containers = text.count("{") + text.count("[")
    with zipfile.ZipFile(tmp_path / "nested.keras", "w") as archive:
        archive.writestr("config.json", text)
    completed = run(
        installed_files, "scan", "nested.keras", "--max-config-mib", "1", cwd=tmp_path
    )
    assert completed.returncode == 2
    assert completed.stderr == (
        f"scan: nested.keras: config.json holds {containers} objects and lists, "
        "more than the 65536 that".encode()
        + b" --max-config-mib allows (one for every 16 bytes of config "
        b"it allows)\n"
    )


def test_an_empty_output_name_is_named_as_such(
    installed_files: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    shutil.copyfile(affected_model.path, tmp_path / "a.keras")
    completed = run(installed_files, "repair", "a.keras", "-o", "", cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr == (
        b"repair: the output's name is empty; nothing written\n"
    )
    assert sorted(os.listdir(tmp_path)) == ["a.keras"]
