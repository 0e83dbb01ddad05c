"""What the scripts that write a page of the documentation share: their
command line (``--update`` writes it, ``--check`` fails where it is stale)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def page_command(description: str, page: Path, text: Callable[[], str]) -> int:
    """Write ``page`` (``--update``) or check it is ``text()`` (``--check``)."""
    parser = argparse.ArgumentParser(description=description)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--update", action="store_true")
    action.add_argument("--check", action="store_true")
    arguments = parser.parse_args()
    if arguments.update:
        page.write_text(text())
        return 0
    if not page.exists() or page.read_text() != text():
        script = Path(__import__("sys").argv[0]).name
        print(f"{page.name} is stale: run scripts/{script} --update")
        return 1
    return 0
