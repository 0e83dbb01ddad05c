"""The warnings this package emits, as classes so they can be filtered.

Both are ``UserWarning`` subclasses, shown once by Python's default filter:

- :class:`NotNeededWarning` when user code imports the package on a Keras
  that already has the fix (3.5.0 and later, or a vendored copy carrying
  ``patches/``): the package does nothing there and can be removed. The
  start-up hook and ``run`` stay silent; ``status`` says it instead.
- :class:`KerasRescalingPatchWarning` itself when ``KERAS_RESCALING_PATCH``
  holds a value it does not understand, so the shim was not applied.
"""

from __future__ import annotations


class KerasRescalingPatchWarning(UserWarning):
    """Something about keras-rescaling-patch that its user should know."""


class NotNeededWarning(KerasRescalingPatchWarning):
    """This Keras already has the fix; keras-rescaling-patch can be removed."""
