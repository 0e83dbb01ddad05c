"""A file ported down: each incompatibility rewritten as its verdict says.

The judgement (``portability.py``) says, for each thing a targeted release
cannot read, what a port writes instead (``drop``, ``rename:NAME``,
``move:MODULE:NAME``, ``rewrap``, ``name:POLICY``) or why nothing can be.
:func:`port` makes those edits in the parsed config, all or none, with the
format's primitives (``files/model/config_walk.py``); the job judges the
result again before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_rescaling_patch.files.judgement.portability import JudgedObject
from keras_rescaling_patch.files.model.config_walk import drop_key, put, rename, wrap
from keras_rescaling_patch.files.problems import FileProblem


class NotPortable(FileProblem):
    """Something a targeted release cannot represent: the message names the
    class, the key and the oldest release that loads the file."""


@dataclass(frozen=True)
class Port:
    """One change a port made, for the report: where, and what."""

    path: str
    place: str
    rule: str
    done: str  # "dropped quantization_config = null (the default)", ...


def port(
    unreadable: tuple[JudgedObject, ...], loads_from: str | None
) -> tuple[Port, ...]:
    """Rewrite every incompatibility in the parsed config, all or none:
    ``NotPortable`` names the first that cannot be, and then nothing is
    changed."""
    for judged in unreadable:
        finding = judged.finding
        if finding.port is None:
            oldest = (
                f"; the oldest release that loads it: {loads_from}"
                if loads_from
                else ""
            )
            where = f"{finding.path} {finding.place}".strip()
            raise NotPortable(f"{where}: {finding.owner} {finding.blocked}{oldest}")
    done = []
    # Drops and rewraps first: a rename, a move or a name replaces the entry.
    last = ("rename", "move", "name")
    ordered = sorted(unreadable, key=lambda j: str(j.finding.port).startswith(last))
    for judged in ordered:
        finding, placement = judged.finding, judged.placement
        kind, _, detail = str(finding.port).partition(":")
        if kind == "drop":
            drop_key(placement.entry, str(finding.argument))
            why = (
                "the default"
                if finding.default is not None and finding.value == finding.default
                else "as if left out"
            )
            what = f"dropped {finding.argument} = {finding.value} ({why})"
        elif kind == "rename":
            rename(placement.entry, None, detail)
            what = f"renamed {finding.owner} to {detail}"
        elif kind == "move":
            module, _, name = detail.partition(":")
            rename(placement.entry, module, name)
            what = f"wrote {finding.owner} as {module}.{name}"
        elif kind == "rewrap":
            wrap(placement.entry, str(finding.argument))
            what = f"wrapped {finding.argument} in a list"
        else:  # "name": a dtype policy object, as its name
            put(placement, detail)
            what = f'wrote the {finding.owner} as its name, "{detail}"'
        done.append(Port(finding.path, finding.place, finding.rule, what))
    return tuple(done)
