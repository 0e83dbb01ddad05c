"""The judgement: what stock Keras releases do with what a model file holds.

The one room that knows Keras releases' behaviour, as data and the small
engine that reads it; the formats find things, the renderers word them,
and neither judges.

- ``rules``: the kinds of finding, each a code (``KRP001``...);
- ``releases``: which of the releases checked a verdict is about;
- ``restoration``: which classes restore a serialized array, from when;
- ``findings``: a finding and its :class:`~.findings.Verdict`, as data;
- ``verdicts``: a config's findings judged for the caller's targets, by
  one policy (affected, suspect, information, left out);
- ``exactness`` and ``float_formats``: what ``repair`` may write in place
  of an array, or must refuse.
"""
