"""Models whose configs hold serialized arrays, built, saved and used on the
stock Keras release of the interpreter that runs this: the oracle of the
differential tests of ``scan``'s verdicts and ``repair``.

Run by path in a release's venv (never importing keras_rescaling_patch):

- ``save FOLDER``: build each case, record what the model in memory gives
  (``predict``, ``evaluate``, one epoch of ``fit``), save it as
  ``CASE.keras``, then load it back with this stock Keras and use it the
  same way: ``FOLDER/stock.json`` says, per case, whether it worked, and if
  not, at which step and why (a loaded object that keeps a marker dict
  counts as not restored, even when nothing failed);
- ``load FOLDER``: load each ``CASE.repaired.keras`` and use it:
  ``FOLDER/repaired.json`` says whether it worked, with outputs identical to
  the model in memory (bit for bit where the case's math is exact); and
  each ``CASE.rounded.keras`` (repaired with rounding allowed):
  ``FOLDER/rounded.json`` says the same, and how far the value the loaded
  class holds lies from the array the model in memory held (the largest
  absolute and relative difference, as NumPy computes them).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
from keras import ops

MARKERS = ("__numpy__", "__tensor__", "__bytes__")


@keras.saving.register_keras_serializable(package="krp_verdicts")
def weighted(x: Any, w: Any) -> Any:
    return x * w


@keras.saving.register_keras_serializable(package="krp_verdicts")
def shifted_error(y_true: Any, y_pred: Any, shift: Any = 0.0) -> Any:
    return ops.mean(ops.abs(y_true - y_pred + shift), axis=-1)


def tensor(value: Any) -> Any:
    return ops.convert_to_tensor(value)


def dense_model(*middle: Any, width: int = 3) -> keras.Model:
    inputs = keras.Input(shape=(width,))
    x = inputs
    for layer in middle:
        x = layer(x)
    outputs = keras.layers.Dense(2, name="head")(x)
    return keras.Model(inputs, outputs, name="model")


def _hidden() -> keras.layers.Layer:
    """A hidden layer, for weights enough that a difference in the update
    shows (a square root and a power of 0.5 differ for some values only)."""
    return keras.layers.Dense(8, activation="tanh", name="hidden")


def _piecewise(optimizer: Callable[..., Any], **options: Any) -> Any:
    """An optimizer whose rate falls after the first step, from a float64
    array of rates float32 cannot hold (the optimizer casts each to its
    float32 variables)."""
    rates = keras.optimizers.schedules.PiecewiseConstantDecay(
        np.array([1]), np.array([0.1, 0.03])
    )
    return optimizer(learning_rate=rates, **options)


def _compiled(model: keras.Model, **options: Any) -> keras.Model:
    model.compile(
        optimizer=options.pop("optimizer", "sgd"), loss=options.pop("loss", "mse"),
        **options,
    )  # fmt: skip
    return model


# Each case: a model whose config holds a serialized array where a
# constructor gets it, and whether its math is exact enough for fit's
# weights to be compared bit for bit (random dropout is not).
CASES: dict[str, tuple[Callable[[], keras.Model], bool]] = {
    "rescaling_numpy": (
        lambda: _compiled(
            dense_model(keras.layers.Rescaling(np.array([0.5, 2.0, 4.0]), 0.25))
        ),
        True,
    ),
    "rescaling_tensor": (
        lambda: _compiled(
            dense_model(keras.layers.Rescaling(tensor([0.5, 2.0, 4.0]), tensor(1.0)))
        ),
        True,
    ),
    "masking_tensor": (
        lambda: _compiled(dense_model(keras.layers.Masking(mask_value=tensor(0.0)))),
        True,
    ),
    "unit_norm_axis_numpy": (
        lambda: _compiled(
            dense_model(
                keras.layers.Dense(
                    3,
                    kernel_constraint=keras.constraints.UnitNorm(axis=np.array([0])),
                    name="constrained",
                )
            )
        ),
        True,
    ),
    "dropout_noise_shape_numpy": (
        lambda: _compiled(
            dense_model(keras.layers.Dropout(0.25, noise_shape=np.array([1, 3])))
        ),
        False,
    ),
    "random_rotation_fill_value_tensor": (
        lambda: _compiled(
            keras.Sequential(
                [
                    keras.Input(shape=(4, 4, 3)),
                    keras.layers.RandomRotation(0.1, fill_value=tensor(0.5)),
                    keras.layers.Flatten(),
                    keras.layers.Dense(2, name="head"),
                ],
                name="model",
            )
        ),
        False,
    ),
    "constant_initializer_numpy": (
        lambda: _compiled(
            dense_model(
                keras.layers.Dense(
                    2,
                    kernel_initializer=keras.initializers.Constant(
                        np.arange(6.0).reshape(3, 2) / 10
                    ),
                    name="constant",
                ),
                width=3,
            )
        ),
        True,
    ),
    "lambda_arguments_numpy": (
        lambda: _compiled(
            dense_model(
                keras.layers.Lambda(
                    weighted, arguments={"w": np.array([1.0, 0.5, 2.0], "float32")}
                )
            )
        ),
        True,
    ),
    "auc_label_weights": (
        lambda: _compiled(
            dense_model(),
            metrics=[
                keras.metrics.AUC(
                    multi_label=True, num_labels=2, label_weights=np.array([0.25, 0.75])
                )
            ],
        ),
        True,
    ),
    "iou_target_class_ids_tensor": (
        lambda: _compiled(
            dense_model(),
            metrics=[keras.metrics.IoU(num_classes=2, target_class_ids=tensor([0, 1]))],
        ),
        True,
    ),
    "huber_delta_tensor": (
        lambda: _compiled(dense_model(), loss=keras.losses.Huber(delta=tensor(1.5))),
        True,
    ),
    "schedule_tensor": (
        lambda: _compiled(
            dense_model(),
            optimizer=keras.optimizers.SGD(
                learning_rate=keras.optimizers.schedules.ExponentialDecay(
                    tensor(0.1), decay_steps=10, decay_rate=tensor(0.5)
                )
            ),
        ),
        True,
    ),
    "mean_metric_wrapper_tensor": (
        lambda: _compiled(
            dense_model(),
            metrics=[keras.metrics.MeanMetricWrapper(shifted_error, shift=tensor(0.5))],
        ),
        True,
    ),
    # Exact only by what the class does first (files/judgement/arithmetic.py).
    "auc_label_weights_float64": (
        lambda: _compiled(
            dense_model(),
            metrics=[
                keras.metrics.AUC(
                    multi_label=True, num_labels=2, label_weights=np.array([0.1, 0.7])
                )
            ],
        ),
        True,
    ),
    "piecewise_values_sgd": (
        lambda: _compiled(
            dense_model(), optimizer=_piecewise(keras.optimizers.SGD, momentum=0.5)
        ),
        True,
    ),
    "piecewise_values_adamw": (
        lambda: _compiled(
            dense_model(),
            optimizer=_piecewise(keras.optimizers.AdamW, weight_decay=0.01),
        ),
        True,
    ),
    # Computing differently with a plain number (refused unless rounding is
    # allowed), and floats float32 cannot hold (rounded only when allowed).
    "ftrl_power_tensor": (
        lambda: _compiled(
            dense_model(_hidden()),
            optimizer=keras.optimizers.Ftrl(0.5, learning_rate_power=tensor(-0.5)),
        ),
        True,
    ),
    "binary_focal_gamma_tensor": (
        lambda: _compiled(
            dense_model(keras.layers.Dense(3, activation="sigmoid", name="hidden")),
            loss=keras.losses.BinaryFocalCrossentropy(gamma=tensor(2.0)),
        ),
        True,
    ),
    "categorical_focal_gamma_tensor": (
        lambda: _compiled(
            dense_model(),
            loss=keras.losses.CategoricalFocalCrossentropy(
                gamma=tensor(2.0), from_logits=True
            ),
        ),
        True,
    ),
    "categorical_focal_alpha_tensor": (
        lambda: _compiled(
            dense_model(_hidden()),
            loss=keras.losses.CategoricalFocalCrossentropy(
                alpha=tensor([0.2, 0.8]), from_logits=True
            ),
        ),
        True,
    ),
    "categorical_focal_alpha_float64": (
        lambda: _compiled(
            dense_model(),
            loss=keras.losses.CategoricalFocalCrossentropy(
                alpha=np.array([0.2, 0.8]), from_logits=True
            ),
        ),
        True,
    ),
    "masking_numpy_exact": (
        lambda: _compiled(
            dense_model(keras.layers.Masking(mask_value=np.zeros(3), name="mask"))
        ),
        True,
    ),
    "masking_float64": (
        lambda: _compiled(
            dense_model(
                keras.layers.Masking(mask_value=np.array([0.1, 0.1, 0.1]), name="mask")
            )
        ),
        True,
    ),
}

# Where each case's argument is, in a model, for the cases repaired with
# rounding allowed: the value the class holds.
ARGUMENTS: dict[str, Callable[[keras.Model], Any]] = {
    "masking_float64": lambda model: model.get_layer("mask").mask_value,
    "categorical_focal_alpha_float64": lambda model: model.loss.alpha,
}


def data(model: keras.Model) -> tuple[np.ndarray, np.ndarray]:
    # Enough rows for eight steps an epoch: a class computing differently
    # with a plain number (a square root for a power of 0.5) differs only
    # for some values, and must meet them.
    rng = np.random.default_rng(20072)
    shape = (24, *model.input_shape[1:])
    inputs = rng.normal(size=shape).astype("float32")
    inputs[0] = 0.0  # a masked row, for Masking
    targets = rng.integers(0, 2, size=(24, 2)).astype("float32")
    return inputs, targets


def use(model: keras.Model) -> dict[str, Any]:
    """What a model gives: its prediction, evaluation, weights after fit."""
    inputs, targets = data(model)
    keras.utils.set_random_seed(7)
    predicted = np.asarray(model.predict(inputs, verbose=0))
    evaluated = model.evaluate(inputs, targets, verbose=0, return_dict=True)
    keras.utils.set_random_seed(7)
    history = model.fit(
        inputs, targets, epochs=2, batch_size=3, shuffle=False, verbose=0
    ).history
    trained = [np.asarray(w) for w in model.get_weights()]
    return {
        "predicted": predicted,
        "evaluated": evaluated,
        "trained": trained,
        "history": history,
    }


def kept_marker(model: keras.Model) -> str | None:
    """Where a loaded object still holds a marker dict, if it does: the
    class did not restore the array, even if nothing failed yet."""
    seen: set[int] = set()
    objects: list[tuple[str, Any]] = [(layer.name, layer) for layer in model.layers]
    compiled = getattr(model, "compiled_metrics", None)
    objects += [("optimizer", getattr(model, "optimizer", None))]
    objects += [("loss", getattr(model, "loss", None))]
    objects += [("metrics", getattr(compiled, "_user_metrics", None))]
    objects += [("metrics", getattr(model, "_compile_metrics", None))]
    while objects:
        name, value = objects.pop()
        if id(value) in seen or value is None:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            if value.get("class_name") in MARKERS:
                return name
            objects += [(f"{name}.{k}", v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            objects += [(f"{name}[]", v) for v in value]
        elif hasattr(value, "__dict__") and name.count(".") < 3:
            objects += [
                (f"{name}.{k}", v)
                for k, v in vars(value).items()
                if k not in ("_auto_config", "_tracker") and not k.startswith("__")
            ]
    return None


def _same(expected: dict[str, Any], actual: dict[str, Any], exact_fit: bool) -> str:
    if not np.array_equal(expected["predicted"], actual["predicted"]):
        return "predictions differ"
    if expected["evaluated"] != actual["evaluated"]:
        return f"evaluate differs: {expected['evaluated']} != {actual['evaluated']}"
    if exact_fit and expected["history"] != actual["history"]:
        return f"fit differs: {expected['history']} != {actual['history']}"
    if exact_fit and not all(
        np.array_equal(a, b)
        for a, b in zip(expected["trained"], actual["trained"], strict=True)
    ):
        return "the weights after fit differ"
    return ""


def _outcome(path: Path, expected: dict[str, Any], exact_fit: bool) -> dict[str, Any]:
    step = "load"
    try:
        model = keras.models.load_model(path)
        step = "use"
        actual = use(model)
    except Exception as error:  # noqa: BLE001 - the outcome is the result
        text = " ".join(f"{type(error).__name__}: {error}".split())[:300]
        return {"works": False, "step": step, "error": text}
    kept = kept_marker(model)
    if kept is not None:
        return {"works": False, "step": "restore", "error": f"{kept} kept a marker"}
    differs = _same(expected, actual, exact_fit)
    if differs:
        return {"works": False, "step": "compare", "error": differs}
    return {"works": True}


def _expected_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.expected.npz"


def _store(path: Path, expected: dict[str, Any]) -> None:
    arrays = {"predicted": expected["predicted"]}
    arrays.update({f"trained{i}": w for i, w in enumerate(expected["trained"])})
    np.savez(path, **arrays)
    said = {"evaluated": expected["evaluated"], "history": expected["history"]}
    path.with_suffix(".json").write_text(json.dumps(said))


def _stored(path: Path) -> dict[str, Any]:
    with np.load(path) as arrays:
        trained = [arrays[f"trained{i}"] for i in range(len(arrays.files) - 1)]
        predicted = arrays["predicted"]
    said = json.loads(path.with_suffix(".json").read_text())
    return {"predicted": predicted, "trained": trained, **said}


def _as_float64(value: Any) -> np.ndarray:
    """A value as the class computes with it: a plain number or list as
    Keras converts it, an array as it is; then in float64, exactly."""
    if isinstance(value, (int, float, list)):
        value = ops.convert_to_tensor(value)
    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


def _differences(saved: np.ndarray, loaded: Any) -> dict[str, float]:
    """The largest absolute and relative difference of the loaded value
    from the saved one."""
    moved = np.abs(_as_float64(loaded) - saved)
    relative = np.divide(
        moved, np.abs(saved), out=np.zeros_like(moved), where=saved != 0
    )
    return {"absolute": float(moved.max()), "relative": float(relative.max())}


def save(folder: Path) -> None:
    outcomes: dict[str, Any] = {"keras": keras.__version__}
    for name, (build, exact_fit) in CASES.items():
        try:
            keras.utils.set_random_seed(1)
            model = build()
            model.predict(data(model)[0], verbose=0)  # built, as users save them
            model.save(folder / f"{name}.keras")
            expected = use(model)
        except Exception:  # noqa: BLE001 - a case this release cannot even build
            outcomes[name] = {"built": False, "error": traceback.format_exc()[-300:]}
            continue
        _store(_expected_path(folder, name), expected)
        if name in ARGUMENTS:
            held = _as_float64(ARGUMENTS[name](model)).tolist()
            (folder / f"{name}.argument.json").write_text(json.dumps(held))
        outcome = _outcome(
            folder / f"{name}.keras", _stored(_expected_path(folder, name)), exact_fit
        )
        outcomes[name] = {"built": True, **outcome}
    (folder / "stock.json").write_text(json.dumps(outcomes, indent=1))


def load(folder: Path) -> None:
    for kind in ("repaired", "rounded"):
        outcomes: dict[str, Any] = {"keras": keras.__version__}
        for name, (_, exact_fit) in CASES.items():
            path = folder / f"{name}.{kind}.keras"
            if not path.exists():
                continue
            expected = _stored(_expected_path(folder, name))
            outcomes[name] = _outcome(path, expected, exact_fit)
            saved = folder / f"{name}.argument.json"
            if kind == "rounded" and saved.exists():
                held = ARGUMENTS[name](keras.models.load_model(path))
                outcomes[name]["moved"] = _differences(
                    np.asarray(json.loads(saved.read_text()), "float64"), held
                )
        (folder / f"{kind}.json").write_text(json.dumps(outcomes, indent=1))


if __name__ == "__main__":
    del sys.path[0]  # run by path: nothing of this checkout is importable
    action, target = sys.argv[1], Path(sys.argv[2])
    {"save": save, "load": load}[action](target)
