"""The model formats: what a model file holds, read and rewritten, never
where its bytes come from (no paths, no URLs: ``files/stores/`` opens
them, and the formats read any :class:`~.source.Readable`), and never what
a Keras release makes of it (``files/judgement/`` judges).

- ``source``: what a reader reads from, and :class:`~.source.UnreadableModel`;
- ``json_config``: a model config's JSON, parsed within its limits;
- ``archive``: a ``.keras`` zip archive's directory and ``config.json``;
- ``hdf5``: the config inside a legacy ``.h5`` model, found without h5py;
- ``reader``: any model file (archive, bare JSON, HDF5) as a ``ModelFile``;
- ``config_walk``: the walk of a config that finds serialized arrays and
  the objects they reach;
- ``marker_values``: a serialized array's values, read within their limit;
- ``archive_rewrite``: a copy of an archive with a new ``config.json``.
"""
