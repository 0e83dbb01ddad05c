"""The README's compatibility tables are generated, and kept fresh."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_report_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "matrix_report", ROOT / "scripts/matrix_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_match_the_results_file() -> None:
    report = load_report_script()
    committed = json.loads((ROOT / "matrix/results.json").read_text())
    assert (
        report.readme_with(report.render(committed)) == (ROOT / "README.md").read_text()
    ), "README tables are stale: run `python scripts/matrix_report.py --update`"


def test_every_cell_is_in_the_results_and_none_failed() -> None:
    report = load_report_script()
    committed = json.loads((ROOT / "matrix/results.json").read_text())
    expected = {f"{r}/{b}" for r in report.RELEASES for b in report.BACKENDS}
    assert set(committed["cells"]) == expected
    assert report.failures(committed) == []


def test_a_changed_status_changes_the_table() -> None:
    report = load_report_script()
    committed = json.loads((ROOT / "matrix/results.json").read_text())
    changed = copy.deepcopy(committed)
    changed["cells"]["3.4.1/tensorflow"]["status"] = "fail"
    assert report.render(changed) != report.render(committed)
    assert report.failures(changed) == ["3.4.1/tensorflow"]


def test_repaired_files_were_loaded_without_the_shim_by_every_release() -> None:
    report = load_report_script()
    loads = json.loads((ROOT / "matrix/results.json").read_text())["cross_version"]
    for writer in report.CROSS_VERSION:
        for loader in report.CROSS_VERSION:
            assert f"{writer}+repaired -> {loader} (stock)" in loads
