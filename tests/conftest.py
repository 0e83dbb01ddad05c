"""Shared set-up: the shim's state for the session, and `--without-shim`.

With ``--without-shim`` the session removes the shim, runs only the tests
marked ``fix``, and reports each of them as passed exactly when it failed:
every test of the fix must be able to fail on stock affected Keras.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # after quieting TensorFlow's start-up log
import numpy as np
import pytest

import keras_rescaling_patch
from support.processes import shared_venv
from tests.subprocesses import WITHOUT_SHIM, Venv

EXPECT_FIXED = "KRP_EXPECT_FIXED_KERAS"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--without-shim",
        action="store_true",
        help="remove the shim and require every `fix` test to fail",
    )


def pytest_configure(config: pytest.Config) -> None:
    status = keras_rescaling_patch.status()
    if config.getoption("--without-shim"):
        keras_rescaling_patch.remove()
        os.environ[WITHOUT_SHIM] = "1"  # and off in every child
        markers = config.option.markexpr
        config.option.markexpr = f"fix and ({markers})" if markers else "fix"
    elif status.active:
        pass
    elif os.environ.get(EXPECT_FIXED) == "1" and not status.affected:
        pass  # a matrix cell on Keras 3.5.0+: the stock layer must pass too
    else:
        raise pytest.UsageError(
            "the test stack must be an affected Keras with the shim active "
            f"(or set {EXPECT_FIXED}=1 on a fixed Keras): {status.reason}"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    if not item.config.getoption("--without-shim") or call.when != "call":
        return
    report = outcome.get_result()
    if item.get_closest_marker("fix") is None:
        return
    if report.failed:
        report.outcome = "passed"
        report.longrepr = None
    elif report.passed:
        report.outcome = "failed"
        report.longrepr = (
            "this test passed on stock Keras without the shim, so it cannot "
            "detect the bug"
        )


@pytest.fixture
def shim_restored() -> Iterator[None]:
    """Let a test apply or remove the shim; put the session's state back."""
    was_active = keras_rescaling_patch.status().active
    yield
    if was_active:
        keras_rescaling_patch.apply()
    else:
        keras_rescaling_patch.remove()


@pytest.fixture
def channels_first() -> Iterator[None]:
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    yield
    keras.config.set_image_data_format(previous)


@dataclass(frozen=True)
class AffectedModel:
    """A ``.keras`` file stock Keras 3.0-3.4 cannot run, with its input and output.

    Saved by stock Keras (shim removed); ``expected`` is the in-memory
    model's output for ``inputs``, which a reload must match bit for bit.
    """

    path: Path
    inputs: np.ndarray
    expected: np.ndarray
    inputs_path: Path
    expected_path: Path
    json_path: Path  # the same model's config, as model.to_json() writes it
    scale: np.ndarray  # float64, shape (4,); layer "affected/rescale"
    offset: np.ndarray

    def copy_to(self, folder: Path) -> Path:
        """A private copy: Keras 3.4 unpacks weights beside the file it loads,
        so concurrent loads of one file in one folder race."""
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(self.path, folder / self.path.name))


def save_affected_model(folder: Path) -> AffectedModel:
    """Build and save a model whose Rescaling holds array scale and offset."""
    was_active = keras_rescaling_patch.status().active
    keras_rescaling_patch.remove()
    try:
        rng = np.random.default_rng(20072)
        scale, offset = rng.random(4), rng.normal(size=4)
        inputs = keras.Input(shape=(4,))
        rescaled = keras.layers.Rescaling(scale, offset, name="rescale")(inputs)
        dense = keras.layers.Dense(2, name="dense")
        model = keras.Model(inputs, dense(rescaled), name="affected")
        dense.set_weights(
            [rng.normal(size=(4, 2)).astype("float32"), np.zeros(2, "float32")]
        )
        batch = rng.normal(size=(3, 4)).astype("float32")
        expected = keras.ops.convert_to_numpy(model(batch, training=False))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "affected.keras"
        model.save(path)
        (folder / "affected.json").write_text(model.to_json())
    finally:
        if was_active:
            keras_rescaling_patch.apply()
    np.save(folder / "inputs.npy", batch)
    np.save(folder / "expected.npy", expected)
    return AffectedModel(
        path,
        batch,
        expected,
        folder / "inputs.npy",
        folder / "expected.npy",
        folder / "affected.json",
        scale,
        offset,
    )


@pytest.fixture(scope="session")
def affected_model(tmp_path_factory: pytest.TempPathFactory) -> AffectedModel:
    """The one affected model of the suite (session-wide; copy before loading)."""
    return save_affected_model(tmp_path_factory.mktemp("affected"))


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder other users can reach (pytest's own temporary folders are
    private to their owner), for tests that act as another user."""
    folder = Path(tempfile.mkdtemp(prefix="krp-shared-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def installed() -> Venv:
    """The wheel in a venv with the pinned affected stack (Keras 3.4.1,
    TensorFlow 2.16.2): what fresh-interpreter tests run. Do not change it."""
    return Venv(shared_venv("affected"))


@pytest.fixture(scope="session")
def installed_fixed() -> Venv:
    """The wheel beside stock Keras 3.5.0 (the spec), TensorFlow 2.16.2."""
    return Venv(shared_venv("keras-3.5.0", keras="3.5.0"))


@pytest.fixture(scope="session")
def installed_files() -> Venv:
    """The wheel alone, without its dependencies: the file tools need none."""
    return Venv(shared_venv("files", runtime=False))


# Beside the pinned stack: the JAX backend (jax[cpu] 0.4.30 is the pin for
# Keras 3.0-3.4), as a notebook that switches backends has it, and typeguard,
# whose import hook puts a finder of its own ahead of ours.
EXTRAS = ("jax[cpu]==0.4.30", "typeguard==4.6.1")


@pytest.fixture(scope="session")
def installed_extras() -> Venv:
    """The affected stack plus :data:`EXTRAS`."""
    return Venv(shared_venv("extras", *EXTRAS))


def heavy_h5(path: Path) -> Path:
    """A legacy .h5 model with 9 MiB of weights after its config."""
    inputs = keras.Input(shape=(3,))
    scaled = keras.layers.Rescaling(np.array([1.0, 2.0, 3.0]))(inputs)
    keras.Model(inputs, keras.layers.Dense(600_000)(scaled)).save(path)
    return path
