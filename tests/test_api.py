"""apply(), remove() and status(): the public contract."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import pytest

import keras_rescaling_patch
from keras_rescaling_patch.runtime import shim

Rescaling = keras.layers.Rescaling

pytestmark = pytest.mark.usefixtures("shim_restored")


def stock_attributes() -> dict[str, object]:
    keras_rescaling_patch.remove()
    return {name: vars(Rescaling).get(name) for name in shim.PATCHED_NAMES}


def test_public_surface_is_small_and_every_name_resolves() -> None:
    assert sorted(keras_rescaling_patch.__all__) == [
        "KerasRescalingPatchWarning",
        "NotNeededWarning",
        "Status",
        "__version__",
        "apply",
        "remove",
        "status",
    ]
    for name in keras_rescaling_patch.__all__:
        assert getattr(keras_rescaling_patch, name) is not None, name
    assert issubclass(
        keras_rescaling_patch.NotNeededWarning,
        keras_rescaling_patch.KerasRescalingPatchWarning,
    )
    assert issubclass(keras_rescaling_patch.KerasRescalingPatchWarning, UserWarning)
    assert dir(keras_rescaling_patch) == sorted(keras_rescaling_patch.__all__)


def test_remove_restores_the_very_same_objects() -> None:
    stock = stock_attributes()
    assert stock["from_config"] is None, "3.4.1 inherits from_config"
    assert keras_rescaling_patch.apply()
    assert all(
        shim.is_replacement(vars(Rescaling)[name]) for name in shim.PATCHED_NAMES
    )
    assert keras_rescaling_patch.remove()
    for name, original in stock.items():
        assert vars(Rescaling).get(name) is original, name
    assert "from_config" not in vars(Rescaling)


def test_apply_is_idempotent_and_remove_reports_what_it_did() -> None:
    stock = stock_attributes()
    assert keras_rescaling_patch.remove() is False
    assert keras_rescaling_patch.apply() is True
    patched_init = vars(Rescaling)["__init__"]
    assert keras_rescaling_patch.apply() is True
    assert vars(Rescaling)["__init__"] is patched_init
    assert keras_rescaling_patch.remove() is True
    assert keras_rescaling_patch.remove() is False
    assert vars(Rescaling)["__init__"] is stock["__init__"]


@pytest.mark.fix
def test_apply_remove_apply_round_trip_still_fixes() -> None:
    # Cycles on top of the session's state, ending in it: with the session
    # shim removed (``--without-shim``) this must fail like stock Keras.
    session_active = keras_rescaling_patch.status().active
    for _ in range(2):
        keras_rescaling_patch.apply()
        keras_rescaling_patch.remove()
    if session_active:
        keras_rescaling_patch.apply()
    config = json.loads(json.dumps(Rescaling(np.array([3.0])).get_config()))
    assert isinstance(Rescaling.from_config(config).scale, np.ndarray)


def test_concurrent_apply_patches_once() -> None:
    stock_attributes()
    barrier = threading.Barrier(8)

    def race() -> object:
        barrier.wait()
        keras_rescaling_patch.apply()
        return vars(Rescaling)["__init__"]

    with ThreadPoolExecutor(8) as pool:
        installed = set(pool.map(lambda _: race(), range(8)))
    assert len(installed) == 1
    keras_rescaling_patch.remove()
    assert not shim.is_replacement(vars(Rescaling)["__init__"])


def test_status_tells_what_and_why() -> None:
    active = keras_rescaling_patch.status()
    assert isinstance(active, keras_rescaling_patch.Status)
    assert (active.keras_version, active.affected, active.active) == (
        keras.__version__,
        True,
        True,
    )
    assert active.reason.startswith("Shim active: Keras ") and "#20072" in active.reason
    keras_rescaling_patch.remove()
    removed = keras_rescaling_patch.status()
    assert (removed.affected, removed.active) == (True, False)
    assert removed.reason.startswith("Shim removed")
    with pytest.raises(AttributeError):
        removed.active = True  # type: ignore[misc]


def test_signature_keeps_keras_auto_config_working() -> None:
    """Keras reads __init__'s argument names to build auto-configs."""
    import inspect

    stock = inspect.getfullargspec(stock_attributes()["__init__"])  # type: ignore[arg-type]
    keras_rescaling_patch.apply()
    assert inspect.getfullargspec(Rescaling.__init__).args == stock.args
    assert inspect.signature(Rescaling.__init__).parameters.keys() == {
        "self",
        "scale",
        "offset",
        "kwargs",
    }
    assert Rescaling(0.5).name.startswith("rescaling")
