"""``scan --target-keras`` and ``repair --target-keras`` against stock Keras.

Stock Keras is the oracle. Ordinary models (``support/portability_cases.py``:
an MLP, CNNs, RNNs, attention, a transformer block, Sequential, two inputs,
every common initializer, regularizer, constraint, optimizer, schedule,
loss and metric, and two non-default values of arguments newer releases
added) are saved by stock 3.7.0, 3.11.3, 3.13.2, 3.14.1 and 3.15.1, each
by its own release. For each target, 3.0.0, 3.3.3, 3.4.1, 3.12.1 and 3.13.2,
``scan --target-keras`` judges every file here, and ``repair
--target-keras`` ports every file it calls affected; then the target, one
process for all files, loads every original and every port and uses it.
The verdict must be what the target does (clean exactly when it loads the
file, every weight bit-identical, the optimizer state restored, a
prediction within float32 rounding, a step of ``fit``); every port must
load and work so; a non-default value must be refused, never ported.
Each entry of the hand-written table is removed in turn, and so are the
per-release data: some verdict or port must then go wrong.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from keras_rescaling_patch.files import api
from keras_rescaling_patch.files.judgement import (
    changes,
    knowledge,
    release_scope,
    structures,
)
from support.processes import ROOT, environment, once, release_venv

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.portability]

STACKS = {
    "3.0.0": ("tensorflow-cpu==2.16.2", "numpy<2"),
    "3.3.3": ("tensorflow-cpu==2.16.2", "numpy<2"),
    "3.4.1": ("tensorflow-cpu==2.16.2", "numpy<2"),
    "3.7.0": ("tensorflow-cpu==2.18.1", "numpy<2.1"),
    "3.11.3": ("tensorflow-cpu==2.20.0",),
    "3.12.1": ("tensorflow-cpu==2.21.0",),
    "3.13.2": ("tensorflow-cpu==2.21.0",),
    "3.14.1": ("tensorflow-cpu==2.21.0",),
    "3.15.1": ("tensorflow-cpu==2.21.0",),
}
SAVERS = ("3.7.0", "3.11.3", "3.13.2", "3.14.1", "3.15.1")
TARGETS = ("3.0.0", "3.3.3", "3.4.1", "3.12.1", "3.13.2")
DRIVER = ROOT / "support" / "portability_cases.py"
NON_DEFAULT = ("attention_gated", "batch_norm_renorm")
NEW_NAMES = ("celu_activation", "reduction_mean", "metric_by_name")
# Classes the oldest targets have under no name at all (3.0.0's table of
# initializers holds no Identity until 3.2.1).
NEW_CLASSES = ("identity",)


def _driver(version: str, *arguments: str | Path) -> None:
    venv_bin = release_venv(f"keras-{version}", f"keras=={version}", *STACKS[version])
    completed = subprocess.run(
        [str(venv_bin / "python"), str(DRIVER), *map(str, arguments)],
        env=environment(KERAS_BACKEND="tensorflow"), capture_output=True,
        text=True, timeout=1800,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]


def works(outcome: dict[str, Any]) -> bool:
    """What the oracle counts as loading: loaded, weights bit-identical,
    optimizer state back, a close prediction, and fit running."""
    checks = ("weights_identical", "predicts", "optimizer_restored", "fits")
    return bool(outcome.get("loads")) and all(outcome.get(c, True) for c in checks)


@dataclass(frozen=True)
class Target:
    """One target release: what scan said of every file, what repair did,
    and what the release did with the originals and the ports."""

    version: str
    verdicts: dict[str, str]  # file (saver/case.keras) -> clean | affected
    repairs: dict[str, str]  # affected file -> repaired | refused, or an error
    loaded: dict[str, Any]  # file -> outcome of the original
    ported: dict[str, Any]  # file -> outcome of the port


@dataclass(frozen=True)
class Oracle:
    folder: Path
    files: tuple[str, ...]
    targets: dict[str, Target]


def _files(saved: Path) -> tuple[str, ...]:
    return tuple(
        str(path.relative_to(saved))
        for saver in SAVERS
        for path in sorted((saved / saver).glob("*.keras"))
    )


def _judge_and_port(folder: Path, files: tuple[str, ...], target: str) -> Target:
    saved, ports = folder / "saved", folder / f"ported-{target}"
    verdicts, repairs = {}, {}
    for name in files:
        verdicts[name] = api.scan(saved / name, target_keras=[target]).status
        if verdicts[name] != "affected":
            continue
        out = ports / name
        out.parent.mkdir(parents=True, exist_ok=True)
        report = api.repair(saved / name, out, target_keras=[target])
        repairs[name] = report.error or report.status
        if report.status == "repaired":
            shutil.copyfile((saved / name).with_suffix(".npz"), out.with_suffix(".npz"))
    return Target(target, verdicts, repairs, {}, {})


def _load(folder: Path, target: Target) -> Target:
    version = target.version
    ports = folder / f"ported-{version}"
    ports.mkdir(exist_ok=True)
    loaded, ported = folder / f"loaded-{version}.json", folder / f"ports-{version}.json"
    _driver(version, "load", folder / "saved", loaded, ports, ported)
    return Target(
        version,
        target.verdicts,
        target.repairs,
        _keyed(json.loads(loaded.read_text())),
        _keyed(json.loads(ported.read_text())),
    )


def _keyed(outcomes: dict[str, Any]) -> dict[str, Any]:
    return {name: outcome for name, outcome in outcomes.items() if name != "keras"}


@once
def oracle() -> Oracle:
    """Save on every saver, judge and port for every target in this
    process, load on every target: two releases at a time (two cores)."""
    folder = Path(tempfile.mkdtemp(prefix="krp-portability-"))
    saved = folder / "saved"
    for saver in SAVERS:
        (saved / saver).mkdir(parents=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: _driver(s, "save", saved / s), SAVERS))
        files = _files(saved)
        judged = [_judge_and_port(folder, files, t) for t in TARGETS]
        done = list(pool.map(lambda t: _load(folder, t), judged))
    return Oracle(folder, files, {t.version: t for t in done})


def _disagreements(target: Target, verdicts: dict[str, str]) -> list[str]:
    wrong = []
    for name, outcome in target.loaded.items():
        if (verdicts[name] == "clean") != works(outcome):
            wrong.append(f"{name}: scan says {verdicts[name]}, {outcome}")
    return wrong


@pytest.mark.parametrize("target", TARGETS)
def test_the_verdict_for_a_target_is_what_that_target_does(target: str) -> None:
    found = oracle().targets[target]
    assert len(found.loaded) == len(oracle().files) >= 5 * 40
    assert _disagreements(found, found.verdicts) == []


@pytest.mark.parametrize("target", TARGETS)
def test_the_target_loads_every_port_with_identical_weights(target: str) -> None:
    found = oracle().targets[target]
    ported = [name for name, status in found.repairs.items() if status == "repaired"]
    assert sorted(ported) == sorted(found.ported)
    failing = {
        name: found.ported[name] for name in ported if not works(found.ported[name])
    }
    assert failing == {}


@pytest.mark.parametrize("target", TARGETS)
def test_every_affected_file_is_ported_or_refused_with_its_reason(target: str) -> None:
    found = oracle().targets[target]
    layouts = {layout.class_name for layout in changes.LAYOUTS}
    for name, status in found.repairs.items():
        case = Path(name).stem
        laid_out = any(f": {kind} " in status for kind in layouts)
        if "no port changes" in status and laid_out:
            continue  # weights laid out otherwise: refused first, whatever else
        if case in NON_DEFAULT:
            assert "not the default" in status and "oldest release" in status, status
        elif case in NEW_CLASSES and "no targeted release has" in status:
            assert "oldest release that loads it" in status, status
        elif case == "nadam" and "Nadam" in status:
            assert "Nadam may hold its optimizer state as" in status, status
        elif case in NEW_NAMES and "those releases do not have" in status:
            continue
        else:
            assert status == "repaired", f"{name}: {status}"


def test_files_are_ported_down_as_well_as_judged() -> None:
    """The tier tests something: most files from newer releases fail on the
    older targets, and the ports are what makes them load."""
    found = oracle().targets["3.3.3"]
    affected = [n for n, v in found.verdicts.items() if v == "affected"]
    assert len(affected) > 120
    assert not any(works(found.loaded[n]) for n in affected)
    assert sum(works(found.ported[n]) for n in found.ported) > 120


@contextmanager
def _without(name: str) -> Iterator[None]:
    """The judgement with one entry of the table taken out."""
    patch = pytest.MonkeyPatch()
    try:
        if name == "unwrapped-io":
            patch.setattr(structures, "is_triple", lambda value: False)
        elif name == "nadam-state":
            patch.setattr(
                changes, "NADAM_STATE", changes.Structure("nadam-state", "", None, "")
            )
        elif name == "containers":
            patch.setattr(changes, "CONTAINERS", frozenset())
        elif name in changes.LAYOUT_OF:
            kept = {k: v for k, v in changes.LAYOUT_OF.items() if k != name}
            patch.setattr(changes, "LAYOUT_OF", kept)
        elif name == "families":  # every name found by its module alone
            patch.setattr(knowledge, "FAMILIES", frozenset())
        elif name == "per-release":  # every release as the newest
            real = knowledge.Knowledge.found
            patch.setattr(knowledge.Knowledge, "found",
                          lambda self, lookup, release: real(
                              self, lookup, len(self.releases) - 1))  # fmt: skip
        _clear_caches()
        yield
    finally:
        patch.undo()
        _clear_caches()


def _clear_caches() -> None:
    release_scope.clear_caches()


@pytest.mark.parametrize(
    "entry",
    ["unwrapped-io", "nadam-state", "containers", "families", "per-release"],
)  # fmt: skip
def test_each_entry_of_the_knowledge_is_needed(entry: str) -> None:
    """Without it, some target's verdict on some file is wrong."""
    done = oracle()
    wrong = []
    with _without(entry):
        for target in done.targets.values():
            verdicts = {
                name: api.scan(
                    done.folder / "saved" / name, target_keras=[target.version]
                ).status
                for name in done.files
            }
            wrong += _disagreements(target, verdicts)
    assert wrong, f"without {entry} every verdict is still right: nothing tests it"


def test_each_value_that_behaves_as_an_absent_argument_is_needed() -> None:
    """Without the table's values, a port the target loads is refused."""
    done = oracle()
    target = done.targets["3.4.1"]
    ported = [n for n, s in target.repairs.items() if s == "repaired"]
    refused = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(changes, "SAME_AS_ABSENT", {})
        _clear_caches()
        for name in ported:
            out = done.folder / "without" / name
            out.parent.mkdir(parents=True, exist_ok=True)
            report = api.repair(
                done.folder / "saved" / name, out, target_keras=["3.4.1"], force=True
            )
            if report.status == "refused":
                refused.append(name)
    _clear_caches()
    assert refused and all(works(target.ported[n]) for n in refused)


def test_each_weights_layout_of_the_knowledge_is_needed() -> None:
    """Without a layout entry, a file it refuses for 3.0.0 is ported, and
    stock 3.0.0 loads that port wrong or not at all (every file of a newer
    release fails on 3.0.0 for other reasons too, so the verdicts alone
    cannot show it)."""
    done = oracle()
    target = done.targets["3.0.0"]
    base = done.folder / "without-layout"
    for entry in changes.LAYOUT_OF:
        with _without(entry):
            for name, status in target.repairs.items():
                if f": {entry} " not in status:
                    continue
                out = base / entry / name
                out.parent.mkdir(parents=True, exist_ok=True)
                saved = done.folder / "saved" / name
                report = api.repair(saved, out, target_keras=["3.0.0"], force=True)
                if report.status == "repaired":
                    shutil.copyfile(saved.with_suffix(".npz"), out.with_suffix(".npz"))
    base.mkdir(exist_ok=True)
    _driver("3.0.0", "load", base, base / "loaded.json")
    outcomes = _keyed(json.loads((base / "loaded.json").read_text()))
    for entry in changes.LAYOUT_OF:
        ported = [name for name in outcomes if name.startswith(f"{entry}/")]
        assert ported, f"without {entry} nothing is ported: nothing tests it"
        assert not all(works(outcomes[name]) for name in ported), (entry, ported)
