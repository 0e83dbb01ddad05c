"""Cross-version files: saved by one Keras release, loaded by another.

``save KERAS [--shim]`` writes, with the TensorFlow backend, a few models
whose Rescaling holds arrays (plus a control model with a float scale), the
inputs and the outputs computed by the writer; a stock save also writes
each file as ``repair --target-keras 3.4.1+`` leaves it (writer
``KERAS+repaired``).
``load KERAS OUT [--stock] [--repaired-only]`` loads every writer's files
(or only the repaired ones) and compares the outputs bit for bit, with the
shim imported (default) or without it (``--stock``: fixed releases, and
repaired files on every release).
A pair whose control model does not load is "not supported upstream":
Keras does not promise that older releases read newer files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / ".matrix" / "files"
# Rescaling-only models: elementwise math, exact across TensorFlow releases.
CASE_NAMES = [
    "vector_float64",
    "vector_float16",
    "vector_int32",
    "backend_tensor",
    "image_channels_last",
    "nested_submodel",
]
CONTROL = "control_float_scale"


def _cases() -> dict[str, object]:
    import keras

    from support import cases

    def control() -> tuple[keras.Model, object]:
        inputs = keras.Input(shape=(3,))
        model = keras.Model(inputs, keras.layers.Rescaling(0.5, offset=1.0)(inputs))
        return model, cases._rng(0).normal(size=(2, 3)).astype("float32")

    builders = {
        case.name: case.build for case in cases.CASES if case.name in CASE_NAMES
    }
    return {CONTROL: control, **builders}


def save(version: str, with_shim: bool) -> None:
    if with_shim:
        import keras_rescaling_patch

        assert keras_rescaling_patch.status().active
    import keras
    import numpy as np

    assert keras.__version__ == version, keras.__version__
    from keras_rescaling_patch.files import api

    folder = FILES / (version + ("+shim" if with_shim else ""))
    repaired = FILES / f"{version}+repaired"
    for target in (folder,) if with_shim else (folder, repaired):
        target.mkdir(parents=True, exist_ok=True)
    for name, build in _cases().items():
        model, batch = build()  # type: ignore[operator]
        output = keras.ops.convert_to_numpy(model(batch))
        model.save(folder / f"{name}.keras")
        for target in (folder,) if with_shim else (folder, repaired):
            np.save(target / f"{name}.input.npy", batch)
            np.save(target / f"{name}.output.npy", output)
        if not with_shim:
            # For users of 3.4.1 and later (the newest affected release, the
            # oldest the loads below serve a file of any writer on): by default
            # repair serves the writer's own release and later, and a file of
            # a fixed release then needs nothing.
            report = api.repair(
                folder / f"{name}.keras",
                repaired / f"{name}.keras",
                target_keras=["3.4.1+"],
            )
            expected = "copied" if name == CONTROL else "repaired"
            assert report.status == expected, report


def _load_one(path: Path) -> str:
    import keras
    import numpy as np

    batch = np.load(path.with_suffix(".input.npy"))
    expected = np.load(path.with_suffix(".output.npy"))
    try:
        actual = keras.ops.convert_to_numpy(keras.models.load_model(path)(batch))
    except Exception as error:  # noqa: BLE001 - recorded
        return f"error: {type(error).__name__}: {' '.join(str(error).split())[:200]}"
    same = actual.dtype == expected.dtype and np.array_equal(actual, expected)
    return "identical" if same else "different"


def load(version: str, out: Path, stock: bool, repaired_only: bool) -> int:
    if not stock:
        import keras_rescaling_patch  # noqa: F401 - the shim, as users import it
    import keras

    assert keras.__version__ == version, keras.__version__
    results: dict[str, dict[str, str]] = {}
    writers = sorted(p for p in FILES.iterdir() if p.is_dir())
    if repaired_only:
        writers = [p for p in writers if p.name.endswith("+repaired")]
    for writer in writers:
        control = _load_one(writer / f"{CONTROL}.keras")
        if control != "identical":
            results[writer.name] = {"*": f"not supported upstream ({control})"}
            continue
        results[writer.name] = {
            name: _load_one(writer / f"{name}.keras") for name in CASE_NAMES
        }
    report = {"loader": version, "shim": not stock, "results": results}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    bad = [
        f"{writer}/{name}: {outcome}"
        for writer, outcomes in results.items()
        for name, outcome in outcomes.items()
        if outcome not in ("identical",) and not outcome.startswith("not supported")
    ]
    print(
        f"loader {version} ({'stock' if stock else 'shim'}): {len(bad)} failing",
        *bad,
        sep="\n  ",
    )
    return 0  # recorded; scripts/matrix_report.py judges the outcomes


if __name__ == "__main__":
    command, version, *rest = sys.argv[1:]
    if command == "save":
        save(version, with_shim="--shim" in rest)
    else:
        sys.exit(
            load(
                version,
                Path(rest[0]),
                stock="--stock" in rest,
                repaired_only="--repaired-only" in rest,
            )
        )
