"""The words for a finding, shared by every output that speaks: text and SARIF.

A finding arrives judged (``files/judgement/``): these functions only put
its facts and its verdict into words, so that every renderer says the same
thing about the same finding (its place as ``kernel_constraint.axis``, its
shape as ``3x4`` or what stands there instead, its releases as runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from keras_rescaling_patch._keras_releases import LATEST_CHECKED
from keras_rescaling_patch.files.judgement.findings import Finding, Incompatibility
from keras_rescaling_patch.files.judgement.releases import ORDER, checked_span
from keras_rescaling_patch.files.judgement.rules import (
    ARGUMENT_NOT_TAKEN,
    CLASS_NOT_FOUND,
    UNKNOWN_CLASS,
    VALUE_NOT_TAKEN,
)


def shape_text(shape: Sequence[int] | None) -> str:
    """``3x4``, ``scalar``, or what stands where an array's values belong."""
    if shape is None:
        return "not an array"
    return "x".join(map(str, shape)) or "scalar"


def shape_words(finding: Finding) -> str:
    """``shape 3`` for an array; for what is none, what it is instead."""
    if finding.malformed is not None:
        return finding.malformed
    return f"shape {shape_text(finding.shape)}"


def array_text(finding: Finding) -> str:
    """``__numpy__ float64``: what kind of serialized array, of which dtype."""
    return f"{finding.marker} {finding.dtype}"


@cache
def releases_text(releases: tuple[str, ...], later: bool) -> str:
    """Checked releases as runs of consecutive ones (``3.0.0-3.4.1,
    3.6.0``), and ``later``: the releases after the newest checked too.
    Once per value, which a scan of thousands of files meets again and
    again."""
    runs: list[list[str]] = []
    for text in sorted(releases, key=ORDER.__getitem__):
        if runs and ORDER[text] == ORDER[runs[-1][-1]] + 1:
            runs[-1].append(text)
        else:
            runs.append([text])
    shown = ", ".join(
        run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs
    )
    if later:
        return f"{shown} and later" if shown else f"releases after {LATEST_CHECKED}"
    return shown


def verdict_text(finding: Finding) -> str:
    """``KRP001 Rescaling: stock Keras 3.0.0-3.4.1 cannot restore it; fixed
    in 3.5.0``: what the targeted releases do with one finding."""
    head = f"{finding.rule} {finding.layer_class or finding.owner}"
    if finding.rule == UNKNOWN_CLASS.code:
        return (
            f"{head}: a class this package does not know; stock Keras hands it "
            "the marker unrestored, so it works only if that class's own code "
            "restores it"
        )
    if finding.since is None:
        return f"{head}: no Keras release restores it ({checked_span()} checked)"
    verdict = finding.verdict
    failing = releases_text(verdict.failing, verdict.failing_later)
    return f"{head}: stock Keras {failing} cannot restore it; fixed in {finding.since}"


def restored_text(finding: Finding) -> str:
    """Why an array is information only: every targeted release restores it
    (and which release does not, if one does not)."""
    if finding.rule is None:
        return "restored by stock Keras"
    return "restored by the targeted releases"


def not_restored_by(finding: Finding) -> str:
    """``KRP001: stock Keras 3.0.0-3.4.1 cannot``, for an array the
    targeted releases restore but others do not ('' for none)."""
    if finding.rule is None:
        return ""
    every = releases_text(finding.verdict.fails_anywhere, False)
    return f"{finding.rule}: stock Keras {every} cannot"


def port_text(finding: Incompatibility) -> str:
    """What a port to the targeted releases does with it, or why it cannot."""
    port = finding.port or ""
    if port == "drop":
        return "a port drops it (the file holds the default)"
    if port.startswith("rename:"):
        return f"a port writes {port.partition(':')[2]}, their name for it"
    if port.startswith("move:"):
        module, _, name = port.partition(":")[2].partition(":")
        return f"a port writes {module}.{name}, where they find it"
    if port == "rewrap":
        return "a port wraps it in a list, as those releases write it"
    if port.startswith("name:"):
        return f'a port writes the policy\'s name, "{port.partition(":")[2]}"'
    return f"no port: {finding.blocked}"


def one_release(releases: tuple[str, ...], later: bool) -> bool:
    """Whether a verdict speaks of one release (``does``) or several (``do``)."""
    return len(releases) == 1 and not later


def incompatibility_text(finding: Incompatibility) -> str:
    """``KRP011 Dense: stock Keras 3.0.0-3.12.4 do not take
    quantization_config (from 3.13.0 on); a port drops it ...``."""
    verdict = finding.verdict
    failing = releases_text(verdict.failing, verdict.failing_later)
    single = one_release(verdict.failing, verdict.failing_later)
    since = f" (from {verdict.works_from} on)" if verdict.works_from else ""
    if finding.readers:
        since = f" (read by {finding.readers})"
    does, finds = ("does", "finds") if single else ("do", "find")
    if finding.rule == CLASS_NOT_FOUND.code:
        what = f"stock Keras {failing} {finds} no class of this name{since}"
    elif finding.rule == ARGUMENT_NOT_TAKEN.code:
        what = f"stock Keras {failing} {does} not take {finding.argument}{since}"
    elif finding.rule == VALUE_NOT_TAKEN.code:
        what = f"{finding.structure} stock Keras {failing} {does} not have{since}"
    else:
        what = (
            f"{finding.structure}, which stock Keras {failing} {does} not read{since}"
        )
    return f"{finding.rule} {finding.owner}: {what}; {port_text(finding)}"


def value_text(finding: Incompatibility) -> str:
    """``quantization_config = null``: where it is, and what it holds."""
    if finding.rule in (ARGUMENT_NOT_TAKEN.code, VALUE_NOT_TAKEN.code):
        return f"{finding.place} = {finding.value}"
    if finding.rule == CLASS_NOT_FOUND.code:
        return f"{finding.place} = {finding.value}" if finding.place else finding.value
    return finding.place or finding.owner


def described(finding: Finding | Incompatibility) -> str:
    """One finding in a sentence, for outputs without columns (SARIF):
    ``In 'functional/dense', kernel_constraint.axis gives UnitNorm a
    serialized array (__numpy__, int64, shape 1): KRP003 ...``."""
    if isinstance(finding, Incompatibility):
        return (
            f"In '{finding.path}', {value_text(finding)}: "
            f"{incompatibility_text(finding)}."
        )
    owner = finding.layer_class or finding.owner
    return (
        f"In '{finding.path}', {finding.place} gives {owner} a serialized "
        f"array ({finding.marker}, {finding.dtype}, {shape_words(finding)}): "
        f"{verdict_text(finding)}."
    )
