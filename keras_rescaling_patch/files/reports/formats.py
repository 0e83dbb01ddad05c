"""Every output of the file tools, by the name a caller asks for it by.

A new output is a renderer (``files/reports/render.py``) in a module of
its own, and a line here.
"""

from __future__ import annotations

from collections.abc import Callable

from keras_rescaling_patch.files.reports import json_lines, sarif, text
from keras_rescaling_patch.files.reports.render import (
    Context,
    RepairRenderer,
    ScanRenderer,
)

SCAN_FORMATS: dict[str, Callable[[Context], ScanRenderer]] = {
    "text": text.TextScan,
    "json": json_lines.JsonScan,
    "jsonl": json_lines.JsonLinesScan,
    "sarif": sarif.SarifScan,
}
REPAIR_FORMATS: dict[str, Callable[[Context], RepairRenderer]] = {
    "text": text.TextRepair,
    "json": json_lines.JsonRepair,
    "jsonl": json_lines.JsonLinesRepair,
}
