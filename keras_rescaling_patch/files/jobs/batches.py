"""What a job over many files needs, whatever the job: the files a previous
run did not leave to do, and results given back in the order found."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import TypeVar

from keras_rescaling_patch.files.stores.listing import Found, Listing

Result = TypeVar("Result")


def without(
    found: Listing,
    skip: Collection[str],
    on_skip: Callable[[str], object] | None,
) -> Listing:
    """``found`` but the files named in ``skip`` (each told to ``on_skip``)."""
    for item in found:
        if isinstance(item, Found) and item.name in skip:
            if on_skip is not None:
                on_skip(item.name)
            continue
        yield item


def in_order(numbered: Iterator[tuple[int, Result]]) -> Iterator[Result]:
    """Results by their number, 1, 2, 3..., whatever order they come in."""
    waiting: dict[int, Result] = {}
    expected = 1
    for number, result in numbered:
        waiting[number] = result
        while expected in waiting:
            yield waiting.pop(expected)
            expected += 1
