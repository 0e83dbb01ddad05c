"""Verdicts on a config's objects, in process: what a fleet's shared answers
must not blur.

``scan`` works out once per kind of object (module, class, keys) whether
the targeted releases read it, and keeps the answer for every later file.
The names an activation or a loss's reduction holds are judged per value:
two layers alike but for their activation are not alike to a release that
lacks one of them. The differential tier proves the verdicts against stock
Keras; these pin down that the kept answers give the same verdicts.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files import api

OLD = ("KRP013", '"celu"')  # an activation from 3.7.0 on
NEW = ("KRP013", '"sparse_plus"')  # from 3.8.0 on


def _dense(name: str, activation: object) -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": name, "trainable": True, "units": 2,
                   "activation": activation, "use_bias": True},
    }  # fmt: skip


def _saved(folder: Path, name: str, layers: list[Any], **model: Any) -> Path:
    """A ``.keras`` file saved by 3.8.0 holding ``layers`` (no weights: the
    judgement reads the config alone)."""
    config = {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {"name": "model", "trainable": True, "layers": layers},
        **model,
    }
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.8.0"}))
        archive.writestr("config.json", json.dumps(config))
    return path


def _values(path: Path, target: str) -> list[tuple[str, str | None]]:
    report = api.scan(path, target_keras=[target])
    return [(f.rule, f.value) for f in report.affected]


def test_an_activation_a_target_lacks_is_found_after_one_it_has(
    tmp_path: Path,
) -> None:
    plain = _saved(tmp_path, "plain.keras", [_dense("a", "relu")])
    newer = [_dense("a", "relu"), _dense("b", "celu"), _dense("c", "sparse_plus")]
    mixed = _saved(tmp_path, "mixed.keras", newer)
    assert _values(plain, "3.4.1") == []
    assert _values(mixed, "3.4.1") == [
        ("KRP013", '"celu"'),
        ("KRP013", '"sparse_plus"'),
    ]
    assert _values(mixed, "3.7.0") == [NEW]
    assert _values(mixed, "3.8.0") == []
    # the answers kept for 3.4.1 give the same verdicts a second time
    assert _values(plain, "3.4.1") == []
    assert _values(mixed, "3.4.1") == [
        ("KRP013", '"celu"'),
        ("KRP013", '"sparse_plus"'),
    ]


def test_an_activation_written_as_an_object_is_judged_beside_the_names(
    tmp_path: Path,
) -> None:
    # what Keras writes for a function of the user's own: no name to judge
    own = {"module": "builtins", "class_name": "function",
           "config": "my_activation", "registered_name": "function"}  # fmt: skip
    layers = [_dense("a", own), _dense("b", "celu"), _dense("c", own)]
    path = _saved(tmp_path, "object.keras", layers)
    assert _values(path, "3.4.1") == [("KRP013", '"celu"')]


def test_a_reduction_a_target_lacks_is_found_per_loss(tmp_path: Path) -> None:
    def loss(reduction: str) -> dict[str, Any]:
        return {"module": "keras.losses", "class_name": "MeanSquaredError",
                "config": {"name": "mse", "reduction": reduction}}  # fmt: skip

    layers = [_dense("a", "relu")]
    for reduction, found in (
        ("sum_over_batch_size", []),
        ("mean_with_sample_weight", [("KRP013", '"mean_with_sample_weight"')]),
        ("sum_over_batch_size", []),
    ):
        compiled = {"compile_config": {"loss": loss(reduction), "optimizer": "adam"}}
        path = _saved(tmp_path, f"{reduction}.keras", layers, **compiled)
        assert _values(path, "3.4.1") == found


def test_a_class_name_that_is_no_text_is_walked_past(tmp_path: Path) -> None:
    """A list or an object where a class name belongs (hand-edited) made the
    walk raise (a list is no key of a set), and a folder's scan stopped."""
    layer = _dense("a", "celu")
    layer["config"]["kernel_initializer"] = {"class_name": ["Orthogonal"], "config": {}}
    odd = {"class_name": {"x": 1}, "config": {"name": "odd", "trainable": True}}
    marker = {"class_name": ["__numpy__"], "config": {"value": [1.0]}}
    scaled = {"class_name": "Rescaling", "config": {"name": "r", "scale": marker}}
    path = _saved(tmp_path, "odd.keras", [layer, odd, scaled])
    assert _values(path, "3.4.1") == [OLD]


def test_an_activation_a_single_release_lacks_is_worded_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _saved(tmp_path, "celu.keras", [_dense("a", "celu")])
    assert main(["scan", str(path), "--target-keras", "3.4.1"]) == 1
    out = capsys.readouterr().out
    assert "an activation stock Keras 3.4.1 does not have (from 3.7.0 on)" in out
    assert main(["scan", str(path), "--target-keras", "3.4.0-3.4.1"]) == 1
    out = capsys.readouterr().out
    assert "an activation stock Keras 3.4.0-3.4.1 do not have (from 3.7.0 on)" in out


def test_an_argument_the_named_saver_lacks_is_judged_by_every_release_s_default(
    tmp_path: Path,
) -> None:
    """metadata.json names 3.8.0, whose Dense takes no quantization_config:
    the default every release that takes it agrees on (null) decides."""
    layer = _dense("a", "relu")
    layer["config"]["quantization_config"] = None
    path = _saved(tmp_path, "qc.keras", [layer])
    [finding] = api.scan(path, target_keras=["3.4.1"]).affected
    assert (finding.rule, finding.port, finding.blocked) == ("KRP011", "drop", None)
    layer["config"]["quantization_config"] = {"mode": "int8"}
    path = _saved(tmp_path, "int8.keras", [layer])
    [finding] = api.scan(path, target_keras=["3.4.1"]).affected
    assert finding.port is None and "not the default null" in str(finding.blocked)
