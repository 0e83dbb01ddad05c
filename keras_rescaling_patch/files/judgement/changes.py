"""What no signature shows: the hand-written table beside the generated data.

The generated knowledge (``knowledge.py``) says which names each release
finds and which arguments its classes take. Some changes between releases
show in neither, and are written here, each with its evidence (measured on
stock releases by ``tests/test_differential_portability.py``, which takes
each entry out in turn to show it is needed):

- :data:`UNWRAPPED_IO`, :data:`NADAM_STATE`: structures of a model;
- :data:`LAYOUTS`: classes whose saved state older releases lay out
  otherwise (no port can change the weights, which are copied as they are);
- :data:`SAME_AS_ABSENT`: values of an argument a newer release writes that
  make it behave as a release without the argument (a port may drop them);
- :data:`PLAIN_POLICIES`: dtype policies a port may write as their name;
- :data:`CONTAINERS`: models, whose config is structure, not arguments;
- :data:`ALWAYS_METRICS`: metric names every release's compile reads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Structure:
    """A change between releases that no signature shows, with its evidence:
    releases from ``read_from`` on read it."""

    name: str
    what: str
    read_from: str | None
    evidence: str


UNWRAPPED_IO = Structure(
    "unwrapped-io",
    "a single input or output written as one [layer, node, tensor] triple",
    "3.4.0",
    "From 3.11.0 a Functional model with one input or output writes it as a "
    "bare triple, not a list of one; functional_from_config reads a bare "
    "triple from 3.4.0 on (map_tensors' leaf case) and older releases pass "
    "its items to get_tensor ('takes 3 positional arguments but 14 were "
    "given'). A list of one is what those releases wrote themselves.",
)
NADAM_STATE = Structure(
    "nadam-state",
    "Nadam's optimizer state, laid out as the saving release lays it out",
    "3.10.0",
    "Nadam.build creates its u_product variable before the momentums and "
    "velocities up to 3.9.2, after them from 3.10.0: a file that holds Nadam "
    "state from one side does not load on the other ('The shape of the "
    "target variable and the shape of the target value in variable.assign(value) "
    "must match'). The state is in model.weights.h5, which repair copies as "
    "it is.",
)
NADAM_ADVICE = (
    "load it with compile=False and compile it again (the optimizer state is "
    "lost), or on a release on the same side of 3.10.0"
)
STRUCTURES = (UNWRAPPED_IO, NADAM_STATE)


@dataclass(frozen=True)
class Layout:
    """A class whose saved state (weights, build config) changed layout: a
    file saved from ``written_from`` on (any, for ``None``) is read only by
    releases from ``read_from`` on. Repair copies model.weights.h5 and the
    build config as they are, so these are never ported."""

    class_name: str
    written_from: str | None
    read_from: str
    what: str
    evidence: str


LAYOUTS = (
    Layout(
        "MultiHeadAttention",
        "3.0.3",
        "3.0.3",
        "its weights, tracked as 3.0.3 and later track its sublayers",
        "multi_head_attention.py changed at 3.0.3; files of 3.7-3.15 load on "
        "3.0.5 and fail on 3.0.0 and 3.0.2 ('Layer 'key' expected 2 variables, "
        "but received 0 variables during loading').",
    ),
    Layout(
        "Bidirectional",
        "3.3.3",
        "3.3.3",
        "its weights, tracked as 3.3.3 and later track them (it is no longer "
        "a Wrapper)",
        "bidirectional.py changed its base class at 3.3.3; files of 3.7-3.15 "
        "load on 3.3.3 and fail on 3.0.0-3.3.0 ('A total of 1 objects could "
        "not be loaded ... LSTMCell').",
    ),
    Layout(
        "Dot",
        None,
        "3.2.0",
        "its build config, whose shapes releases before 3.2.0 cannot rebuild it from",
        "dot.py changed at 3.2.0; files of 3.7-3.15 load on 3.2.1 and fail on "
        "3.0.0-3.1.1 ('A Dot layer should be called on a list of 2 inputs').",
    ),
)
LAYOUT_OF = {layout.class_name: layout for layout in LAYOUTS}

# (class, argument) -> values a newer release writes for what an older one,
# without the argument, does: get_config writes the resolved default
# ("channels_last") where the constructor's default is None, and releases
# before the argument existed work on channels-last data only.
SAME_AS_ABSENT: dict[tuple[str, str], tuple[object, ...]] = {
    ("ZeroPadding1D", "data_format"): ("channels_last",),
}
SAME_AS_ABSENT_EVIDENCE = (
    "ZeroPadding1D(data_format=None) saved by 3.7 writes 'channels_last' "
    "(its get_config resolves the default); dropped, the file loads on 3.3.3 "
    "and 3.4.1 with identical weights and predictions."
)

# A layer's dtype policy object: every release's Layer takes a policy's
# name, and the name of a plain policy says all it holds.
PLAIN_POLICIES = frozenset({"DTypePolicy", "FloatDTypePolicy"})
# Models: their config is a structure their from_config builds.
CONTAINERS = frozenset({"Functional", "Sequential", "Model"})
# compile() turns these metric names into the metric the loss calls for, on
# every release, without looking them up.
ALWAYS_METRICS = frozenset({"accuracy", "acc", "crossentropy", "ce"})
