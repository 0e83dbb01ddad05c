"""Which Keras releases and backends the matrix and the patch tests cover."""

from __future__ import annotations

AFFECTED = (
    "3.0.0", "3.0.1", "3.0.2", "3.0.3", "3.0.4", "3.0.5", "3.1.0", "3.1.1",
    "3.2.0", "3.2.1", "3.3.0", "3.3.1", "3.3.2", "3.3.3", "3.4.0", "3.4.1",
)  # fmt: skip
FIRST_FIXED = "3.5.0"
LATEST = "3.15.1"
RELEASES = (*AFFECTED, FIRST_FIXED, LATEST)
BACKENDS = ("tensorflow", "jax", "numpy", "torch")
# Writers and readers of the cross-version files.
CROSS_VERSION = ("3.0.0", "3.2.1", "3.4.1", FIRST_FIXED, LATEST)
