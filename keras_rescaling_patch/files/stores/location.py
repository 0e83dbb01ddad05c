"""What the user typed, parsed once: a local path or a URL.

A location is parsed when it enters the file tools and carried as a
:class:`LocalPath` or a :class:`Url` from then on, so that no later step
guesses again whether a string names a file or a URL. ``file://`` URLs
name local files. ``text`` is always the name as given (or as found by a
listing): what reports call the file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
WEB_SCHEMES = frozenset({"http", "https"})
MAGIC = re.compile(r"[*?[]")


def has_magic(text: str) -> bool:
    """Whether ``text`` holds a glob wildcard (``*``, ``?``, ``[``)."""
    return MAGIC.search(text) is not None


@dataclass(frozen=True)
class LocalPath:
    """A file or folder of this machine."""

    text: str  # as given
    path: str  # for the operating system (a file:// URL's path)
    remote = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Url:
    """An object (or a prefix, or a pattern) behind a URL."""

    text: str
    scheme: str  # in lower case
    remote = True

    @property
    def web(self) -> bool:
        """``http://`` or ``https://``: served by the standard library."""
        return self.scheme in WEB_SCHEMES

    @property
    def names_folder(self) -> bool:
        """Whether it names a folder or a prefix rather than one file: it
        ends in ``/`` (or, on the web, has no path at all)."""
        if self.text.endswith("/"):
            return True
        return self.web and not urlsplit(self.text).path

    @property
    def basename(self) -> str:
        return os.path.basename(self.text.rstrip("/")) or "model.keras"

    def __str__(self) -> str:
        return self.text


Location = LocalPath | Url


def parse(given: str | os.PathLike[str]) -> Location:
    """The location ``given`` names."""
    text = os.fspath(given)
    found = SCHEME.match(text)
    if found is None:
        return LocalPath(text, text)
    scheme = found[1].lower()
    if scheme == "file":
        return LocalPath(text, unquote(urlsplit(text).path))
    return Url(text, scheme)
