"""The work itself: formats read from stores, reports made of what was found.

- ``scan_file``: one file, local or remote, into a ``FileReport``;
- ``scan_many``: the files many inputs stand for, on a few threads;
- ``repair_local``: a local file repaired, streamed and atomic;
- ``repair_file``: any source and output (local paths or URLs), one report.

Every problem with a file becomes a report here: nothing below the API
raises for one.
"""
