"""Fuzzing ``repair``: random models round-trip, mutated archives never crash.

Two bounded searches, deterministic in CI (more with the environment
variables below):

- a property test (hypothesis) over random nested models whose Rescaling
  holds arrays of random shapes and dtypes under random dtype policies:
  repair, load on stock Keras with the shim removed, same outputs bit for
  bit; a refusal is allowed only where a narrower compute dtype makes the
  backends disagree, and then nothing is written;
- a mutation fuzzer over real archives (truncations, bit flips, overwritten
  and repeated ranges): ``scan`` and ``repair`` must answer with an exit
  code, never an exception, never a partial output, never a changed input.

KRP_FUZZ_EXAMPLES (default 30) and KRP_FUZZ_ITERATIONS (default 400) set
the bounds.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import keras_rescaling_patch
from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files.jobs import repair_local as repair
from keras_rescaling_patch.files.judgement import exactness
from support.cases import rescaling_layers
from tests.conftest import AffectedModel

EXAMPLES = int(os.environ.get("KRP_FUZZ_EXAMPLES", "30"))
ITERATIONS = int(os.environ.get("KRP_FUZZ_ITERATIONS", "400"))
POLICIES = ["float32", "float16", "mixed_float16", "mixed_bfloat16", "float64"]
STORED_DTYPES = ["float16", "float32", "float64", "int32", "int64"]


@contextlib.contextmanager
def stock_keras() -> Iterator[None]:
    was_active = keras_rescaling_patch.status().active
    keras_rescaling_patch.remove()
    try:
        yield
    finally:
        if was_active:
            keras_rescaling_patch.apply()


@st.composite
def arrays_for(draw: st.DrawFn, rows: int, width: int) -> np.ndarray:
    dtype = draw(st.sampled_from(STORED_DTYPES))
    shape = draw(st.sampled_from([(), (width,), (1, width), (rows, width)]))
    if dtype.startswith("int"):
        elements = st.integers(-1000, 1000)
    else:
        bits = np.dtype(dtype).itemsize * 8
        elements = st.floats(allow_nan=False, width=bits)  # type: ignore[arg-type]
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def models(draw: st.DrawFn) -> tuple[keras.Model, np.ndarray]:
    rows, width = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    scale = draw(arrays_for(rows, width))
    offset = draw(st.one_of(arrays_for(rows, width), st.floats(-10, 10)))
    policy = draw(st.sampled_from(POLICIES))
    inputs = keras.Input(shape=(rows, width))
    rescaling = keras.layers.Rescaling(scale, offset, dtype=policy)
    model = keras.Model(inputs, rescaling(inputs))
    for depth in range(draw(st.integers(0, 2))):
        if draw(st.booleans()):
            outer_inputs = keras.Input(shape=(rows, width))
            outer = keras.Model(outer_inputs, model(outer_inputs), name=f"f{depth}")
        else:
            layers = [keras.Input(shape=(rows, width)), model]
            outer = keras.Sequential(layers, name=f"s{depth}")
        model = outer
    batch = draw(
        hnp.arrays(
            "float32",
            (2, rows, width),
            elements=st.floats(-1e3, 1e3, width=32),
        )
    )
    return model, batch


def _outcome(path: Path, batch: np.ndarray) -> tuple[str, bytes]:
    """What loading and calling the model gives: dtype and bytes, or the error."""
    try:
        output = keras.ops.convert_to_numpy(keras.models.load_model(path)(batch))
    except Exception as error:  # noqa: BLE001 - the reference may fail too
        return type(error).__name__, b""
    return str(output.dtype), output.tobytes()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(models())
def test_random_models_reload_bit_identically_after_repair(
    drawn: tuple[keras.Model, np.ndarray],
) -> None:
    """The repaired file on stock Keras does what Keras 3.5.0 does.

    The reference is the unrepaired file loaded with the shim (equal to
    stock 3.5.0, tests/test_differential.py), not the model in memory:
    Keras saves a 0-d array as a plain number, which can change the sign
    of a zero result or fail to convert, in 3.5.0 as much as here.
    """
    model, batch = drawn
    note(json.dumps(model.get_config(), default=repr))
    with tempfile.TemporaryDirectory() as folder:
        original, repaired = Path(folder, "m.keras"), Path(folder, "r.keras")
        with stock_keras():
            model.save(original)
        expected = _outcome(original, batch)
        try:
            repairs = repair.repair(original, repaired).repairs
        except exactness.NotExactlyRepairable as refusal:
            event("refused")
            # Only a narrower or wider compute dtype can make routes disagree.
            [layer] = rescaling_layers(model)
            assert layer.compute_dtype != "float32", refusal
            assert not repaired.exists()
            return
        event(f"{len(repairs)} argument(s) repaired, {expected[0]}")
        with stock_keras():
            actual = _outcome(repaired, batch)
    assert actual == expected


def _mutate(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    kind = rng.choice(["truncate", "flip", "overwrite", "repeat", "zero"])
    at = rng.randrange(len(data))
    if kind == "truncate":
        return bytes(mutated[:at])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "overwrite":
        length = rng.randint(1, 64)
        mutated[at : at + length] = rng.randbytes(length)
    elif kind == "repeat":
        mutated[at:at] = mutated[at : at + rng.randint(1, 256)]
    else:
        mutated[at : at + 4] = bytes(4)
    return bytes(mutated)


@pytest.fixture(scope="module")
def seeds(
    tmp_path_factory: pytest.TempPathFactory, affected_model: AffectedModel
) -> list[bytes]:
    """Real archives: as Keras writes them, deflated, and with zip64 headers."""
    folder = tmp_path_factory.mktemp("seeds")
    (folder / "keras.keras").write_bytes(affected_model.path.read_bytes())
    with zipfile.ZipFile(folder / "keras.keras") as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    for name, options in (
        ("deflated.keras", {"compress_type": zipfile.ZIP_DEFLATED}),
        ("zip64.keras", {"force_zip64": True}),
    ):
        with zipfile.ZipFile(folder / name, "w") as target:
            for info, data in members:
                if "compress_type" in options:
                    info.compress_type = options["compress_type"]
                with target.open(
                    info, "w", force_zip64=bool(options.get("force_zip64"))
                ) as f:
                    f.write(data)
    return [
        (folder / name).read_bytes()
        for name in ("keras.keras", "deflated.keras", "zip64.keras")
    ]


def test_mutated_archives_get_an_exit_code_never_an_exception(
    seeds: list[bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(20261125)
    source, out = tmp_path / "in.keras", tmp_path / "out.keras"
    outcomes: dict[int, int] = {}
    for iteration in range(ITERATIONS):
        mutated = _mutate(rng.choice(seeds), rng)
        source.write_bytes(mutated)
        where = f"iteration {iteration}"
        assert main(["scan", str(source)]) in (0, 1, 2), where
        capsys.readouterr()
        code = main(["repair", str(source), "-o", str(out)])
        err = capsys.readouterr().err
        outcomes[code] = outcomes.get(code, 0) + 1
        assert source.read_bytes() == mutated, where
        assert sorted(p.name for p in tmp_path.iterdir()) == (
            ["in.keras", "out.keras"] if code == 0 else ["in.keras"]
        ), where
        if code == 0:
            with zipfile.ZipFile(out) as archive:
                json.loads(archive.read("config.json"))
            out.unlink()
        else:
            assert code in (1, 2) and len(err.strip().splitlines()) == 1, (where, err)
    assert outcomes.get(0) and outcomes.get(2), outcomes  # both kinds were met
