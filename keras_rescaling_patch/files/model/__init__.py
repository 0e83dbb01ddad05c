"""The model formats: what a model file holds, read and rewritten, never
where its bytes come from (no paths, no URLs: ``files/stores/`` opens
them, and the formats read any :class:`~.source.Readable`).

- ``source``: what a reader reads from, and :class:`~.source.UnreadableModel`;
- ``json_config``: a model config's JSON, parsed within its limits;
- ``archive``: a ``.keras`` zip archive's directory and ``config.json``;
- ``hdf5``: the config inside a legacy ``.h5`` model, found without h5py;
- ``reader``: any model file (archive, bare JSON, HDF5) as a ``ModelFile``;
- ``config_scan``: the walk of a config that finds serialized arrays;
- ``config_repair`` and ``float_rounding``: those arrays as plain numbers;
- ``archive_rewrite``: a copy of an archive with a new ``config.json``.
"""
