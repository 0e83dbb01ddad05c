"""Which Keras releases and backends the matrix covers.

The affected releases and the first fixed one are the package's own facts
(``keras_rescaling_patch._keras_releases``); the rest is the matrix's.
"""

from __future__ import annotations

from keras_rescaling_patch import _keras_releases

AFFECTED = _keras_releases.AFFECTED
FIRST_FIXED = str(_keras_releases.FIRST_FIXED)
LATEST = "3.15.1"
RELEASES = (*AFFECTED, FIRST_FIXED, LATEST)
BACKENDS = ("tensorflow", "jax", "numpy", "torch")
# Writers and readers of the cross-version files.
CROSS_VERSION = ("3.0.0", "3.2.1", "3.4.1", FIRST_FIXED, LATEST)
