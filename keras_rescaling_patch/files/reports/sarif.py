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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from keras_rescaling_patch.files.judgement.findings import Finding, Incompatibility
from keras_rescaling_patch.files.judgement.rules import RULES, Rule
from keras_rescaling_patch.files.problems import Spelling, api_spelling
from keras_rescaling_patch.files.reports import wording
from keras_rescaling_patch.files.reports.json_lines import dumps
from keras_rescaling_patch.files.reports.render import DocumentScan
from keras_rescaling_patch.files.reports.scan_report import FileReport, Summary

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/keras-team/keras/issues/20072"
ROOT = "SRCROOT"


def _rule(rule: Rule) -> dict[str, Any]:
    """A SARIF reporting descriptor, from the rule's entry in the table."""
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.help},
        "helpUri": INFORMATION_URI,
        "defaultConfiguration": {"level": rule.level},
    }


DESCRIPTORS = [_rule(rule) for rule in RULES]
INDEX = {rule.code: number for number, rule in enumerate(RULES)}
LEVELS = {rule.code: rule.level for rule in RULES}


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


def _result(
    report: FileReport, finding: Finding | Incompatibility, root: Path
) -> dict[str, Any]:
    # surrogatepass: a name from a file need not be valid UTF-8.
    identity = f"{report.file}\0{finding.path}\0{finding.place}".encode(
        "utf-8", "surrogatepass"
    )
    code = str(finding.rule)
    return {
        "ruleId": code,
        "ruleIndex": INDEX[code],
        "level": LEVELS[code],
        "message": {"text": wording.described(finding)},
        "locations": [
            {
                "physicalLocation": _physical(report, root),
                "logicalLocations": [
                    {
                        "fullyQualifiedName": f"{finding.path}.{finding.place}",
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
        results += [_result(report, f, base) for f in report.affected]
        results += [_result(report, f, base) for f in report.suspect]
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
                        "rules": DESCRIPTORS,
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


class SarifScan(DocumentScan):
    """A scan as one SARIF log, at the end."""

    def document(self, reports: Sequence[FileReport], summary: Summary) -> str:
        log = document(
            reports,
            self.context.version,
            spelling=self.context.spelling,
            skipped=summary.skipped,
        )
        return dumps(log, indent=2)
