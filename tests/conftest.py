"""Shared set-up: the shim's state for the session, and `--without-shim`.

With ``--without-shim`` the session removes the shim, runs only the tests
marked ``fix``, and reports each of them as passed exactly when it failed:
every test of the fix must be able to fail on stock affected Keras.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # after quieting TensorFlow's start-up log
import pytest

import keras_rescaling_patch

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
        config.option.markexpr = "fix"
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
