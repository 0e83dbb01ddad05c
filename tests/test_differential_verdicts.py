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

The same holds for what ``repair`` knows of the classes' own arithmetic
(``files/judgement/arithmetic.py``): a case exact only by an entry is
repaired and used bit for bit on every release, and refused without the
entry; a case that computes differently with a plain number is refused,
and the file written for it with rounding allowed differs on some release
(so the entry is needed). Rounding itself (``allow_rounding``) is checked
against Keras: the differences a repair reports are those between the
array the model in memory held and the value the loaded class holds.
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

from keras_rescaling_patch._keras_releases import Version
from keras_rescaling_patch.files import api
from keras_rescaling_patch.files.judgement import arithmetic, restoration, verdicts
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
# The cases exact only by an entry of arithmetic.py, by the entry's class.
EXACT_BY_ARITHMETIC = {
    "PiecewiseConstantDecay": ("piecewise_values_sgd", "piecewise_values_adamw"),
    "Masking": ("masking_numpy_exact",),
}
# Float64 arrays of classes that compute with them as given on the releases
# before these (AUC's dtype is None before 3.2.0: its result is float64).
REFUSED_BEFORE = {"auc_label_weights": "3.2.0", "auc_label_weights_float64": "3.2.0"}
# The cases of an entry whose class computes differently with a plain number.
COMPUTES_DIFFERENTLY = {
    "Ftrl learning_rate_power": ("ftrl_power_tensor",),
    "the focal losses' gamma": (
        "binary_focal_gamma_tensor",
        "categorical_focal_gamma_tensor",
    ),
    "CategoricalFocalCrossentropy alpha": ("categorical_focal_alpha_tensor",),
}
# Floats float32 cannot hold, in classes that compute with them as given.
ROUNDED = ("masking_float64", "categorical_focal_alpha_float64")
REFUSED_UNLESS_ROUNDING = (
    *(name for names in COMPUTES_DIFFERENTLY.values() for name in names),
    *ROUNDED,
)


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
    refusals: dict[str, str]  # the refused cases: what repair said
    rounded: dict[str, Any]  # what the release did with the rounded files
    rounding: dict[str, Any]  # what repair said it rounded, by case

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
    refusals: dict[str, str] = {}
    rounding: dict[str, Any] = {}
    for name, outcome in stock.items():
        if not (isinstance(outcome, dict) and outcome.get("built")):
            continue
        path = folder / f"{name}.keras"
        scanned = api.scan(path, target_keras=[version])
        verdicts[name] = scanned.status
        if scanned.affected or scanned.suspect or scanned.other:
            written.add(name)
        report = api.repair(path, folder / f"{name}.repaired.keras", force=True)
        repairs[name] = report.status
        if report.error is not None:
            refusals[name] = report.error
        if report.status == "refused":
            rounded_report = api.repair(
                path, folder / f"{name}.rounded.keras", allow_rounding=True
            )
            rounding[name] = rounded_report.as_dict()
    _driver(venv_bin, "load", folder)
    repaired = json.loads((folder / "repaired.json").read_text())
    rounded = json.loads((folder / "rounded.json").read_text())
    return Release(
        version, folder, stock, repaired, verdicts, repairs, frozenset(written),
        refusals, rounded, rounding,
    )  # fmt: skip


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
    expected = [n for n in release.built if n not in _refused(release)]
    repaired = [
        n for n in release.built if release.repairs[n] in ("repaired", "copied")
    ]
    assert repaired == expected, release.refusals
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


@pytest.mark.parametrize("version", list(RELEASES))
def test_what_a_plain_number_cannot_give_is_refused_naming_the_opt_in(
    version: str,
) -> None:
    release = releases()[version]
    refused = _refused(release)
    assert refused, "no case of a refusal was built"
    for name in refused:
        assert release.repairs[name] == "refused", (name, release.repairs[name])
        assert "allow_rounding=True" in release.refusals[name], release.refusals[name]
        assert not (release.folder / f"{name}.repaired.keras").exists()


def _refused(release: Release) -> list[str]:
    """The cases repair must refuse without rounding (a file is repaired
    for the release that saved it and later ones): of those the release does
    not restore (3.9.0 restores Masking's arrays itself)."""
    saver = Version.parse(release.version)
    return [
        name
        for name in release.built
        if release.verdicts[name] == "affected"
        and (
            name in REFUSED_UNLESS_ROUNDING
            or (name in REFUSED_BEFORE and saver < Version.parse(REFUSED_BEFORE[name]))
        )
    ]


def _entry(owner: str) -> arithmetic.Handling:
    [entry] = [e for e in arithmetic.HANDLINGS if owner in e.classes]
    return entry


@pytest.mark.parametrize("owner", list(EXACT_BY_ARITHMETIC))
def test_each_exact_entry_is_needed(
    owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry's cases are repaired (and used bit for bit, above); without
    it, repair refuses them."""
    removed = _entry(owner)
    monkeypatch.setattr(
        arithmetic, "HANDLINGS", tuple(e for e in arithmetic.HANDLINGS if e != removed)
    )
    refused = []
    for release in releases().values():
        for name in EXACT_BY_ARITHMETIC[owner]:
            if name not in release.built or name in _refused(release):
                continue
            if release.verdicts[name] != "affected":
                continue
            assert release.repairs[name] == "repaired", release.refusals.get(name)
            report = api.repair(
                release.folder / f"{name}.keras",
                release.folder / f"{name}.without-entry.keras",
            )
            refused.append(report.status == "refused")
    assert any(refused), "no release's case needs the entry"


@pytest.mark.parametrize("owner", list(COMPUTES_DIFFERENTLY))
def test_each_entry_of_a_class_computing_differently_is_needed(owner: str) -> None:
    """What would be written without the entry (the plain value, as the
    rounded file holds it: these values need no rounding) gives some
    release results that differ from the model in memory."""
    differing = []
    for release in releases().values():
        for name in COMPUTES_DIFFERENTLY[owner]:
            if name in release.rounded:
                moved = release.rounding[name]["repairs"][0]["rounding"]
                assert moved is None, moved  # nothing rounded: only the entry
                if not release.rounded[name]["works"]:
                    differing.append((release.version, release.rounded[name]))
    assert differing, f"the {owner} entry changes nothing: nothing tests it"


@pytest.mark.parametrize("version", list(RELEASES))
def test_rounding_reports_how_far_the_value_keras_computes_with_moved(
    version: str,
) -> None:
    """Allowed, rounding writes the file; the release loads it, and the
    differences the report gives are those between the array the model in
    memory held and the value the loaded class holds."""
    release = releases()[version]
    checked = 0
    for name in ROUNDED:
        if name not in _refused(release):
            continue
        report = release.rounding[name]
        assert report["status"] == "repaired", report
        [repair] = [r for r in report["repairs"] if r["rounding"] is not None]
        rounding = repair["rounding"]
        loaded = release.rounded[name]
        assert loaded["works"] or loaded["step"] == "compare", loaded
        assert loaded["moved"] == {
            "absolute": rounding["largest_absolute_difference"],
            "relative": rounding["largest_relative_difference"],
        }
        assert rounding["largest_absolute_difference"] > 0
        checked += 1
    assert checked >= 1


def test_the_rule_for_float64_arrays_computed_with_as_given_is_needed() -> None:
    """Without it (float64 values float32 holds written as they are, as the
    rounded files hold them), some release computes differently: stock
    3.0.0's AUC returns a float64 result from float64 label_weights."""
    differing = []
    for release in releases().values():
        for name in REFUSED_BEFORE:
            if name in _refused(release) and name in release.rounded:
                if release.rounding[name]["repairs"][0]["rounding"] is not None:
                    continue  # values rounded too: not the rule alone
                if not release.rounded[name]["works"]:
                    differing.append((release.version, name))
    assert differing, "the rule changes nothing: nothing tests it"
