"""Where a model file's bytes come from, and where a repaired one goes.

Nothing here knows what a model file holds (``files/model/`` does); each
store hands the formats a stream to read, and lists, downloads and uploads
whole files for the jobs.

- ``location``: what the user typed, parsed once into a :class:`~.location.LocalPath`
  or a :class:`~.location.Url`, and carried as that;
- ``local``: a local file opened once, safely, with its identity;
- ``ranged``: a read-only stream over ranged reads of a remote object;
- ``remote``: the one protocol every remote store implements, and the
  stream the formats read a remote object through;
- ``schemes``: :func:`~.schemes.store_for`, the one place a URL's scheme
  picks its store;
- ``http`` (the standard library) and ``fsspec_store`` (every other scheme);
- ``patterns``: the one glob engine, for local and remote patterns alike;
- ``listing``: from inputs to the files they stand for.
"""
