"""``KRP012``: the structures and layouts of the table (``changes.py``)
that no signature shows: a single input or output written unwrapped, a
Nadam optimizer's state, the saved state of a class older releases lay out
otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from keras_rescaling_patch._keras_releases import Version
from keras_rescaling_patch.files.judgement import changes
from keras_rescaling_patch.files.judgement.arguments import compile_names
from keras_rescaling_patch.files.judgement.findings import (
    Incompatibility,
)
from keras_rescaling_patch.files.judgement.knowledge import (
    Knowledge,
)
from keras_rescaling_patch.files.judgement.release_scope import (
    Scope,
    as_json,
    verdict_of,
)
from keras_rescaling_patch.files.judgement.rules import (
    STRUCTURE_NOT_READ,
)
from keras_rescaling_patch.files.model.config_walk import (
    ObjectPlacement,
)


def is_triple(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(item, int) for item in value[1:])
    )


def _reading(known: Knowledge, read_from: str | None) -> int:
    """The releases from ``read_from`` on (a mask)."""
    if read_from is None:
        return known.every
    bound = Version.parse(read_from)
    mask = 0
    for number, text in enumerate(known.releases):
        if Version.parse(text) >= bound:
            mask |= 1 << number
    return mask


def structure_findings(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope
) -> Iterator[Incompatibility]:
    """The table's structures in a model's config and compile config."""
    entry = placement.entry
    config = entry["config"]
    for key in ("input_layers", "output_layers"):
        if is_triple(config.get(key)):
            reads = _reading(known, changes.UNWRAPPED_IO.read_from)
            verdict = verdict_of(known, scope_, reads)
            if verdict is not None:
                yield Incompatibility(
                    STRUCTURE_NOT_READ.code, path=placement.path,
                    key=f"config.{key}", owner=str(entry["class_name"]),
                    argument=key, value=as_json(config[key]),
                    saved_by=scope_.saved_by, port="rewrap", verdict=verdict,
                    structure=changes.UNWRAPPED_IO.what,
                )  # fmt: skip
    if _compiled_with_nadam(entry) and scope_.saved_by in known.index:
        reads = _reading(known, changes.NADAM_STATE.read_from)
        saved = known.index[str(scope_.saved_by)]
        same_side = reads if reads >> saved & 1 else known.every & ~reads
        verdict = verdict_of(known, scope_, same_side)
        if verdict is not None:
            yield Incompatibility(
                STRUCTURE_NOT_READ.code, path=placement.path,
                key="compile_config.optimizer", owner="Nadam", argument=None,
                value=as_json("Nadam"), saved_by=scope_.saved_by,
                blocked=f"may hold its optimizer state as {scope_.saved_by} lays "
                f"it out, which those releases do not read; {changes.NADAM_ADVICE}",
                verdict=verdict, structure=changes.NADAM_STATE.what,
                readers=", ".join(known.runs(same_side)),
            )  # fmt: skip
    yield from compile_names(known, placement, scope_)


def _compiled_with_nadam(entry: dict[str, Any]) -> bool:
    optimizer = (entry.get("compile_config") or {}).get("optimizer")
    return (
        isinstance(optimizer, dict)
        and str(optimizer.get("class_name", "")).lower() == "nadam"
    )


def layout_findings(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope, layout: changes.Layout
) -> Iterator[Incompatibility]:
    """A class whose saved state older releases lay out otherwise."""
    saved = scope_.saved_by
    if saved and layout.written_from:
        try:
            if Version.parse(saved) < Version.parse(layout.written_from):
                return
        except ValueError:
            pass
    verdict = verdict_of(known, scope_, _reading(known, layout.read_from))
    if verdict is not None:
        yield Incompatibility(
            STRUCTURE_NOT_READ.code, path=placement.path, key=placement.key,
            owner=layout.class_name, argument=None, value=as_json(layout.class_name),
            saved_by=saved, structure=layout.what, verdict=verdict,
            blocked=f"keeps {layout.what}, which no port changes (repair "
            "copies the weights and the build config as they are)",
        )  # fmt: skip


def holds_structure(entry: dict[str, Any]) -> bool:
    """Whether a model holds anything to look at (a bare triple, Nadam, a
    compile config naming losses or metrics)."""
    config = entry["config"]
    if is_triple(config.get("input_layers")) or is_triple(config.get("output_layers")):
        return True
    return isinstance(entry.get("compile_config"), dict)
