"""The types of the public API: ``Status`` and the warnings this package emits.

Kept apart from the code that uses them, and imported only when needed:
``import keras_rescaling_patch`` on an affected Keras creates neither (a
dataclass costs that import about a millisecond).

Both warnings are ``UserWarning`` subclasses, shown once by Python's
default filter:

- :class:`NotNeededWarning` when user code imports the package on a Keras
  that already has the fix (3.5.0 and later, or a vendored copy carrying
  ``patches/``): the package does nothing there and can be removed. The
  start-up hook and ``run`` stay silent; ``status`` says it instead.
- :class:`KerasRescalingPatchWarning` itself when ``KERAS_RESCALING_PATCH``
  holds a value it does not understand, so the shim was not applied.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    """Where the shim stands in this process.

    ``affected``: this Keras has the bug. ``active``: the shim is installed
    now. ``reason``: why it is active or not, and what to do about it.
    """

    keras_version: str | None
    affected: bool
    active: bool
    reason: str


class KerasRescalingPatchWarning(UserWarning):
    """Something about keras-rescaling-patch that its user should know."""


class NotNeededWarning(KerasRescalingPatchWarning):
    """This Keras already has the fix; keras-rescaling-patch can be removed."""
