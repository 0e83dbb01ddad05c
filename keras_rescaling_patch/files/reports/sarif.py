"""SARIF 2.1.0 for code-scanning services (``scan --format sarif``).

One rule per kind of finding, one result per affected or suspect argument,
at the model file: a path relative to the folder the scan ran in (under
``%SRCROOT%``, so a repository's checkout maps it to its files), or the URL
of a remote one. Files that could not be read are tool notifications, not
results: they are not findings about a model. Checked with Microsoft's
SARIF Multitool (``validate``) in the tests.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from keras_rescaling_patch.files.model.config_scan import Finding
from keras_rescaling_patch.files.problems import Spelling, api_spelling
from keras_rescaling_patch.files.reports.scan_report import FileReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/keras-team/keras/issues/20072"
ROOT = "SRCROOT"

AFFECTED_RULE = {
    "id": "KRP001",
    "name": "ArrayValuedRescalingArgument",
    "shortDescription": {
        "text": "A Rescaling layer's scale or offset is a serialized array."
    },
    "fullDescription": {
        "text": (
            "Keras 3.0.0 to 3.4.1 save an array-valued scale or offset of "
            "keras.layers.Rescaling as a serialized array, and cannot run the "
            "model after loading it (keras-team/keras#20072, fixed in 3.5.0)."
        )
    },
    "help": {
        "text": (
            "Load the model with `import keras_rescaling_patch` first or with "
            "Keras 3.5 or later, or rewrite the file once with "
            "`keras-rescaling-patch repair IN -o OUT`."
        )
    },
    "helpUri": INFORMATION_URI,
    "defaultConfiguration": {"level": "error"},
}
SUSPECT_RULE = {
    "id": "KRP002",
    "name": "ArrayValuedScaleOfAnotherLayer",
    "shortDescription": {
        "text": "A layer of another class holds a serialized array as scale or offset."
    },
    "fullDescription": {
        "text": (
            "A layer that is not keras.layers.Rescaling (a registered subclass, a "
            "keras_hub layer) holds a serialized array as scale or offset; stock "
            "Keras 3.0 to 3.4 hands it the serialized array too, so it fails there "
            "unless its own code restores the array."
        )
    },
    "help": {
        "text": (
            "Load the model with `import keras_rescaling_patch` first (it covers "
            "subclasses that use Rescaling's methods) or with Keras 3.5 or later."
        )
    },
    "helpUri": INFORMATION_URI,
    "defaultConfiguration": {"level": "warning"},
}


def _uri(report: FileReport, root: Path) -> dict[str, str]:
    """The file's URI: a path's bytes as they are on disk, percent-encoded
    (a name that is not UTF-8 keeps its bytes: ``%FF``)."""
    if report.remote:
        return {"uri": report.file}
    path = Path(os.path.abspath(report.file))
    try:
        relative = path.relative_to(root)
    except ValueError:
        return {"uri": "file://" + quote(os.fsencode(path.as_posix()))}
    return {"uri": quote(os.fsencode(relative.as_posix())), "uriBaseId": ROOT}


def _physical(report: FileReport, root: Path) -> dict[str, Any]:
    """The file; the whole of it as the region (a model file has no lines)."""
    location: dict[str, Any] = {"artifactLocation": _uri(report, root)}
    if report.size:
        location["region"] = {"byteOffset": 0, "byteLength": report.size}
    return location


def _message(report: FileReport, finding: Finding, rule: dict[str, Any]) -> str:
    argument = finding.key.rsplit(".", 1)[-1]
    shape = "x".join(map(str, finding.shape or ())) or "scalar"
    layer = f"{finding.layer_class} layer" if finding.layer_class else "Rescaling layer"
    verdict = (
        "stock Keras 3.0-3.4 cannot run this model"
        if rule is AFFECTED_RULE
        else "stock Keras 3.0-3.4 probably cannot run this model"
    )
    return (
        f"The {layer} '{finding.path}' holds its {argument} as a serialized array "
        f"({finding.marker}, {finding.dtype}, shape {shape}): {verdict}."
    )


def _result(
    report: FileReport, finding: Finding, rule: dict[str, Any], root: Path
) -> dict[str, Any]:
    argument = finding.key.rsplit(".", 1)[-1]
    # surrogatepass: a name from a file need not be valid UTF-8.
    identity = f"{report.file}\0{finding.path}\0{argument}".encode(
        "utf-8", "surrogatepass"
    )
    return {
        "ruleId": rule["id"],
        "ruleIndex": 0 if rule is AFFECTED_RULE else 1,
        "level": rule["defaultConfiguration"]["level"],
        "message": {"text": _message(report, finding, rule)},
        "locations": [
            {
                "physicalLocation": _physical(report, root),
                "logicalLocations": [
                    {
                        "fullyQualifiedName": f"{finding.path}.{argument}",
                        "kind": "member",
                    }
                ],
            }
        ],
        "partialFingerprints": {
            "modelArgument/v1": hashlib.sha256(identity).hexdigest()
        },
    }


def document(
    reports: Iterable[FileReport],
    version: str,
    root: Path | None = None,
    *,
    spelling: Spelling = api_spelling,
    skipped: int = 0,
) -> dict[str, Any]:
    """The SARIF log of one scan (``skipped``: files a resumed scan did not
    read again, counted in the invocation's properties)."""
    base = Path(os.path.abspath(root or os.getcwd()))
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for report in reports:
        if report.problem is not None:
            notifications.append(
                {
                    "level": "error",
                    "message": {
                        "text": f"{report.file}: "
                        f"{report.problem.render(spelling).rstrip('.')}."
                    },
                    "locations": [
                        {"physicalLocation": {"artifactLocation": _uri(report, base)}}
                    ],
                }
            )
            continue
        results += [_result(report, f, AFFECTED_RULE, base) for f in report.affected]
        results += [_result(report, f, SUSPECT_RULE, base) for f in report.suspect]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "keras-rescaling-patch",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": INFORMATION_URI,
                        "rules": [AFFECTED_RULE, SUSPECT_RULE],
                    }
                },
                "originalUriBaseIds": {ROOT: {"uri": base.as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                        "properties": {"skipped": skipped},
                    }
                ],
                "results": results,
            }
        ],
    }
