"""The kinds of finding: each a rule with a stable code, registered here once.

A rule is data, as ruff's and modelscan's are: its code (``KRP001``), a
name, what it finds, how to fix it, and its level in SARIF. Everything
that reports a finding (text, JSON, SARIF, the documentation) reads the
rule from this table; ``--select``/``--ignore`` (``select``/``ignore`` in
the API) take its codes, checked by :func:`checked_codes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from keras_rescaling_patch.files.options import Option, SettingError


@dataclass(frozen=True)
class Rule:
    """A kind of finding: a stable code, its name, and what to say of it."""

    code: str
    name: str
    summary: str
    help: str
    level: str  # SARIF's: "error" or "warning"


RESCALING = Rule(
    "KRP001",
    "ArrayValuedRescalingArgument",
    "A Rescaling layer's scale or offset is a serialized array.",
    "Stock Keras 3.0.0 to 3.4.1 hand the serialized array to "
    "keras.layers.Rescaling unrestored, and the model fails at its first call "
    "after loading (keras-team/keras#20072, fixed in 3.5.0). Load it with "
    "`import keras_rescaling_patch` first or with Keras 3.5 or later, or rewrite "
    "the file once with `keras-rescaling-patch repair IN -o OUT`.",
    "error",
)
UNKNOWN_CLASS = Rule(
    "KRP002",
    "ArrayInAClassNotKnown",
    "A class this package does not know holds a serialized array.",
    "A class that is not part of Keras (a registered custom class, a keras_hub "
    "layer) receives a serialized array as a constructor argument; stock Keras "
    "hands it the marker unrestored, so the model works only if that class's "
    "own code restores it. `repair` does not rewrite it: it cannot know what "
    "the class does with a plain value.",
    "warning",
)
NOT_RESTORED = Rule(
    "KRP003",
    "UnrestoredArrayArgument",
    "A Keras class receives a serialized array that it does not restore.",
    "Keras writes an array or tensor given to a constructor as a serialized "
    "marker, and the default from_config hands it back to the class as a "
    "dict; the loaded object fails (at loading, at its first call, in "
    "evaluate or fit) or silently keeps the dict. The finding names the "
    "releases that do not restore it. Rewrite the file once with "
    "`keras-rescaling-patch repair IN -o OUT`: the value becomes a plain list "
    "or number, which every Keras 3 release loads.",
    "error",
)
CLASS_NOT_FOUND = Rule(
    "KRP010",
    "ClassNameNotInRelease",
    "A targeted Keras release finds no class under the name the file gives.",
    "Loading looks a class up by the module and name the file gives (for an "
    "object given as another's argument, such as an initializer, in its "
    "family's table of names); a newer release may write a name an older one "
    "does not have (keras.initializers.Orthogonal from 3.7, unknown to "
    "3.0-3.3), and the load fails with 'Could not locate class' or 'Could not "
    "interpret ... identifier'. `keras-rescaling-patch repair IN -o OUT "
    "--target-keras VERSION` writes the name that release knows for the same "
    "class, where it has one.",
    "error",
)
ARGUMENT_NOT_TAKEN = Rule(
    "KRP011",
    "ArgumentNotInRelease",
    "A targeted Keras release's class does not take an argument the file gives.",
    "A newer release writes every argument of its constructor, including ones "
    "an older release's class does not have (Dense's quantization_config from "
    "3.13); the older release refuses the file ('Unrecognized keyword "
    "arguments', 'unexpected keyword argument'). Where the file holds the "
    "argument's default, `keras-rescaling-patch repair IN -o OUT "
    "--target-keras VERSION` drops it, which gives the older release the "
    "model the newer one saved; any other value cannot be ported, and the "
    "finding names the oldest release that loads the file.",
    "error",
)
STRUCTURE_NOT_READ = Rule(
    "KRP012",
    "StructureNotReadByRelease",
    "A targeted Keras release does not read a structure the file holds.",
    "Some changes between releases show in no signature: a Functional "
    "model's single input or output written unwrapped (from 3.11, unread by "
    "3.0-3.3), Nadam's optimizer state laid out differently from 3.10. Each "
    "is an entry, with its evidence, in the table of "
    "keras_rescaling_patch/files/judgement/changes.py; "
    "`keras-rescaling-patch repair IN -o OUT --target-keras VERSION` "
    "rewrites those it can.",
    "error",
)
VALUE_NOT_TAKEN = Rule(
    "KRP013",
    "ValueNotInRelease",
    "A targeted Keras release does not have a value the file names.",
    "Some arguments take a name from a release's own vocabulary: a layer's "
    'activation ("celu" from 3.7), a loss or a metric the compile config '
    'names ("pearson_correlation" from 3.7), a loss\'s reduction '
    '("mean_with_sample_weight" from 3.12). An older release without the '
    "name refuses the file, or its fit does. No port can carry such a value: "
    "build the model with one that release has, or load it on a release that "
    "has it.",
    "error",
)
ARRAY_RULES: tuple[Rule, ...] = (RESCALING, UNKNOWN_CLASS, NOT_RESTORED)
RELEASE_RULES: tuple[Rule, ...] = (
    CLASS_NOT_FOUND,
    ARGUMENT_NOT_TAKEN,
    STRUCTURE_NOT_READ,
    VALUE_NOT_TAKEN,
)
RULES: tuple[Rule, ...] = (*ARRAY_RULES, *RELEASE_RULES)
RULE_CODES = frozenset(rule.code for rule in RULES)
BY_CODE = {rule.code: rule for rule in RULES}


def checked_codes(option: Option, given: object) -> frozenset[str]:
    """The rule codes ``given`` for ``option`` (``select``, ``ignore``), in
    upper case; :class:`SettingError` for anything but a list of known codes.
    """
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise SettingError(option, given, expected="a list of rule codes")
    codes = []
    for code in given:
        if not isinstance(code, str):
            raise SettingError(option, given, expected="a list of rule codes")
        codes.append(code.strip().upper())
    unknown = sorted(set(codes) - RULE_CODES)
    if unknown:
        known = ", ".join(sorted(RULE_CODES))
        raise SettingError(
            option, unknown[0], problem=f"no rule {unknown[0]!r}; the rules are {known}"
        )
    return frozenset(codes)
