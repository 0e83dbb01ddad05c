"""Decide whether the Keras in this process needs the shim.

Two questions, asked in order, each cheap:

1. The version. Keras 3.0.0 up to (not including) 3.5.0 shipped the bug;
   3.5.0 fixed it (keras-team/keras#20072, #20079). Keras 2 never had it.
2. The behaviour. A version number alone cannot tell a stock 3.4.1 from a
   vendored 3.4.1 carrying the fix from ``patches/`` or a development
   build that already has it. Where the class's methods still come from a
   file byte-identical to a released affected ``rescaling.py`` (the usual
   case), its behaviour is that release's: known buggy. Anything else gets
   the behavioural probe: a layer is built once with an array ``scale``
   and asked for its config; the buggy class hands back the raw array, the
   fixed one a serialized marker. (The probe costs the import about a
   millisecond; hashing a 3 KB file, a few microseconds.)

The decision itself (:func:`decide`) is a pure function of the version
string, the class and a probe, so it can be tested with fakes.

This runs inside ``import keras_rescaling_patch`` when Keras is already
imported, so its types are plain classes: a dataclass or an enum would
cost that import a millisecond or more to create.
"""

from __future__ import annotations

import inspect
import os
import sys

from keras_rescaling_patch._keras_releases import (
    FIRST_FIXED,
    PRISTINE_RESCALING_SHA256,
    InvalidVersion,
    Version,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

UPSTREAM_BUG = "keras-team/keras#20072"
UPSTREAM_FIX = "keras-team/keras#20079"
PROBE_LAYER_NAME = "keras_rescaling_patch_probe"


class Probe:
    """What the behavioural probe saw (one of these three strings)."""

    BUGGY = "buggy"
    FIXED = "fixed"
    UNEXPECTED = "unexpected"


class Verdict:
    """The gate's answer for one Keras installation (not to be changed).

    ``affected``: this Keras has the bug. ``patchable``: the shim knows this
    ``Rescaling`` and may be installed (always when affected; on a fixed
    Keras 3 only when forced). ``nothing_to_patch``: there is no Keras, or
    it is Keras 2: the question does not arise.
    """

    __slots__ = ("affected", "keras_version", "nothing_to_patch", "patchable", "reason")

    def __init__(
        self,
        keras_version: str | None,
        affected: bool,
        patchable: bool,
        reason: str,
        *,
        nothing_to_patch: bool = False,
    ) -> None:
        self.keras_version = keras_version
        self.affected = affected
        self.patchable = patchable
        self.reason = reason
        self.nothing_to_patch = nothing_to_patch

    def __repr__(self) -> str:
        return (
            f"Verdict({self.keras_version!r}, affected={self.affected}, "
            f"patchable={self.patchable}, reason={self.reason!r})"
        )

    @property
    def fixed(self) -> bool:
        """A Keras 3 that already has the fix: the shim is not needed."""
        return self.patchable and not self.affected


def looks_like_known_rescaling(cls: object) -> str | None:
    """Return why ``cls`` is not the ``Rescaling`` we patch, or ``None``."""
    if not isinstance(cls, type):
        return "keras.layers.Rescaling is not a class"
    own = vars(cls)
    for name in ("__init__", "get_config", "call"):
        if not callable(own.get(name)):
            return f"Rescaling does not define {name}() itself"
    try:
        parameters = list(inspect.signature(own["__init__"]).parameters)
    except (TypeError, ValueError):
        return "the signature of Rescaling.__init__ cannot be read"
    if parameters[:3] != ["self", "scale", "offset"]:
        return "Rescaling.__init__ does not take (scale, offset)"
    return None


def stock_source(cls: object, methods: Mapping[str, object] | None = None) -> bool:
    """Whether ``cls`` runs, unchanged, the code of a released affected file.

    Its methods must come from its module's file, the class must not have
    gained a ``from_config``, and the file must be byte-identical to a
    pristine ``rescaling.py`` of 3.0.0-3.4.1. Then the probe is not needed.
    ``methods``: the class's own methods as they were before the shim, for a
    class it has patched (``None`` for a method the class did not define).
    """
    module = sys.modules.get(getattr(cls, "__module__", ""))
    path = getattr(module, "__file__", None)
    if not isinstance(cls, type) or not isinstance(path, str):
        return False
    own = vars(cls) if methods is None else methods
    if own.get("from_config") is not None:
        return False
    for name in ("__init__", "get_config", "call"):
        code = getattr(own.get(name), "__code__", None)
        if code is None or code.co_filename != path:
            return False
    try:
        with open(path, "rb") as stream:
            data = stream.read(1 << 16)
    except OSError:
        return False
    import hashlib

    return hashlib.sha256(data).hexdigest() in PRISTINE_RESCALING_SHA256


def probe(cls: type) -> str:
    """Build one ``Rescaling`` with an array scale and read its config.

    The layer gets an explicit name, so Keras's automatic layer names
    (``rescaling``, ``rescaling_1``, ...) are not advanced. No model is
    built and nothing is called; it costs well under a millisecond.
    """
    import numpy as np

    try:
        layer = cls(
            scale=np.array([2.0]), offset=np.array([1.0]), name=PROBE_LAYER_NAME
        )
        scale = layer.get_config()["scale"]
    except Exception:  # noqa: BLE001 - any failure means "not what we know"
        return Probe.UNEXPECTED
    if isinstance(scale, np.ndarray):
        return Probe.BUGGY
    if isinstance(scale, dict) and scale.get("class_name") == "__numpy__":
        return Probe.FIXED
    return Probe.UNEXPECTED


def decide(
    keras_version: str | None,
    rescaling: object,
    run_probe: Callable[[type], str] = probe,
    *,
    has_serializer: bool = True,
    methods: Mapping[str, object] | None = None,
) -> Verdict:
    """Decide from a Keras version string and its ``Rescaling`` class.

    ``has_serializer``: Keras's ``serialization_lib`` offers the two
    functions the shim calls. ``methods``: see :func:`stock_source`.
    """
    if keras_version is None:
        return Verdict(
            None,
            False,
            False,
            "Keras is not installed; nothing to patch.",
            nothing_to_patch=True,
        )
    try:
        version = Version.parse(keras_version)
    except InvalidVersion:
        return Verdict(
            keras_version,
            False,
            False,
            f"Keras version {keras_version!r} cannot be parsed; the shim stays out.",
        )
    if version.major < 3:
        return Verdict(
            keras_version,
            False,
            False,
            f"Keras {keras_version} is Keras 2, which never had the bug: not "
            "affected, nothing to patch.",
            nothing_to_patch=True,
        )
    if not has_serializer:
        return Verdict(
            keras_version,
            False,
            False,
            f"Keras {keras_version} has no keras.src.saving.serialization_lib "
            "with the functions the shim uses; the shim stays out.",
        )
    unknown = looks_like_known_rescaling(rescaling)
    if unknown is not None:
        return Verdict(
            keras_version,
            False,
            False,
            f"Keras {keras_version}: {unknown}, so it is not the class this "
            "package patches; the shim stays out.",
        )
    if version >= FIRST_FIXED:
        return Verdict(
            keras_version,
            False,
            True,
            f"Keras {keras_version} already contains the fix "
            f"({UPSTREAM_FIX}, released in 3.5.0); keras-rescaling-patch is "
            "not needed here and can be removed.",
        )
    assert isinstance(rescaling, type)
    seen = Probe.BUGGY if stock_source(rescaling, methods) else run_probe(rescaling)
    if seen == Probe.FIXED:
        return Verdict(
            keras_version,
            False,
            True,
            f"Keras {keras_version} is a release with the bug, but its "
            "Rescaling already serializes array arguments (a patched or "
            "vendored copy); the shim is not needed.",
        )
    if seen == Probe.BUGGY:
        return Verdict(
            keras_version,
            True,
            True,
            f"Keras {keras_version} cannot reload a Rescaling layer whose "
            f"scale or offset is an array ({UPSTREAM_BUG}).",
        )
    return Verdict(
        keras_version,
        False,
        False,
        f"Keras {keras_version}: a test Rescaling layer did not behave like "
        "the known buggy or fixed class; the shim stays out.",
    )


def verdict_for_import_error(error: BaseException) -> Verdict:
    """The verdict when ``import keras`` failed: say what to do about it."""
    if isinstance(error, ModuleNotFoundError) and error.name == "keras":
        return decide(None, None)
    installed = distribution_version("keras")
    if installed is not None and is_keras_2(installed):
        return decide(installed, None)  # whatever broke it, Keras 2 is not affected
    what = f"Keras {installed} is installed but" if installed else "Keras"
    missing = error.name if isinstance(error, ModuleNotFoundError) else None
    if missing in BACKEND_MODULES:
        chosen = os.environ.get("KERAS_BACKEND") or missing
        lacking = (  # Keras 3.0-3.4's numpy backend imports jax
            f"its {missing} backend is not installed"
            if chosen == missing
            else f"its {chosen} backend needs {missing}, which is not installed"
        )
        return Verdict(
            installed,
            False,
            False,
            f"{what} cannot be imported: {lacking} "
            f"(No module named {missing!r}). Install a backend (for example "
            "`pip install tensorflow-cpu`, or `jax[cpu]`, or `torch`) or set "
            "KERAS_BACKEND to one that is installed; the shim applies when "
            "Keras imports.",
        )
    return Verdict(
        installed,
        False,
        False,
        f"{what} failed to import ({type(error).__name__}: {error}); the shim "
        "applies when Keras imports.",
    )


# What the import of each Keras backend is called, for a readable verdict.
BACKEND_MODULES = frozenset({"tensorflow", "jax", "jaxlib", "torch"})


def is_keras_2(version: str) -> bool:
    """Whether a Keras version string is a Keras 2 (or older) release."""
    try:
        return Version.parse(version).major < 3
    except InvalidVersion:
        return False


def distribution_version(*names: str) -> str | None:
    """The version of the first of ``names`` that is installed, from its
    metadata (nothing is imported; ``importlib.metadata`` itself costs 25 ms,
    so only the rare paths that need it ask)."""
    import importlib.metadata

    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def inspect_keras(
    keras: object,
    serialization_lib: object | None,
    methods: Mapping[str, object] | None = None,
) -> Verdict:
    """Decide for an imported Keras module. Never raises, never imports.

    ``serialization_lib`` is ``keras.src.saving.serialization_lib`` when it
    could be imported: the shim needs its two functions. ``methods``: see
    :func:`stock_source`.
    """
    version = getattr(keras, "__version__", None)
    if not isinstance(version, str):
        return Verdict(
            None, False, False, "keras has no __version__; the shim stays out."
        )
    layers = getattr(keras, "layers", None)
    has_serializer = all(
        callable(getattr(serialization_lib, name, None))
        for name in ("serialize_keras_object", "deserialize_keras_object")
    )
    return decide(
        version,
        getattr(layers, "Rescaling", None),
        has_serializer=has_serializer,
        methods=methods,
    )
