"""The judgement of one model config: every finding with its verdict, once.

The format finds where each serialized array and object goes
(``files/model/config_walk.py``); here each array is judged against the
restoration table (``restoration.py``), each object against what every
release accepts (``portability.py``), both for the caller's targets: by
default the release that saved the file (its metadata says which) and every
later one. The config's findings are sorted by one policy, used by ``scan``
and ``repair`` alike:

- *affected*: some targeted release leaves an array unrestored, or cannot
  read an object (a class name, an argument, a structure);
- *suspect*: a class this package does not know holds an array (its own
  code may or may not restore it);
- *information*: every targeted release restores the array;
- *left out*: its rule is one the caller chose not to report (counted).

``repair`` rewrites what is affected and refuses what is suspect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from keras_rescaling_patch._keras_releases import Version
from keras_rescaling_patch.files.judgement.findings import (
    AFFECTED,
    INFORMATION,
    SUSPECT,
    Finding,
    Incompatibility,
    Verdict,
)
from keras_rescaling_patch.files.judgement.portability import (
    JudgedObject,
    judge_objects,
)
from keras_rescaling_patch.files.judgement.release_scope import scope
from keras_rescaling_patch.files.judgement.releases import CHECKED, failing_before
from keras_rescaling_patch.files.judgement.restoration import restored_since
from keras_rescaling_patch.files.judgement.rules import (
    NOT_RESTORED,
    RESCALING,
    UNKNOWN_CLASS,
)
from keras_rescaling_patch.files.model.config_walk import (
    Placement,
    Walked,
    is_keras_class,
)
from keras_rescaling_patch.files.options import DEFAULT_JUDGING, Judging, Targets

EVERY = Targets()


@dataclass(frozen=True)
class Judged:
    """A finding and the placement it was found at (for ``repair``)."""

    finding: Finding
    placement: Placement


@dataclass(frozen=True)
class Judgement:
    """A config's findings for the targets and rules chosen.

    ``failing``: the targeted checked releases some affected finding fails
    on; ``failing_later``: releases after the newest checked fail too.
    """

    affected: tuple[Judged, ...] = ()
    suspect: tuple[Judged, ...] = ()
    information: tuple[Judged, ...] = ()
    left_out: int = 0
    failing: tuple[str, ...] = ()
    failing_later: bool = False
    unreadable: tuple[JudgedObject, ...] = ()
    targets: Targets = field(default_factory=Targets)
    saved_by: str | None = None
    loads_from: str | None = None  # the oldest release that reads every object

    @property
    def findings(self) -> tuple[Finding | Incompatibility, ...]:
        """The findings reported: affected, suspect, then information."""
        objects = tuple(judged.finding for judged in self.unreadable)
        every = (*self.affected, *self.suspect, *self.information)
        return objects + tuple(judged.finding for judged in every)


def _finding(placement: Placement, targets: Targets) -> Finding:
    """One placement judged: its rule, class, argument, and verdict."""
    facts = placement.facts
    owner = placement.owner
    if owner is None or placement.argument is None:  # restored by Keras itself
        return Finding(
            placement.path, placement.key, facts.kind, facts.dtype, facts.shape,
            malformed=facts.malformed,
        )  # fmt: skip
    owner_class = str(owner["class_name"])
    argument = placement.argument
    layer_class, rule, since, verdict = None, None, None, Verdict(INFORMATION)
    if not is_keras_class(owner):
        layer_class = str(owner.get("registered_name") or owner_class)
        rule = UNKNOWN_CLASS.code
        verdict = Verdict(SUSPECT, failing_later=targets.open_ended)
    else:
        ever, since = restored_since(owner_class, argument)
        if not (ever and since is None):
            # A Keras class given an argument: Rescaling by its name alone.
            rule = (RESCALING if owner_class == "Rescaling" else NOT_RESTORED).code
            verdict = _array_verdict(targets, since)
    return Finding(
        placement.path, placement.key, facts.kind, facts.dtype, facts.shape,
        layer_class, facts.malformed, rule, owner_class, argument, since, verdict,
    )  # fmt: skip


@lru_cache(maxsize=4096)
def _array_verdict(targets: Targets, since: str | None) -> Verdict:
    failing = failing_before(targets, since)
    later = since is None and targets.open_ended
    return Verdict(
        AFFECTED if failing or later else INFORMATION,
        failing=failing,
        failing_later=later,
        fails_anywhere=failing_before(EVERY, since),
        works_from=since,
    )


def judge(
    walked: Walked | Iterable[Placement],
    judging: Judging = DEFAULT_JUDGING,
    saved_by: str | None = None,
) -> Judgement:
    """Every array and object of a config judged for ``judging``'s targets
    (by default, from ``saved_by`` on) and rules."""
    targets = judging.targets_for(saved_by)
    if isinstance(walked, Walked):
        placements, objects = walked.placements, walked.objects
    else:
        placements, objects = tuple(walked), ()
    affected: list[Judged] = []
    suspect: list[Judged] = []
    information: list[Judged] = []
    left_out = 0
    for placement in placements:
        finding = _finding(placement, targets)
        if finding.rule is not None and not judging.reports(finding.rule):
            left_out += 1
            continue
        status = finding.status
        if status == AFFECTED:
            affected.append(Judged(finding, placement))
        elif status == SUSPECT:
            suspect.append(Judged(finding, placement))
        else:
            information.append(Judged(finding, placement))
    unreadable = []
    for item in judge_objects(objects, scope(targets, saved_by)):
        if judging.reports(item.finding.rule):
            unreadable.append(item)
        else:
            left_out += 1
    failing: set[str] = set()
    later = False
    verdicts = [j.finding.verdict for j in affected]
    verdicts += [j.finding.verdict for j in unreadable]
    for verdict in verdicts:
        failing.update(verdict.failing)
        later = later or verdict.failing_later
    works = [j.finding.verdict.works_from for j in unreadable]
    return Judgement(
        tuple(affected),
        tuple(suspect),
        tuple(information),
        left_out,
        _in_order(frozenset(failing)) if failing else (),
        later,
        tuple(unreadable),
        targets,
        saved_by,
        _latest(works) if works and all(works) else None,
    )


@lru_cache(maxsize=1024)
def _in_order(failing: frozenset[str]) -> tuple[str, ...]:
    """The releases of ``failing``, oldest first (a fleet's files mostly
    fail on the same ones)."""
    return tuple(text for text, _ in CHECKED if text in failing)


def _latest(versions: list[str | None]) -> str:
    return max((v for v in versions if v), key=lambda v: Version.parse(v))
