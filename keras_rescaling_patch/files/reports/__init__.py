"""What the file tools say, and every way of saying it.

- ``scan_report``: one file's scan (:class:`~.scan_report.FileReport`) and
  the counts over many (:class:`~.scan_report.Summary`);
- ``repair_report``: what ``repair`` did with one file;
- ``render``: the interface every output has (a renderer, its lines);
- ``formats``: every output by its name;
- ``wording``: the words for a finding, shared by every output;
- ``text``: the lines a person reads;
- ``json_lines``: the JSON document, JSON Lines, and reading those back
  (a resumed scan); ``json_safe``: JSON that is valid UTF-8;
- ``sarif``: SARIF 2.1.0, for code-scanning services.

Each renderer takes a ``Spelling``: how the settings a message names are
called by whoever shows it (the command line's flags, the API's names).
"""
