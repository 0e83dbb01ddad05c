"""Every save/load path, every array kind: reloads must run bit-identically."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from support.cases import CASES, Case, rescaling_layers, run
from tests.roundtrips import ROUNDTRIPS


def assert_same_arguments(original: keras.Model, reloaded: keras.Model) -> None:
    pairs = list(
        zip(rescaling_layers(original), rescaling_layers(reloaded), strict=True)
    )
    assert pairs, "the model has no Rescaling layer"
    for before, after in pairs:
        for name in ("scale", "offset"):
            old, new = getattr(before, name), getattr(after, name)
            if not isinstance(old, np.generic):  # a scalar comes back as 0-d
                assert type(new) is type(old), name
            old_array, new_array = (
                keras.ops.convert_to_numpy(old),
                keras.ops.convert_to_numpy(new),
            )
            assert new_array.dtype == old_array.dtype, name
            assert np.array_equal(new_array, old_array), name


# clone_model works on stock 3.4.1 (it fails on 3.0.x), so there it guards
# against the shim breaking it rather than proving the fix.
PATHS = [
    pytest.param(name, id=name, marks=() if name == "clone_model" else pytest.mark.fix)
    for name in ROUNDTRIPS
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_reloaded_model_is_bit_identical(
    case: Case, path: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if case.channels_first:
        request.getfixturevalue("channels_first")
    model, batch = case.build()
    expected = run(model, batch)
    reloaded = ROUNDTRIPS[path](model, tmp_path)
    actual = run(reloaded, batch)
    assert actual.dtype == expected.dtype
    assert np.array_equal(actual, expected)
    assert_same_arguments(model, reloaded)
