"""Ordinary models saved by one stock Keras release and loaded by another:
the oracle of the differential tests of ``scan --target-keras`` and
``repair --target-keras`` (``tests/test_differential_portability.py``).

Run by path in a release's venv (never importing keras_rescaling_patch):

- ``save FOLDER``: build each case this release can build, train it one
  step where it is compiled (so the file holds optimizer state), and save
  ``CASE.keras`` with ``CASE.npz``: its weights, its optimizer's variables,
  a batch and what the model in memory predicts for it. ``saved.json``
  says which cases were built (and why not, for the others).
- ``load FOLDER RESULT [FOLDER RESULT ...]``: load every ``.keras`` file
  below each FOLDER (saved by any release, or ported; each beside its
  ``.npz``) with this stock release, and use it: each ``RESULT`` says per
  file whether it loaded (and the error if not), whether
  every weight is bit-identical to the saved model's, whether the optimizer
  state came back, whether the prediction matches (within float32
  rounding: kernels differ across releases), and whether one step of
  ``fit`` runs.

One process per release, whatever the number of files.
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

layers = keras.layers
VERSION = tuple(int(part) for part in keras.__version__.split(".")[:2])
BATCH = 4


def _functional(inputs: Any, outputs: Any, compile_with: dict[str, Any]) -> Any:
    model = keras.Model(inputs, outputs)
    if compile_with is not None:
        model.compile(**compile_with)
    return model


def vector_model(*middle: Any, width: int = 6, compile_with: Any = None) -> Any:
    inputs = keras.Input(shape=(width,))
    x = inputs
    for layer in middle:
        x = layer(x)
    outputs = layers.Dense(2, name="head")(x)
    return _functional(
        inputs, outputs, compile_with or {"optimizer": "adam", "loss": "mse"}
    )


def sequence_model(*middle: Any, compile_with: Any = None) -> Any:
    inputs = keras.Input(shape=(5, 4))
    x = inputs
    for layer in middle:
        x = layer(x)
    outputs = layers.Dense(2, name="head")(layers.Flatten()(x))
    return _functional(
        inputs, outputs, compile_with or {"optimizer": "adam", "loss": "mse"}
    )


def image_model(*middle: Any) -> Any:
    inputs = keras.Input(shape=(8, 8, 3))
    x = inputs
    for layer in middle:
        x = layer(x)
    outputs = layers.Dense(2, name="head")(layers.Flatten()(x))
    return _functional(inputs, outputs, {"optimizer": "adam", "loss": "mse"})


def attention_model(**options: Any) -> Any:
    inputs = keras.Input(shape=(5, 4))
    x = layers.MultiHeadAttention(num_heads=2, key_dim=2, **options)(inputs, inputs)
    outputs = layers.Dense(2, name="head")(layers.Flatten()(x))
    return _functional(inputs, outputs, {"optimizer": "adam", "loss": "mse"})


def pair_attention() -> Any:
    inputs = keras.Input(shape=(5, 4))
    x = layers.AdditiveAttention()([inputs, inputs])
    x = layers.Attention(use_scale=True)([x, inputs])
    outputs = layers.Dense(2, name="head")(layers.Flatten()(x))
    return _functional(inputs, outputs, {"optimizer": "adam", "loss": "mse"})


def transformer_block() -> Any:
    inputs = keras.Input(shape=(5, 4))
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=2)(inputs, inputs)
    x = layers.LayerNormalization()(layers.Add()([inputs, attended]))
    x = layers.Dense(8, activation="gelu")(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(4)(x)
    outputs = layers.Dense(2, name="head")(layers.GlobalAveragePooling1D()(x))
    return _functional(inputs, outputs, {"optimizer": "adam", "loss": "mse"})


def merging() -> Any:
    inputs = keras.Input(shape=(6,))
    a, b = layers.Dense(4)(inputs), layers.Dense(4)(inputs)
    x = layers.Concatenate()([
        layers.Multiply()([a, b]), layers.Average()([a, b]), layers.Maximum()([a, b]),
        layers.Subtract()([a, b]), layers.Dot(axes=1)([a, b]),
    ])  # fmt: skip
    outputs = layers.Dense(2, name="head")(layers.RepeatVector(1)(x)[:, 0])
    return _functional(inputs, outputs, {"optimizer": "adam", "loss": "mse"})


def embedding_model(**options: Any) -> Any:
    inputs = keras.Input(shape=(5,), dtype="int32")
    x = layers.Embedding(10, 4, **options)(inputs)
    outputs = layers.Dense(2, name="head")(layers.Flatten()(x))
    return _functional(inputs, outputs, {"optimizer": "adam", "loss": "mse"})


def sequential(*stack: Any, width: int = 6) -> Any:
    model = keras.Sequential([keras.Input(shape=(width,)), *stack, layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def two_inputs() -> Any:
    left, right = (
        keras.Input(shape=(6,), name="left"),
        keras.Input(shape=(6,), name="right"),
    )
    merged = layers.Concatenate()([layers.Dense(3)(left), layers.Dense(3)(right)])
    outputs = [layers.Dense(2, name="a")(merged), layers.Dense(1, name="b")(merged)]
    model = keras.Model([left, right], outputs)
    model.compile(optimizer="adam", loss=["mse", "mae"])
    return model


def compiled(**compile_with: Any) -> Callable[[], Any]:
    return lambda: vector_model(
        layers.Dense(4, activation="relu"), compile_with=compile_with
    )


def initializer(make: Callable[[], Any]) -> Callable[[], Any]:
    return lambda: vector_model(layers.Dense(4, kernel_initializer=make()))


def optimizer(make: Callable[[], Any], loss: Any = "mse") -> Callable[[], Any]:
    """Built when the case is (a release loading the files imports this
    module too, and need not know a saver's classes)."""
    return lambda: compiled(optimizer=make(), loss=loss)()


def schedule(make: Callable[[], Any]) -> Callable[[], Any]:
    return lambda: vector_model(
        layers.Dense(4),
        compile_with={"optimizer": keras.optimizers.SGD(make()), "loss": "mse"},
    )


# Each case builds a model with this release; a case a release cannot build
# (a class or argument it lacks) is recorded as not built. Names say what
# each covers; the last ones hold a non-default value of an argument that
# newer releases added, which a port to an older release must refuse.
CASES: dict[str, Callable[[], Any]] = {
    "mlp": lambda: vector_model(layers.Dense(8, activation="relu"), layers.Dense(4)),
    "mlp_sequential": lambda: sequential(
        layers.Dense(8, activation="relu"), layers.Dropout(0.1)
    ),
    "regularized": lambda: vector_model(
        layers.Dense(
            4,
            kernel_regularizer=keras.regularizers.L2(0.01),
            bias_regularizer=keras.regularizers.L1L2(0.01, 0.02),
            activity_regularizer=keras.regularizers.L1(0.001),
            kernel_constraint=keras.constraints.MaxNorm(2.0),
        ),
    ),
    "constraints": lambda: vector_model(
        layers.Dense(
            4,
            kernel_constraint=keras.constraints.NonNeg(),
            bias_constraint=keras.constraints.MinMaxNorm(0.0, 1.0),
        ),
    ),
    "initializers": lambda: vector_model(
        layers.Dense(4, kernel_initializer=keras.initializers.GlorotNormal(seed=1)),
        layers.Dense(4, kernel_initializer=keras.initializers.HeUniform(seed=1)),
        layers.Dense(4, kernel_initializer=keras.initializers.LecunNormal(seed=1)),
        layers.Dense(
            4, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.1, seed=1)
        ),
        layers.Dense(4, kernel_initializer=keras.initializers.TruncatedNormal(seed=1)),
        layers.Dense(
            4,
            kernel_initializer=keras.initializers.VarianceScaling(
                2.0, "fan_out", "uniform", seed=1
            ),
        ),
    ),
    "orthogonal": initializer(lambda: keras.initializers.Orthogonal(seed=1)),
    "identity": initializer(lambda: keras.initializers.Identity()),
    "constant": initializer(lambda: keras.initializers.Constant(0.5)),
    "batch_norm": lambda: vector_model(layers.BatchNormalization(), layers.Dense(4)),
    "norms_noise": lambda: vector_model(
        layers.LayerNormalization(),
        layers.GaussianNoise(0.1),
        layers.Dense(4),
        layers.UnitNormalization(),
    ),
    "activations": lambda: vector_model(
        layers.Dense(4),
        layers.LeakyReLU(),
        layers.Dense(4),
        layers.ReLU(6.0),
        layers.Dense(4),
        layers.PReLU(),
        layers.Activation("gelu"),
        layers.ELU(),
    ),
    "embedding": lambda: embedding_model(),
    "convolutions": lambda: image_model(
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.SeparableConv2D(4, 1),
        layers.DepthwiseConv2D(1),
        layers.Conv2DTranspose(2, 3, strides=2),
        layers.AveragePooling2D(2),
    ),
    "pooling_global": lambda: sequence_model(
        layers.GlobalAveragePooling1D(), layers.Reshape((2, 2))
    ),
    "recurrent": lambda: sequence_model(
        layers.Conv1D(3, 2, padding="same"),
        layers.LSTM(3, return_sequences=True),
        layers.GRU(3, return_sequences=True),
        layers.SimpleRNN(3, return_sequences=True),
    ),
    "bidirectional": lambda: sequence_model(
        layers.Bidirectional(layers.LSTM(2, return_sequences=True))
    ),
    "time_distributed": lambda: sequence_model(layers.TimeDistributed(layers.Dense(3))),
    "attention": lambda: attention_model(),
    "pair_attention": lambda: pair_attention(),
    "transformer_block": lambda: transformer_block(),
    "two_inputs": two_inputs,
    "rescaling_plain": lambda: vector_model(layers.Rescaling(0.5, 0.1)),
    "adamw_cosine": optimizer(
        lambda: keras.optimizers.AdamW(
            keras.optimizers.schedules.CosineDecay(0.01, 100)
        )
    ),
    "rmsprop": optimizer(lambda: keras.optimizers.RMSprop(0.01, momentum=0.5)),
    "sgd_nesterov": optimizer(
        lambda: keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True)
    ),
    "adagrad_adadelta": optimizer(lambda: keras.optimizers.Adagrad(0.01)),
    "nadam": optimizer(lambda: keras.optimizers.Nadam(0.01)),
    "exponential_decay": schedule(
        lambda: keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    ),
    "piecewise": schedule(
        lambda: keras.optimizers.schedules.PiecewiseConstantDecay(
            [10, 20], [0.1, 0.01, 0.001]
        )
    ),
    "losses_metrics": compiled(
        optimizer="adam",
        loss=keras.losses.Huber(delta=0.5),
        metrics=[
            keras.metrics.MeanAbsoluteError(),
            keras.metrics.RootMeanSquaredError(),
        ],
    ),
    "categorical": lambda: vector_model(
        layers.Dense(4),
        compile_with={
            "optimizer": "adam",
            "loss": keras.losses.CategoricalCrossentropy(from_logits=True),
            "metrics": [keras.metrics.CategoricalAccuracy(), keras.metrics.AUC()],
        },
    ),
    "adamax": optimizer(lambda: keras.optimizers.Adamax(0.01)),
    "adadelta": optimizer(lambda: keras.optimizers.Adadelta(0.5)),
    "ftrl": optimizer(lambda: keras.optimizers.Ftrl(0.05)),
    "lion": optimizer(lambda: keras.optimizers.Lion(0.001)),
    "adafactor": optimizer(lambda: keras.optimizers.Adafactor(0.01)),
    "adam_amsgrad_ema": optimizer(
        lambda: keras.optimizers.Adam(0.01, amsgrad=True, use_ema=True, clipnorm=1.0)
    ),
    "shape_layers": lambda: sequence_model(
        layers.ZeroPadding1D(1),
        layers.Cropping1D(1),
        layers.UpSampling1D(2),
        layers.MaxPooling1D(2),
        layers.Permute((2, 1)),
        layers.Permute((2, 1)),
        layers.SpatialDropout1D(0.1),
        layers.Masking(0.0),
    ),
    "merging": lambda: merging(),
    "group_norm_conv3d": lambda: _functional(
        *(
            lambda i: (
                i,
                layers.Dense(2)(
                    layers.Flatten()(
                        layers.GroupNormalization(2)(layers.Conv3D(4, 2)(i))
                    )
                ),
            )
        )(keras.Input(shape=(4, 4, 4, 1))),
        {"optimizer": "adam", "loss": "mse"},
    ),
    "conv_lstm": lambda: _functional(
        *(lambda i: (i, layers.Dense(2)(layers.Flatten()(layers.ConvLSTM1D(2, 2)(i)))))(
            keras.Input(shape=(3, 5, 2))
        ),
        {"optimizer": "adam", "loss": "mse"},
    ),
    "string_losses": lambda: vector_model(
        layers.Dense(4),
        compile_with={
            "optimizer": "rmsprop",
            "loss": "categorical_crossentropy",
            "metrics": ["accuracy", "mae"],
        },
    ),
    # Names from a newer release's own vocabulary: never portable.
    "celu_activation": lambda: vector_model(layers.Dense(4, activation="celu")),
    "reduction_mean": lambda: compiled(
        optimizer="adam",
        loss=keras.losses.MeanSquaredError(reduction="mean_with_sample_weight"),
    )(),
    "metric_by_name": compiled(
        optimizer="adam", loss="mse", metrics=["pearson_correlation"]
    ),
    # Non-default values of arguments newer releases added: never portable.
    "attention_gated": lambda: attention_model(use_gate=True),
    "batch_norm_renorm": lambda: vector_model(layers.BatchNormalization(renorm=True)),
}


def _batch(model: Any) -> tuple[Any, Any]:
    rng = np.random.RandomState(0)
    inputs = []
    for tensor in model.inputs:
        shape = (BATCH, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            inputs.append(rng.randint(0, 10, shape).astype("int32"))
        else:
            inputs.append(rng.rand(*shape).astype("float32"))
    outputs = [rng.rand(BATCH, *t.shape[1:]).astype("float32") for t in model.outputs]
    x = inputs[0] if len(inputs) == 1 else inputs
    y = outputs[0] if len(outputs) == 1 else outputs
    return x, y


def _flat(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [item for part in value for item in _flat(part)]
    if isinstance(value, dict):
        return [item for key in sorted(value) for item in _flat(value[key])]
    return [np.asarray(value)]


def _optimizer_arrays(model: Any) -> list[Any]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in optimizer.variables]


def save(folder: Path) -> None:
    saved: dict[str, Any] = {"keras": keras.__version__}
    for name, build in CASES.items():
        try:
            keras.utils.set_random_seed(0)
            model = build()
            x, y = _batch(model)
            if getattr(model, "optimizer", None) is not None:
                model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
            prediction = _flat(model.predict(x, verbose=0))
            model.save(folder / f"{name}.keras")
        except Exception as error:  # noqa: BLE001 - a case this release lacks
            saved[name] = {
                "built": False,
                "error": f"{type(error).__name__}: {error}"[:500],
            }
            continue
        arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
        arrays.update({f"o{i}": v for i, v in enumerate(_optimizer_arrays(model))})
        arrays.update({f"x{i}": v for i, v in enumerate(_flat(x))})
        arrays.update({f"y{i}": v for i, v in enumerate(_flat(y))})
        arrays.update({f"p{i}": v for i, v in enumerate(prediction)})
        np.savez(folder / f"{name}.npz", **arrays)
        saved[name] = {"built": True}
    (folder / "saved.json").write_text(json.dumps(saved, indent=1))


def _group(data: Any, prefix: str) -> list[Any]:
    keys = sorted((k for k in data.files if k.startswith(prefix) and k[1:].isdigit()),
                  key=lambda k: int(k[1:]))  # fmt: skip
    return [data[k] for k in keys]


def reason(error: BaseException) -> str:
    """What went wrong, innermost first: Keras wraps the cause of a failed
    load in layers of "Exception encountered:" around a config."""
    text = f"{type(error).__name__}: {error}"
    cause = text.rsplit("Exception encountered:", 1)[-1].strip()
    return cause.split("\n\nconfig=", 1)[0][:400]


def _use(path: Path, data: Any) -> dict[str, Any]:
    outcome: dict[str, Any] = {"loads": False}
    try:
        model = keras.models.load_model(path)
    except Exception as error:  # noqa: BLE001 - what the release says
        outcome["error"] = reason(error)
        return outcome
    outcome["loads"] = True
    saved = _group(data, "w")
    loaded = model.get_weights()
    outcome["weights_identical"] = len(saved) == len(loaded) and all(
        a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
        for a, b in zip(saved, loaded, strict=False)
    )
    x = _group(data, "x")
    y = _group(data, "y")
    x_in = x[0] if len(x) == 1 else x
    y_in = y[0] if len(y) == 1 else y
    try:
        predicted = _flat(model.predict(x_in, verbose=0))
        expected = _group(data, "p")
        outcome["predicts"] = len(predicted) == len(expected) and all(
            np.allclose(a, b, rtol=1e-5, atol=1e-6)
            for a, b in zip(predicted, expected, strict=False)
        )
    except Exception as error:  # noqa: BLE001
        outcome["predicts"] = False
        outcome["error"] = f"predict: {reason(error)}"
    before = [a.tobytes() for a in _group(data, "o") if a.ndim > 0]
    after = {a.tobytes() for a in _optimizer_arrays(model) if a.ndim > 0}
    outcome["optimizer_restored"] = all(state in after for state in before)
    if getattr(model, "optimizer", None) is not None:
        try:
            model.fit(x_in, y_in, epochs=1, batch_size=BATCH, verbose=0)
            outcome["fits"] = True
        except Exception as error:  # noqa: BLE001
            outcome["fits"] = False
            outcome["error"] = f"fit: {reason(error)}"
    return outcome


def load(folder: Path, result: Path) -> None:
    outcomes: dict[str, Any] = {"keras": keras.__version__}
    for path in sorted(folder.rglob("*.keras")):
        data = np.load(path.with_suffix(".npz"))
        try:
            outcomes[str(path.relative_to(folder))] = _use(path, data)
        except Exception:  # noqa: BLE001 - never lose the other files
            outcomes[str(path.relative_to(folder))] = {
                "loads": False,
                "error": traceback.format_exc()[-600:],
            }
        keras.backend.clear_session()
    result.write_text(json.dumps(outcomes, indent=1))


if __name__ == "__main__":
    action, rest = sys.argv[1], [Path(arg) for arg in sys.argv[2:]]
    if action == "save":
        save(rest[0])
    else:
        for where, result in zip(rest[::2], rest[1::2], strict=True):
            load(where, result)
