"""Round a Python float to a narrower floating-point format, exactly.

``repair`` writes each scale and offset as a plain JSON list, and stock
Keras casts that list to the layer's compute dtype when it runs. The
TensorFlow backend converts a Python list to float32 first, so a value
that is not already representable in the compute dtype could be rounded
twice and land one step away from what the original array gave. Writing
the values already rounded to the compute dtype removes that risk: a
value that fits the narrower format survives any chain of conversions.

Pure Python, IEEE 754 round-half-to-even with subnormals and overflow to
infinity, so the file tools need neither NumPy nor ``ml_dtypes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format, described by its limits."""

    name: str
    precision: int  # significand bits, including the implicit one
    min_normal_exponent: int  # the smallest normal number is 2**this
    max_finite: float


FLOAT_FORMATS = {
    fmt.name: fmt
    for fmt in (
        FloatFormat("float16", 11, -14, 65504.0),
        FloatFormat("bfloat16", 8, -126, float.fromhex("0x1.fep127")),
        FloatFormat("float32", 24, -126, float.fromhex("0x1.fffffep127")),
        FloatFormat("float64", 53, -1022, float.fromhex("0x1.fffffffffffffp1023")),
    )
}
FLOAT32 = FLOAT_FORMATS["float32"]


def round_to(value: float, fmt: FloatFormat) -> float:
    """The value of ``fmt`` nearest to ``value`` (ties to even).

    The result is returned as a Python float, which holds it exactly.
    """
    if fmt.precision >= 53 or value == 0.0 or not math.isfinite(value):
        return value
    _, exponent = math.frexp(value)  # value = m * 2**exponent, 0.5 <= |m| < 1
    if exponent > math.frexp(fmt.max_finite)[1]:
        return math.copysign(math.inf, value)
    # The spacing of fmt's numbers near value; fixed below the normal range.
    quantum = max(exponent, fmt.min_normal_exponent + 1) - fmt.precision
    # Scaling by a power of two is exact; round() on a float ties to even.
    rounded = math.ldexp(round(math.ldexp(value, -quantum)), quantum)
    if abs(rounded) > fmt.max_finite:
        rounded = math.inf
    return math.copysign(rounded, value)
