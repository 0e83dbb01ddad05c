"""Which store serves a URL: the one place a scheme is looked at.

``https://`` and ``http://`` are served by the standard library
(``stores/http.py``); every other scheme by fsspec and the store's own
package (``stores/fsspec_store.py``), imported only when such a URL is
given: a local scan never imports fsspec.
"""

from __future__ import annotations

from keras_rescaling_patch.files.stores.location import Url
from keras_rescaling_patch.files.stores.remote import Store


def store_for(url: Url, timeout: float) -> Store:
    """The store of ``url``; ``timeout`` bounds each request, in seconds."""
    if url.web:
        from keras_rescaling_patch.files.stores.http import HttpStore

        return HttpStore(timeout)
    from keras_rescaling_patch.files.stores.fsspec_store import FsspecStore

    return FsspecStore(url, timeout)
