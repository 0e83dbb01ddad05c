"""``scan``'s verdicts against what stock Keras does, and ``repair`` against it.

On each release around every boundary the table knows (3.0.0, 3.4.1 and
3.5.0 around Rescaling's fix, 3.8.0 and 3.9.0 around Masking's, the latest),
``support/verdict_cases.py`` builds models whose configs hold serialized
arrays (NumPy arrays and backend tensors; in layers, in nested objects, in
the compile config), saves them, and loads and uses them with that stock
release. Here, in the test process, ``scan`` judges each saved file for
that release: it must call it affected exactly when the release failed with
it (at loading, calling, evaluating or training, by a different result, or
by keeping the marker). Then ``repair`` rewrites it, and the release must
load and use the repaired file with the results of the model in memory,
bit for bit. Each entry of the table, and the general rule, is also removed
in turn: some verdict must then be wrong, or the tests would not be testing
it.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from keras_rescaling_patch.files import api
from keras_rescaling_patch.files.judgement import restoration, verdicts
from support.processes import ROOT, environment, once, release_venv

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.verdicts]

OLD_STACK = ("tensorflow-cpu==2.16.2", "numpy<2")
MIDDLE_STACK = ("tensorflow-cpu==2.18.1", "numpy<2.1")
RELEASES = {
    "3.0.0": OLD_STACK,
    "3.4.1": OLD_STACK,
    "3.5.0": OLD_STACK,
    "3.8.0": MIDDLE_STACK,
    "3.9.0": MIDDLE_STACK,
    "3.15.1": ("tensorflow-cpu==2.21.0",),
}
DRIVER = ROOT / "support" / "verdict_cases.py"
# Which cases show each entry of the table is needed.
NEEDS = {
    "Rescaling": ("rescaling_numpy", "rescaling_tensor"),
    "Masking": ("masking_tensor",),
    "Constant": ("constant_initializer_numpy",),
    "Lambda": ("lambda_arguments_numpy",),
    "LossFunctionWrapper": ("mean_metric_wrapper_tensor",),
}


@dataclass(frozen=True)
class Release:
    """One release's cases: what stock Keras did with each saved file, and
    with each repaired one, and what scan and repair said."""

    version: str
    folder: Path
    stock: dict[str, Any]
    repaired: dict[str, Any]
    verdicts: dict[str, str]
    repairs: dict[str, str]
    written: frozenset[str]  # cases whose file holds a marker

    @property
    def built(self) -> list[str]:
        """The cases this release could build, and saved with their array
        written as a marker (3.0.0 drops Huber's delta from the file
        altogether: no marker, nothing to judge)."""
        return [
            name
            for name, outcome in self.stock.items()
            if isinstance(outcome, dict)
            and outcome.get("built")
            and name in self.written
        ]


def _driver(venv_bin: Path, action: str, folder: Path) -> None:
    completed = subprocess.run(
        [str(venv_bin / "python"), str(DRIVER), action, str(folder)],
        env=environment(KERAS_BACKEND="tensorflow"), capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]


def _run(version: str) -> Release:
    venv_bin = release_venv(f"keras-{version}", f"keras=={version}", *RELEASES[version])
    folder = Path(tempfile.mkdtemp(prefix=f"krp-verdicts-{version}-"))
    _driver(venv_bin, "save", folder)
    stock = json.loads((folder / "stock.json").read_text())
    verdicts, repairs, written = {}, {}, set()
    for name, outcome in stock.items():
        if not (isinstance(outcome, dict) and outcome.get("built")):
            continue
        path = folder / f"{name}.keras"
        scanned = api.scan(path, target_keras=[version])
        verdicts[name] = scanned.status
        if scanned.affected or scanned.suspect or scanned.other:
            written.add(name)
        report = api.repair(path, folder / f"{name}.repaired.keras", force=True)
        repairs[name] = report.error or report.status
    _driver(venv_bin, "load", folder)
    repaired = json.loads((folder / "repaired.json").read_text())
    return Release(
        version, folder, stock, repaired, verdicts, repairs, frozenset(written)
    )


@once
def releases() -> dict[str, Release]:
    """Every release's cases, two releases at a time (two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(RELEASES, pool.map(_run, RELEASES), strict=True))
    return done


def _disagreements(release: Release, verdicts: dict[str, str]) -> list[str]:
    wrong = []
    for name in release.built:
        works = bool(release.stock[name]["works"])
        said = verdicts[name]
        if (said == "affected") == works or said not in ("affected", "clean"):
            wrong.append(f"{name}: scan says {said}, {release.stock[name]}")
    return wrong


@pytest.mark.parametrize("version", list(RELEASES))
def test_the_verdict_for_a_release_is_what_that_release_does(version: str) -> None:
    release = releases()[version]
    assert len(release.built) >= 10, release.stock
    assert _disagreements(release, release.verdicts) == []


@pytest.mark.parametrize("version", list(RELEASES))
def test_the_release_loads_and_uses_every_repaired_file_as_in_memory(
    version: str,
) -> None:
    release = releases()[version]
    repaired = [
        n for n in release.built if release.repairs[n] in ("repaired", "copied")
    ]
    assert repaired == release.built, release.repairs
    failing = {
        name: release.repaired[name]
        for name in repaired
        if not release.repaired[name]["works"]
    }
    assert failing == {}


def _rescanned(release: Release, restored: Callable[..., tuple[bool, str | None]],
               monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:  # fmt: skip
    with monkeypatch.context() as patch:
        patch.setattr(verdicts, "restored_since", restored)
        return {
            name: api.scan(release.folder / f"{name}.keras",
                           target_keras=[release.version]).status
            for name in release.built
        }  # fmt: skip


@pytest.mark.parametrize("entry", list(NEEDS))
def test_each_entry_of_the_table_is_needed(
    entry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the entry, some release's verdict on its cases is wrong."""
    [removed] = [r for r in restoration.RESTORERS if entry in r.classes]
    kept = tuple(r for r in restoration.RESTORERS if r is not removed)

    def without(owner: str, argument: str) -> tuple[bool, str | None]:
        with monkeypatch.context() as patch:
            patch.setattr(restoration, "RESTORERS", kept)
            return restoration.restored_since(owner, argument)

    wrong = []
    for release in releases().values():
        verdicts = _rescanned(release, without, monkeypatch)
        wrong += [
            line
            for line in _disagreements(release, verdicts)
            if line.split(":")[0] in NEEDS[entry]
        ]
    assert wrong, f"the {entry} entry changes no verdict: nothing tests it"


def test_the_general_rule_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the rule (every Keras class restoring everything), the
    releases' failures go unreported."""
    wrong = []
    for release in releases().values():
        verdicts = _rescanned(
            release, lambda owner, argument: (True, None), monkeypatch
        )
        wrong += _disagreements(release, verdicts)
    assert any(line.startswith("unit_norm_axis_numpy") for line in wrong)
    assert any(line.startswith("auc_label_weights") for line in wrong)
