"""What every Keras 3 release accepts, read from its wheel: the knowledge that
``scan --target-keras`` and ``repair --target-keras`` judge with.

    python scripts/keras_knowledge.py --update   # write the shipped data
    python scripts/keras_knowledge.py --check    # fail if it differs (CI)

For each Keras 3 release on PyPI (every final release from 3.0.0 on; the
list comes from PyPI, so a new release is one ``--update``), the wheel is
downloaded once (``~/.cache/keras-rescaling-patch/releases/wheel``, its
SHA-256 checked against PyPI's) and its source read with ``ast``, never
imported. From it this records:

- every class a saved model can name (layers, models, initializers,
  regularizers, constraints, losses, metrics, optimizers, learning-rate
  schedules, dtype policies, quantizers): the arguments its constructor
  chain accepts, with their defaults, and whether the chain swallows
  unknown keyword arguments (``**kwargs`` never passed on, nor refused) or
  refuses them (``Layer``'s "Unrecognized keyword arguments");
- which classes pass their config to the constructor at all (a Functional
  model of 3.0 builds itself from its layers and ignores other keys);
- how a name is found when a model is loaded: by importing the module the
  file names and looking the name up there (a layer, a model, anything in
  a compile config), or, for an object given as another's argument (an
  initializer, a regularizer...), in its family's table of names
  (``ALL_OBJECTS_DICT``, which Keras builds from class names, snake-case
  names and aliases, lower-cased for optimizers).

What a signature cannot show is a short hand-written table beside the data,
with its evidence (``files/judgement/changes.py``). The data is written
compactly (each fact once, with the releases it holds for as a bit mask) to
``keras_rescaling_patch/files/judgement/keras_releases.json.gz``.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import io
import json
import os
import re
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "keras_rescaling_patch" / "files" / "judgement" / "keras_releases.json.gz"
RELEASES_MODULE = ROOT / "keras_rescaling_patch" / "_keras_releases.py"
AFFECTED_LAST = "3.4.1"
INDEX = "https://pypi.org/pypi/keras/json"
FORMAT = 1
# The bases whose subclasses a saved model can name.
SAVEABLE = frozenset(
    {
        "Operation", "Layer", "Initializer", "Regularizer", "Constraint", "Loss",
        "Metric", "BaseOptimizer", "LearningRateSchedule", "DTypePolicy", "Quantizer",
    }
)  # fmt: skip
# Where each family of objects given as another's argument keeps its table
# of names (the public module a file names -> the module that deserializes).
FAMILIES = {
    "keras.activations": "keras.src.activations",
    "keras.initializers": "keras.src.initializers",
    "keras.regularizers": "keras.src.regularizers",
    "keras.constraints": "keras.src.constraints",
    "keras.losses": "keras.src.losses",
    "keras.metrics": "keras.src.metrics",
    "keras.optimizers": "keras.src.optimizers",
    "keras.optimizers.schedules": (
        "keras.src.optimizers.schedules.learning_rate_schedule"
    ),
    "keras.quantizers": "keras.src.quantizers",
}
# The public modules whose names a file can give (and the families above).
PUBLIC = (
    "keras", "keras.layers", "keras.models", "keras.initializers",
    "keras.regularizers", "keras.constraints", "keras.losses", "keras.metrics",
    "keras.optimizers", "keras.optimizers.schedules", "keras.dtype_policies",
    "keras.mixed_precision", "keras.quantizers",
)  # fmt: skip
REQUIRED, NOT_LITERAL = 0, 1  # how a default is written when it is no value


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "keras-rescaling-patch" / "releases" / "wheel"
    folder = Path(os.environ.get("KRP_RELEASE_CACHE", default.parent)) / "wheel"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _order(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def releases(index: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every final Keras 3 release with a wheel, oldest first."""
    found = []
    for version, files in index["releases"].items():
        if not re.fullmatch(r"3\.\d+\.\d+", version):
            continue
        wheels = [f for f in files if f["packagetype"] == "bdist_wheel"]
        if wheels and not all(f.get("yanked") for f in wheels):
            found.append((version, wheels[0]))
    return sorted(found, key=lambda item: _order(item[0]))


def wheel(version: str, entry: dict[str, Any]) -> Path:
    """The release's wheel, downloaded once and checked against PyPI's digest."""
    path = cache_dir() / entry["filename"]
    digest = entry["digests"]["sha256"]
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
        return path
    with urllib.request.urlopen(entry["url"], timeout=120) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != digest:
        raise SystemExit(f"keras {version}: the wheel's SHA-256 is not PyPI's")
    path.write_bytes(data)
    return path


# --- one release's source, read with ast -------------------------------------


@dataclass(frozen=True)
class ClassRef:
    module: str
    node: ast.ClassDef

    @property
    def key(self) -> str:
        return f"{self.module}:{self.node.name}"


@dataclass(frozen=True)
class FunctionRef:
    module: str
    node: ast.FunctionDef

    @property
    def key(self) -> str:
        return f"{self.module}:{self.node.name}()"


Named = ClassRef | FunctionRef
Binding = tuple[str, Any, Any]  # ("class"|"function"|"from"|"module"|"alias", ...)


class Source:
    """A wheel's ``keras`` package as modules of parsed source."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.files = {n for n in self.zip.namelist() if n.endswith(".py")}
        self.api = any(n.startswith("keras/api/") for n in self.files)
        self.trees: dict[str, ast.Module | None] = {}
        self.bound: dict[str, dict[str, Binding]] = {}

    def file_of(self, module: str) -> str | None:
        parts = module.split(".")
        places = [parts]
        if self.api and len(parts) > 1 and parts[1] not in ("src", "api"):
            places.append(["keras", "api", *parts[1:]])  # keras/__init__ adds api/
        for place in places:
            for name in ("/".join(place) + "/__init__.py", "/".join(place) + ".py"):
                if name in self.files:
                    return name
        return None

    def tree(self, module: str) -> ast.Module | None:
        if module not in self.trees:
            name = self.file_of(module)
            self.trees[module] = (
                None if name is None else ast.parse(self.zip.read(name))
            )
        return self.trees[module]

    def bindings(self, module: str) -> dict[str, Binding]:
        """Top-level names of a module; where branches bind one name twice
        (``if backend == "tensorflow": ... elif ...``) the first wins."""
        if module in self.bound:
            return self.bound[module]
        found: dict[str, Binding] = {}
        tree = self.tree(module)
        package = (
            module
            if (self.file_of(module) or "").endswith("__init__.py")
            else (module.rpartition(".")[0])
        )

        def visit(statements: list[ast.stmt]) -> None:
            for statement in statements:
                if isinstance(statement, ast.ImportFrom):
                    base = statement.module or ""
                    if statement.level:
                        parent = package
                        for _ in range(statement.level - 1):
                            parent = parent.rpartition(".")[0]
                        base = f"{parent}.{base}" if base else parent
                    for alias in statement.names:
                        if alias.name == "*":  # every public name of base
                            stars.append(base)
                        else:
                            found.setdefault(
                                alias.asname or alias.name, ("from", base, alias.name)
                            )
                elif isinstance(statement, ast.Import):
                    for alias in statement.names:
                        name = alias.asname or alias.name.split(".")[0]
                        target = alias.name if alias.asname else name
                        found.setdefault(name, ("module", target, None))
                elif isinstance(statement, ast.ClassDef):
                    found.setdefault(statement.name, ("class", module, statement))
                elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.setdefault(statement.name, ("function", module, statement))
                elif (
                    isinstance(statement, ast.Assign)
                    and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)
                    and isinstance(statement.value, (ast.Name, ast.Attribute))
                ):
                    found.setdefault(
                        statement.targets[0].id, ("alias", module, statement.value)
                    )
                elif isinstance(statement, ast.If):
                    visit(statement.body)
                    visit(statement.orelse)
                elif isinstance(statement, ast.Try):
                    visit(statement.body)
                    for handler in statement.handlers:
                        visit(handler.body)
                    visit(statement.orelse)
                    visit(statement.finalbody)

        stars: list[str] = []
        if tree is not None:
            visit(tree.body)
        self.bound[module] = found
        for base in stars:
            if base != module:
                for name in self.bindings(base):
                    if not name.startswith("_"):
                        found.setdefault(name, ("from", base, name))
        return found

    def resolve(self, module: str, name: str, depth: int = 0) -> Any:
        """What ``name`` is in ``module``: a ClassRef, ("function", module,
        node), ("module", name) or None."""
        if depth > 40:
            return None
        bound = self.bindings(module).get(name)
        if bound is None:
            child = f"{module}.{name}"
            return ("module", child) if self.file_of(child) else None
        kind, first, second = bound
        if kind == "class":
            return ClassRef(first, second)
        if kind == "function":
            return bound
        if kind == "module":
            return ("module", first) if self.file_of(first) else None
        if kind == "from":
            child = f"{first}.{second}"
            inner = self.bindings(first).get(second)
            if self.file_of(child) and (
                inner is None or inner[0] in ("from", "module")
            ):
                return ("module", child)  # ``from package import submodule``
            return self.resolve(first, second, depth + 1)
        return self.resolve_expression(first, second, depth + 1)

    def resolve_expression(self, module: str, node: ast.expr, depth: int = 0) -> Any:
        if isinstance(node, ast.Name):
            return self.resolve(module, node.id, depth)
        if isinstance(node, ast.Attribute):
            owner = self.resolve_expression(module, node.value, depth + 1)
            if isinstance(owner, tuple) and owner[0] == "module":
                return self.resolve(owner[1], node.attr, depth + 1)
        return None

    def modules(self, prefix: str) -> Iterator[str]:
        for name in sorted(self.files):
            if name.startswith(prefix.replace(".", "/") + "/"):
                module = name[: -len(".py")].replace("/", ".")
                yield (
                    module[: -len(".__init__")]
                    if module.endswith(".__init__")
                    else module
                )


# --- classes: their chain of constructors --------------------------------------


def _default(node: ast.expr | None) -> Any:
    """``[value]`` for a literal default, else REQUIRED or NOT_LITERAL."""
    if node is None:
        return REQUIRED
    try:
        value = ast.literal_eval(node)
        json.dumps(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL
    return [list(value) if isinstance(value, tuple) else value]


def _method(ref: ClassRef, name: str) -> ast.FunctionDef | None:
    for statement in ref.node.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == name:
            return statement
    return None


class Classes:
    """The classes of one release: bases, order of resolution, constructors."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.orders: dict[str, list[ClassRef]] = {}

    def bases(self, ref: ClassRef) -> list[ClassRef]:
        found = []
        for node in ref.node.bases:
            base = self.source.resolve_expression(ref.module, node)
            if isinstance(base, ClassRef):
                found.append(base)
        return found

    def order(self, ref: ClassRef, depth: int = 0) -> list[ClassRef]:
        """The C3 order (``__mro__``) over the bases found in Keras."""
        if ref.key in self.orders:
            return self.orders[ref.key]
        bases = self.bases(ref) if depth < 60 else []
        lists = [list(self.order(b, depth + 1)) for b in bases] + [list(bases)]
        result = [ref]
        while any(lists):
            lists = [items for items in lists if items]
            for items in lists:
                head = items[0]
                if not any(head.key in (r.key for r in other[1:]) for other in lists):
                    break
            else:  # no consistent order: depth first, as a fallback
                for items in lists:
                    result += [r for r in items if r.key not in {x.key for x in result}]
                break
            result.append(head)
            for items in lists:
                if items and items[0].key == head.key:
                    del items[0]
        self.orders[ref.key] = result
        return result

    def saveable(self, ref: ClassRef) -> bool:
        return any(r.node.name in SAVEABLE for r in self.order(ref))

    def constructor(self, ref: ClassRef) -> tuple[dict[str, Any], bool]:
        """The arguments the constructor chain accepts, and whether it
        swallows unknown keyword arguments."""
        order = self.order(ref)
        accepted: dict[str, Any] = {}
        position, function = _next_init(order, 0)
        for _ in range(40):
            if function is None:
                return accepted, False  # object.__init__: nothing more
            chain = _chain(function)
            for name, default in chain.arguments.items():
                accepted.setdefault(name, default)
            if chain.spread is None:
                return accepted, False
            if chain.forwards is None:
                return accepted, not chain.refuses_leftovers
            if chain.forwards == "super":
                position, function = _next_init(order, position + 1)
                continue
            base = self.source.resolve_expression(
                order[position].module, chain.forwards
            )
            if not isinstance(base, ClassRef):
                return accepted, True  # passed on out of Keras: unknown
            keys = [r.key for r in order]
            start = keys.index(base.key) if base.key in keys else None
            if start is None:
                order, start = self.order(base), 0
            position, function = _next_init(order, start)
        return accepted, True

    def passes_config(self, ref: ClassRef) -> tuple[bool, list[str]]:
        """Whether ``from_config`` hands the config's keys to the constructor
        (``cls(**config)``), and the keys it takes out first."""
        for owner in self.order(ref):
            method = _method(owner, "from_config")
            if method is not None:
                return _from_config(self.source, owner.module, method)
        return True, []


@dataclass
class _Chain:
    arguments: dict[str, Any]
    spread: str | None  # the name of **kwargs
    forwards: Any  # None, "super", or the expression of a base's __init__
    refuses_leftovers: bool


def _next_init(order: list[ClassRef], start: int) -> tuple[int, ast.FunctionDef | None]:
    for position in range(start, len(order)):
        function = _method(order[position], "__init__")
        if function is not None:
            return position, function
    return len(order), None


def _chain(function: ast.FunctionDef) -> _Chain:
    arguments: dict[str, Any] = {}
    spec = function.args
    positional = spec.posonlyargs + spec.args
    defaults = [None] * (len(positional) - len(spec.defaults)) + list(spec.defaults)
    for argument, default in zip(positional, defaults, strict=True):
        arguments[argument.arg] = _default(default)
    for argument, default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
        arguments[argument.arg] = _default(default)
    arguments.pop("self", None)
    spread = spec.kwarg.arg if spec.kwarg else None
    chain = _Chain(arguments, spread, None, False)
    if spread is None:
        return chain
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            _note_call(chain, node, spread)
        elif isinstance(node, ast.Subscript) and _is_name(node.value, spread):
            key = _text(node.slice)
            if key is not None:
                arguments.setdefault(key, [None])
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            if isinstance(node.ops[0], (ast.In, ast.NotIn)) and _is_name(
                node.comparators[0], spread
            ):
                key = _text(node.left)
                if key is not None:
                    arguments.setdefault(key, [None])
        elif isinstance(node, ast.If) and _tests_leftovers(node.test, spread):
            chain.refuses_leftovers |= any(
                isinstance(n, ast.Raise) for n in ast.walk(node)
            )
    return chain


def _note_call(chain: _Chain, node: ast.Call, spread: str) -> None:
    function = node.func
    if (
        isinstance(function, ast.Attribute)
        and _is_name(function.value, spread)
        and function.attr in ("pop", "get", "setdefault")
        and node.args
    ):
        key = _text(node.args[0])
        if key is not None:
            default = _default(node.args[1]) if len(node.args) > 1 else [None]
            chain.arguments.setdefault(key, default)
        return
    if not any(k.arg is None and _is_name(k.value, spread) for k in node.keywords):
        return
    if isinstance(function, ast.Attribute) and function.attr == "__init__":
        target = function.value
        if isinstance(target, ast.Call) and _is_name(target.func, "super"):
            chain.forwards = "super"
        else:
            chain.forwards = target


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _tests_leftovers(test: ast.expr, spread: str) -> bool:
    """``if kwargs:`` or ``if len(kwargs):``: something was left over."""
    if _is_name(test, spread):
        return True
    return (
        isinstance(test, ast.Call)
        and _is_name(test.func, "len")
        and bool(test.args)
        and _is_name(test.args[0], spread)
    )


def _from_config(
    source: Source, module: str, method: ast.FunctionDef
) -> tuple[bool, list[str]]:
    """Whether a ``from_config`` (or a function of its module it hands the
    config to) calls ``cls(**...)``, and which keys it pops first."""
    bodies = [method]
    config = method.args.args[1].arg if len(method.args.args) > 1 else "config"
    for node in ast.walk(method):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if any(_is_name(a, config) for a in node.args):
                helper = source.bindings(module).get(node.func.id)
                if helper is not None and helper[0] == "function":
                    bodies.append(helper[2])
    passes, popped = False, []
    for body in bodies:
        for node in ast.walk(body):
            if not isinstance(node, ast.Call):
                continue
            if _is_name(node.func, "cls") and any(k.arg is None for k in node.keywords):
                passes = True
            function = node.func
            if (
                isinstance(function, ast.Attribute)
                and function.attr == "pop"
                and node.args
                and _text(node.args[0]) is not None
            ):
                popped.append(str(_text(node.args[0])))
            if isinstance(function, ast.Attribute) and function.attr == "pop":
                continue
        for node in ast.walk(body):
            if isinstance(node, ast.For) and isinstance(
                node.iter, (ast.List, ast.Tuple)
            ):
                keys = [_text(e) for e in node.iter.elts]
                if all(keys) and any(
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and n.func.attr == "pop"
                    for n in ast.walk(node)
                ):
                    popped += [str(k) for k in keys]
    return passes, sorted(set(popped))


# --- names: how a saved name is found ------------------------------------------


def _named(found: Any) -> Named | None:
    """A class, or a function (an activation, a loss function), if it is one."""
    if isinstance(found, ClassRef):
        return found
    if isinstance(found, tuple) and found[0] == "function":
        return FunctionRef(found[1], found[2])
    return None


def _registry(source: Source, module: str) -> tuple[dict[str, Named], bool] | None:
    """The family's table of names, if its ``deserialize`` uses one, and
    whether names are looked up in lower case."""
    tree = source.tree(module)
    if tree is None:
        return None
    deserialize = source.bindings(module).get("deserialize")
    if deserialize is None or deserialize[0] != "function":
        return None
    table, lower = None, False
    for node in ast.walk(deserialize[2]):
        if isinstance(node, ast.keyword) and node.arg == "module_objects":
            table = node.value
        if isinstance(node, ast.Attribute) and node.attr == "lower":
            lower = True
    if table is None:
        return None
    if isinstance(table, ast.Call) and _is_name(table.func, "globals"):
        names = {}
        for name in source.bindings(module):
            found = _named(source.resolve(module, name))
            if found is not None:
                names[name] = found
        return names, lower
    if not isinstance(table, ast.Name):
        return None
    return _dictionary(source, module, tree, table.id), lower


def _dictionary(
    source: Source, module: str, tree: ast.Module, name: str
) -> dict[str, Named]:
    """``ALL_OBJECTS_DICT`` as the module builds it: a comprehension over
    ``ALL_OBJECTS`` keyed by the class (or function) name (as it is, lower
    case or snake case), then ``update`` s and items set with aliases."""
    members: dict[str, list[Named]] = {}
    names: dict[str, Named] = {}
    for statement in tree.body:
        value = None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                if isinstance(statement.value, (ast.Set, ast.List, ast.Tuple)):
                    found = [
                        _named(source.resolve_expression(module, e))
                        for e in statement.value.elts
                    ]
                    members[target.id] = [f for f in found if f is not None]
                if target.id == name:
                    value = statement.value
            elif (  # ALL_OBJECTS_DICT["swish"] = silu
                isinstance(target, ast.Subscript)
                and _is_name(target.value, name)
                and _text(target.slice) is not None
            ):
                one = _named(source.resolve_expression(module, statement.value))
                if one is not None:
                    names[str(_text(target.slice))] = one
        elif (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute)
            and _is_name(statement.value.func.value, name)
            and statement.value.func.attr == "update"
            and statement.value.args
        ):
            value = statement.value.args[0]
        if value is not None:
            names.update(_entries(source, module, value, members))
    return names


def _entries(
    source: Source, module: str, node: ast.expr, members: dict[str, list[Named]]
) -> dict[str, Named]:
    found: dict[str, Named] = {}
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            text = _text(key) if key is not None else None
            target = _named(source.resolve_expression(module, value))
            if text is not None and target is not None:
                found[text] = target
    elif isinstance(node, ast.DictComp) and len(node.generators) == 1:
        generator = node.generators[0]
        if isinstance(generator.iter, ast.Name) and generator.iter.id in members:
            source_text = ast.unparse(node.key)
            for ref in members[generator.iter.id]:
                class_name = ref.node.name
                if "to_snake_case" in source_text:
                    key = _snake(class_name)
                elif ".lower()" in source_text:
                    key = class_name.lower()
                else:
                    key = class_name
                found[key] = ref
    return found


def _snake(name: str) -> str:
    """Keras's ``to_snake_case``."""
    intermediate = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


# --- one release, then all of them ---------------------------------------------


@dataclass
class Release:
    """What one release accepts, keyed by class (``module:Name``; a function
    ``module:name()``)."""

    signatures: dict[str, tuple[bool, dict[str, Any], bool, list[str]]]
    names: dict[str, dict[str, str]]  # public or src module -> name -> class
    registries: dict[str, tuple[bool, dict[str, str]]]  # family -> lower, names
    reductions: list[Any]  # the values a loss's reduction may take


def read_release(path: Path) -> Release:
    source = Source(path)
    classes = Classes(source)
    signatures: dict[str, tuple[bool, dict[str, Any], bool, list[str]]] = {}
    names: dict[str, dict[str, str]] = {}

    def record(ref: ClassRef) -> str | None:
        if ref.key not in signatures:
            if not classes.saveable(ref):
                return None
            accepted, swallows = classes.constructor(ref)
            passes, popped = classes.passes_config(ref)
            signatures[ref.key] = (swallows, accepted, passes, popped)
        return ref.key

    for module in source.modules("keras.src"):
        for name, bound in source.bindings(module).items():
            if bound[0] == "class":
                key = record(ClassRef(module, bound[2]))
                if key is not None:
                    names.setdefault(module, {})[name] = key
    for module in PUBLIC:
        for name in source.bindings(module):
            found = source.resolve(module, name)
            if isinstance(found, ClassRef):
                key = record(found)
                if key is not None:
                    names.setdefault(module, {})[name] = key
    registries: dict[str, tuple[bool, dict[str, str]]] = {}
    for family, module in FAMILIES.items():
        table = _registry(source, module)
        if table is not None:
            refs, lower = table
            kept = {}
            for name, ref in refs.items():
                key = ref.key if isinstance(ref, FunctionRef) else record(ref)
                if key is not None:
                    kept[name] = key
            registries[family] = (lower, kept)
    return Release(signatures, names, registries, _reductions(source))


def _reductions(source: Source) -> list[Any]:
    """The values ``standardize_reduction`` allows (a loss's ``reduction``)."""
    bound = source.bindings("keras.src.losses.loss").get("standardize_reduction")
    if bound is None or bound[0] != "function":
        return []
    for node in ast.walk(bound[2]):
        if isinstance(node, ast.Assign) and isinstance(
            node.value, (ast.Set, ast.Tuple, ast.List)
        ):
            try:
                values = [ast.literal_eval(item) for item in node.value.elts]
            except ValueError:
                continue
            return sorted(values, key=lambda v: (v is not None, str(v)))
    return []


def _runs(versions: list[str], held: set[int]) -> int:
    return sum(1 << index for index in held)


def knowledge(found: list[tuple[str, Release]]) -> dict[str, Any]:
    """Every release's facts, each stored once with the mask of releases it
    holds for (bit ``i``: the ``i``-th release)."""
    classes: dict[str, int] = {}
    signatures: dict[str, int] = {}
    by_class: dict[int, dict[int, int]] = {}
    names: dict[str, dict[str, dict[int, int]]] = {}
    registries: dict[str, dict[str, Any]] = {}
    reductions: dict[str, int] = {}

    def class_number(key: str) -> int:
        return classes.setdefault(key, len(classes))

    for index, (_, release) in enumerate(found):
        bit = 1 << index
        for key, (swallows, accepted, passes, popped) in sorted(
            release.signatures.items()
        ):
            text = json.dumps(
                [int(swallows), dict(sorted(accepted.items())), int(passes), popped],
                separators=(",", ":"),
            )
            number = signatures.setdefault(text, len(signatures))
            held = by_class.setdefault(class_number(key), {})
            held[number] = held.get(number, 0) | bit
        for module, table in sorted(release.names.items()):
            for name, key in sorted(table.items()):
                entry = names.setdefault(module, {}).setdefault(name, {})
                number = class_number(key)
                entry[number] = entry.get(number, 0) | bit
        for value in release.reductions:
            text = json.dumps(value)
            reductions[text] = reductions.get(text, 0) | bit
        for family, (lower, table) in sorted(release.registries.items()):
            family_entry = registries.setdefault(family, {"lower": 0, "names": {}})
            if lower:
                family_entry["lower"] |= bit
            family_entry["present"] = family_entry.get("present", 0) | bit
            for name, key in sorted(table.items()):
                entry = family_entry["names"].setdefault(name, {})
                number = class_number(key)
                entry[number] = entry.get(number, 0) | bit

    def pairs(held: dict[int, int]) -> list[list[int]]:
        return [[mask, number] for number, mask in sorted(held.items())]

    return {
        "format": FORMAT,
        "releases": [version for version, _ in found],
        "classes": list(classes),
        "signatures": [json.loads(text) for text in signatures],
        "class_signatures": [pairs(by_class.get(n, {})) for n in range(len(classes))],
        "names": {
            module: {name: pairs(held) for name, held in sorted(table.items())}
            for module, table in sorted(names.items())
        },
        "reductions": {text: mask for text, mask in sorted(reductions.items())},
        "registries": {
            family: {
                "present": entry.get("present", 0),
                "lower": entry["lower"],
                "names": {n: pairs(h) for n, h in sorted(entry["names"].items())},
            }
            for family, entry in sorted(registries.items())
        },
    }


def encoded(data: dict[str, Any]) -> bytes:
    """The data as the package ships it: compact JSON, gzip without a time."""
    text = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(text)
    return buffer.getvalue()


def build(only: list[str] | None = None) -> dict[str, Any]:
    with urllib.request.urlopen(INDEX, timeout=60) as response:
        index = json.load(response)
    found = []
    for version, entry in releases(index):
        if only and version not in only:
            continue
        print(f"keras {version}", file=sys.stderr, flush=True)
        found.append((version, read_release(wheel(version, entry))))
    return knowledge(found)


def releases_module(versions: list[str]) -> str:
    """_keras_releases.py with KERAS_3 listing ``versions`` (the releases
    after the affected ones; the tuple the verdicts count releases by)."""
    text = RELEASES_MODULE.read_text()
    start = text.index("KERAS_3 = (")
    end = text.index(")  # fmt: skip", start) + len(")  # fmt: skip")
    later = versions[versions.index(AFFECTED_LAST) + 1 :]
    lines, line = [], "    *AFFECTED,"
    for version in later:
        item = f' "{version}",'
        if len(line) + len(item) > 80:
            lines.append(line)
            line = "   " + item
        else:
            line += item
    lines.append(line)
    block = "KERAS_3 = (\n" + "\n".join(lines) + "\n)  # fmt: skip"
    return text[:start] + block + text[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--update", action="store_true", help="write the data")
    action.add_argument("--check", action="store_true", help="fail if it differs")
    arguments = parser.parse_args()
    built = build()
    data = encoded(built)
    module = releases_module(built["releases"])
    if arguments.update:
        DATA.write_bytes(data)
        RELEASES_MODULE.write_text(module)
        print(f"wrote {DATA.relative_to(ROOT)} ({len(data)} bytes) and KERAS_3")
        return 0
    shipped = DATA.read_bytes() if DATA.exists() else encoded({})
    stale = [
        path.relative_to(ROOT)
        for path, same in (
            (DATA, gzip.decompress(shipped) == gzip.decompress(data)),
            (RELEASES_MODULE, RELEASES_MODULE.read_text() == module),
        )
        if not same
    ]
    for path in stale:
        print(f"{path} differs from what Keras's releases on PyPI give: run "
              "scripts/keras_knowledge.py --update")  # fmt: skip
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
