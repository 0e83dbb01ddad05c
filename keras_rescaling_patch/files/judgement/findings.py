"""A finding and its verdict, as data: decided once, worded by every output.

A :class:`Finding` says what was found where (a serialized array, the
class it reaches, the argument); its :class:`Verdict` says what the Keras
releases the caller targets do with it: which of them fail, whether the
releases after the newest checked fail too, and which release is the
first that works. Renderers word both and never judge again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keras_rescaling_patch._keras_releases import Version
from keras_rescaling_patch.files.model.config_walk import place_of

AFFECTED, SUSPECT, INFORMATION = "affected", "suspect", "information"


@dataclass(frozen=True)
class Verdict:
    """What the targeted releases do with a finding.

    ``status``: ``affected`` (some targeted release fails), ``suspect`` (a
    class this package does not know: it may fail) or ``information``
    (every targeted release works). ``failing``: the checked releases
    among the targets that fail, oldest first; ``failing_later``: targeted
    releases newer than every checked one fail too (by the rule);
    ``fails_anywhere``: every checked release that fails, targeted or not;
    ``works_from``: the first release that works (``None``: none does).
    """

    status: str
    failing: tuple[str, ...] = ()
    failing_later: bool = False
    fails_anywhere: tuple[str, ...] = ()
    works_from: str | None = None


@dataclass(frozen=True)
class Finding:
    """One serialized array in a config, and what Keras does with it.

    ``rule``: the kind of finding (``KRP001``...), ``None`` for an array
    that Keras restores on every release. ``owner``/``argument``: the class
    it is handed to, and as which argument. ``since``: the first release that
    restores it (``None``: none does, or, without a rule, every one does).
    ``verdict``: what the targeted releases do with it.
    """

    path: str  # the layer, through nested models
    key: str  # where in that layer's entry, e.g. "config.scale"
    marker: str  # "__numpy__", "__tensor__" or "__bytes__"
    dtype: str | None
    shape: tuple[int, ...] | None
    layer_class: str | None = None  # for a suspect: the class's registered name
    # What stands where an array's values belong, when it is no array (a
    # string, say): no Keras writes that, so the file is malformed there.
    malformed: str | None = None
    rule: str | None = None
    owner: str | None = None
    argument: str | None = None
    since: str | None = None
    verdict: Verdict = field(default=Verdict(INFORMATION), compare=False)

    def fails_on(self, version: Version | str) -> bool:
        """Whether stock Keras ``version`` (``"3.4.1"``) leaves it unrestored
        (a suspect: as far as this package can tell); ``ValueError`` for
        what is not a version."""
        if not isinstance(version, Version):
            if not isinstance(version, str):
                raise ValueError(f"not a Keras version: {version!r}")
            version = Version.parse(version)
        if self.rule is None:
            return False
        return self.since is None or version < Version.parse(self.since)

    @property
    def place(self) -> str:
        """Where it is, for people: ``kernel_constraint.axis``, ``scale``."""
        return place_of(self.key)

    @property
    def status(self) -> str:
        return self.verdict.status

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: where, what, and the rule and first fixed release."""
        report: dict[str, Any] = {
            "path": self.path,
            "key": self.key,
            "marker": self.marker,
            "dtype": self.dtype,
            "shape": list(self.shape) if self.shape is not None else None,
            "layer_class": self.layer_class,
        }
        if self.malformed is not None:
            report["malformed"] = self.malformed  # only where there is something
        report.update(
            rule=self.rule,
            argument=self.argument,
            **{"class": self.owner},
            fixed_in=self.since if self.rule else None,
        )
        return report


@dataclass(frozen=True)
class Incompatibility:
    """Something in a file that a targeted release cannot read: a class
    name it does not find, an argument its class does not take, or a
    structure it does not read (``rule``: ``KRP010``, ``KRP011``, ``KRP012``).

    ``owner``: the class; ``argument``: the config key (for an argument);
    ``value``: what the file holds there, as compact JSON; ``default``: the
    argument's default in the release that saved the file (JSON), where it
    has one; ``port``: what ``repair --target-keras`` does with it (``drop``,
    ``rename:NAME``, ``rewrap``, ``name:POLICY``), or ``None`` where it
    cannot, and ``blocked`` then says why.
    """

    rule: str
    path: str
    key: str
    owner: str
    argument: str | None
    value: str
    default: str | None = None
    saved_by: str | None = None
    port: str | None = None
    blocked: str | None = None
    structure: str | None = None  # for KRP012 and KRP013: what it is, for people
    readers: str | None = None  # where not every release from one on reads it
    verdict: Verdict = field(default=Verdict(AFFECTED), compare=False)

    def fails_on(self, version: Version | str) -> bool:
        """Whether stock Keras ``version`` (a release checked and targeted,
        or one after the newest checked) cannot read it."""
        if not isinstance(version, Version):
            if not isinstance(version, str):
                raise ValueError(f"not a Keras version: {version!r}")
            version = Version.parse(version)
        shown = str(version).split(" ")[0]
        if shown in self.verdict.failing:
            return True
        from keras_rescaling_patch._keras_releases import LATEST_CHECKED

        return self.verdict.failing_later and version > Version.parse(LATEST_CHECKED)

    @property
    def place(self) -> str:
        """Where it is, for people (``""``: the object itself)."""
        return place_of(self.key) if self.key else ""

    @property
    def status(self) -> str:
        return self.verdict.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "key": self.key,
            "rule": self.rule,
            "class": self.owner,
            "argument": self.argument,
            "value": self.value,
            "default": self.default,
            "saved_by": self.saved_by,
            "failing": list(self.verdict.failing),
            "failing_later": self.verdict.failing_later,
            "works_from": self.verdict.works_from,
            "port": self.port,
            "blocked": self.blocked,
        }
