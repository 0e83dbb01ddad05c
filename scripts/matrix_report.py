"""Turn matrix results into matrix/results.json and the compatibility page's tables.

    python scripts/matrix_report.py --update        # after `nox`: collect, write both
    python scripts/matrix_report.py --check-fresh   # CI: fresh run == committed results
    python scripts/matrix_report.py --check-docs    # docs tables == results.json

The tables of docs/compatibility.md are generated from matrix/results.json,
never typed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRESH = ROOT / ".matrix" / "results"
COMMITTED = ROOT / "matrix" / "results.json"
PAGE = ROOT / "docs" / "compatibility.md"
BEGIN, END = "<!-- matrix:begin -->", "<!-- matrix:end -->"
sys.path.insert(0, str(ROOT))

from keras_rescaling_patch._keras_releases import Version  # noqa: E402
from matrix.releases import BACKENDS, CROSS_VERSION, LATEST, RELEASES  # noqa: E402


def collect(folder: Path) -> dict[str, object]:
    """Read one run's per-session JSON files into one sorted document."""
    cells = {}
    for path in sorted(folder.glob("cell-*.json")):
        cell = json.loads(path.read_text())
        cells[f"{cell['keras']}/{cell['backend']}"] = {
            key: cell[key] for key in ("status", "detail") if key in cell
        }
    loads = {}
    for path in sorted(folder.glob("crossversion-*.json")):
        report = json.loads(path.read_text())
        mode = "shim" if report["shim"] else "stock"
        for writer, outcomes in report["results"].items():
            values = set(outcomes.values())
            outcome = (
                values.pop() if len(values) == 1 else "mixed: " + json.dumps(outcomes)
            )
            loads[f"{writer} -> {report['loader']} ({mode})"] = outcome
    return {"cells": cells, "cross_version": loads}


def statuses(document: dict[str, object]) -> dict[str, str]:
    """What must not change between runs: each cell's and each pair's status."""
    cells = document["cells"]
    loads = document["cross_version"]
    assert isinstance(cells, dict) and isinstance(loads, dict)
    flat = {key: value["status"] for key, value in cells.items()}
    flat.update({key: value.split(" (")[0] for key, value in loads.items()})
    return flat


def failures(document: dict[str, object]) -> list[str]:
    return [
        key
        for key, status in statuses(document).items()
        if status not in ("pass", "not affected", "identical", "not supported upstream")
    ]


def render(document: dict[str, object]) -> str:
    cells = document["cells"]
    loads = document["cross_version"]
    assert isinstance(cells, dict) and isinstance(loads, dict)
    lines = [
        BEGIN,
        "",
        "| Keras | " + " | ".join(BACKENDS) + " |",
        "|---" * (len(BACKENDS) + 1) + "|",
    ]
    notes: list[str] = []
    for release in RELEASES:
        row = []
        for backend in BACKENDS:
            cell = cells.get(f"{release}/{backend}", {"status": "not run"})
            text = cell["status"]
            if text == "not supported upstream":
                notes.append(f"{release} on {backend}: `{cell.get('detail', '')}`")
                text += f" [{len(notes)}]"
            row.append(text)
        lines.append(f"| {release} | " + " | ".join(row) + " |")
    if notes:
        lines += ["", *(f"[{n}] {note}  " for n, note in enumerate(notes, start=1))]
    writers = sorted({key.split(" -> ")[0] for key in loads}, key=_release_order)
    repaired = [writer for writer in writers if writer.endswith("+repaired")]
    writers = [writer for writer in writers if writer not in repaired]
    lines += [
        "",
        "Files saved by the release in the row, loaded by the release in the column",
        "(with the shim imported; `stock` columns load without it):",
        "",
    ]
    columns = [(loader, "shim") for loader in CROSS_VERSION]
    columns += [
        (loader, "stock") for loader in CROSS_VERSION if loader in ("3.5.0", LATEST)
    ]
    header = [
        f"{loader}" + (" stock" if mode == "stock" else "") for loader, mode in columns
    ]
    lines += [
        "| saved by | " + " | ".join(header) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for writer in writers:
        row = [
            _short(loads.get(f"{writer} -> {loader} ({mode})", "not run"))
            for loader, mode in columns
        ]
        lines.append(f"| {writer} | " + " | ".join(row) + " |")
    if repaired:
        lines += [
            "",
            "The same stock files after `keras-rescaling-patch repair`, loaded",
            "without the shim:",
            "",
            "| repaired, saved by | " + " | ".join(CROSS_VERSION) + " |",
            "|---" * (len(CROSS_VERSION) + 1) + "|",
        ]
        for writer in repaired:
            row = [
                _short(loads.get(f"{writer} -> {loader} (stock)", "not run"))
                for loader in CROSS_VERSION
            ]
            lines.append(f"| {writer.split('+')[0]} | " + " | ".join(row) + " |")
    if any(outcome.startswith("not supported") for outcome in loads.values()):
        lines += [
            "",
            "not supported upstream: that release cannot load even a plain model",
            "(float scale) saved by the newer one; Keras does not promise that older",
            "releases read newer files.",
        ]
    lines += ["", END]
    return "\n".join(lines)


def check_committed(committed: dict[str, object] | None) -> int:
    """The committed results cover every cell, none failed, and the page
    shows them (run by `make lint`)."""
    if committed is None:
        print(f"{COMMITTED.relative_to(ROOT)} is missing: run make matrix-update")
        return 1
    cells = committed["cells"]
    assert isinstance(cells, dict)
    missing = sorted(
        f"{release}/{backend}"
        for release in RELEASES
        for backend in BACKENDS
        if f"{release}/{backend}" not in cells
    )
    problems = [f"no result for {cell}" for cell in missing]
    problems += [f"{key} failed" for key in failures(committed)]
    if page_with(render(committed)) != PAGE.read_text():
        problems.append(
            "docs/compatibility.md tables are stale: "
            "run scripts/matrix_report.py --update"
        )
    for problem in problems:
        print(f"matrix results: {problem}")
    return 1 if problems else 0


def _release_order(name: str) -> tuple[object, ...]:
    base, _, variant = name.partition("+")
    return (Version.parse(base), variant)


def _short(outcome: str) -> str:
    return "not supported upstream" if outcome.startswith("not supported") else outcome


def page_with(table: str) -> str:
    text = PAGE.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + table + text[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update", action="store_true")
    mode.add_argument("--check-fresh", action="store_true")
    mode.add_argument("--check-docs", action="store_true")
    arguments = parser.parse_args()
    committed = json.loads(COMMITTED.read_text()) if COMMITTED.exists() else None
    if arguments.check_docs:
        return check_committed(committed)
    fresh = collect(FRESH)
    if arguments.update:
        COMMITTED.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n")
        PAGE.write_text(page_with(render(fresh)))
        page = PAGE.relative_to(ROOT)
        print(f"wrote {COMMITTED.relative_to(ROOT)} and the tables of {page}")
        return 0
    problems = [f"failing: {key}" for key in failures(fresh)]
    if committed is None:
        problems.append("matrix/results.json is missing")
    else:
        old, new = statuses(committed), statuses(fresh)
        problems += [
            f"changed: {key}: {old.get(key)} -> {new.get(key)}"
            for key in sorted(old.keys() | new.keys())
            if old.get(key) != new.get(key)
        ]
    for problem in problems:
        print(problem)
    print("matrix: OK" if not problems else f"matrix: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
