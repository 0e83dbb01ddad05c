"""The documentation runs: every console example and Python block of the
README and ``docs/``, against the installed wheel, in a venv of the pinned
affected stack (Keras 3.4.1, TensorFlow 2.16.2).

Sybil finds the examples (fenced ``console`` and ``python`` blocks, and
``<!-- skip: next -->`` before a block not meant to run). Each document runs
in order, in a fresh copy of a folder holding the files the examples name
(``model.keras``, ``masked.keras``, ``models/``, ``third_party/keras``...; see
:func:`prepare`), with S3 served by moto for the URLs. A console block is a
series of ``$ command`` lines, each followed by its output (stdout and
stderr, as a terminal shows them); the output must match exactly, but for
these placeholders: ``<seconds>`` (a duration), ``<size>`` (``12.5 KiB``),
``<bytes>`` (a count). A Python block must run without an error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sybil import Sybil
from sybil.parsers.markdown import CodeBlockParser, SkipParser

from support.processes import release_venv, shared_venv
from support.servers import moto_server
from support.synthetic import synthetic_archive
from tests.subprocesses import ROOT, Venv, environment

pytestmark = pytest.mark.slow  # TensorFlow, moto, a venv

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PLACEHOLDERS = {
    "<seconds>": r"[0-9]+(?:\.[0-9]+)?",
    "<size>": r"[0-9]+(?:\.[0-9]+)? (?:bytes|KiB|MiB|GiB)",
    "<bytes>": r"[0-9]+",
}
PROMPT = "$ "
AWS = {
    "AWS_ACCESS_KEY_ID": "documentation",
    "AWS_SECRET_ACCESS_KEY": "documentation",
    "AWS_DEFAULT_REGION": "us-east-1",
}

FIXTURES = """
import json, os, shutil, sys
import numpy as np, keras
work = sys.argv[1]
inputs = keras.Input(shape=(3,))
scale, offset = np.array([0.5, 2.0, 4.0]), np.array([1.0, 0.0, -1.0])
rescaling = keras.layers.Rescaling(scale, offset)
unit_norm = keras.constraints.UnitNorm(axis=np.array([0]))  # loads; fit fails
dense = keras.layers.Dense(2, kernel_constraint=unit_norm)
keras.Model(inputs, dense(rescaling(inputs))).save(os.path.join(work, "model.keras"))
inputs = keras.Input(shape=(3,))
clean = keras.Model(inputs, keras.layers.Rescaling(2.0, name="plain")(inputs))
clean.save(os.path.join(work, "clean.keras"))
inputs = keras.Input(shape=(3,))
masking = keras.layers.Masking(np.array([0.1, 0.1, 0.1]))  # float32 cannot hold 0.1
masked = keras.Model(inputs, keras.layers.Dense(2)(masking(inputs)), name="masked")
masked.save(os.path.join(work, "masked.keras"))
vendored = os.path.join(work, "third_party", "keras")
shutil.copytree(os.path.dirname(keras.__file__), vendored)
"""


# A model saved by a newer Keras than the one the documentation runs on.
NEWER = """
import os, sys
import numpy as np, keras
keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(5, 4))
outputs = keras.layers.Dense(2)(keras.layers.LSTM(3)(inputs))
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
model.fit(np.ones((2, 5, 4)), np.ones((2, 2)), verbose=0)
model.save(os.path.join(sys.argv[1], "newer.keras"))
"""
NEWER_STACK = ("keras==3.15.1", "tensorflow-cpu==2.21.0")


def parse(block: str) -> list[tuple[str, str]]:
    """``[(command, expected output), ...]`` of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith(PROMPT):
            steps.append((line[len(PROMPT) :], []))
        elif steps:
            steps[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"output before any command: {line!r}")
    return [(command, "\n".join(lines)) for command, lines in steps]


def matches(expected: str, actual: str) -> bool:
    pattern = re.escape(expected)
    for placeholder, regex in PLACEHOLDERS.items():
        pattern = pattern.replace(re.escape(placeholder), regex)
    return re.fullmatch(pattern, actual.rstrip("\n")) is not None


def run_console(example: Any) -> str | None:
    context = example.namespace["context"]
    status = 0
    for command, expected in parse(example.parsed):
        completed = subprocess.run(
            ["bash", "-c", f"(exit {status}); {command}"],
            cwd=context["work"],
            env=context["env"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        status = completed.returncode
        if not matches(expected, completed.stdout):
            return (
                f"$ {command}\n--- expected\n{expected}\n--- got (exit {status})\n"
                f"{completed.stdout}"
            )
    return None


def run_python(example: Any) -> str | None:
    context = example.namespace["context"]
    completed = subprocess.run(
        [context["python"], "-c", example.parsed],
        cwd=context["work"],
        env=context["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0:
        code, stderr = completed.returncode, completed.stderr[-3000:]
        return f"the block failed (exit {code}):\n{stderr}"
    return None


SYBIL = Sybil(
    parsers=[
        CodeBlockParser(language="console", evaluator=run_console),
        CodeBlockParser(language="python", evaluator=run_python),
        SkipParser(),
    ]
)


@pytest.fixture(scope="module")
def docs_venv() -> Venv:
    """The wheel with its [remote] extra and s3fs, on the pinned affected stack."""
    return Venv(shared_venv("docs", "fsspec==2026.9.0", "s3fs==2026.9.0"))


@pytest.fixture(scope="module")
def template(docs_venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the examples name, made once by stock Keras."""
    work = tmp_path_factory.mktemp("docs-template")
    completed = subprocess.run(
        [docs_venv.python, "-c", FIXTURES, str(work)],
        env=environment(KERAS_RESCALING_PATCH="off"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    newer = release_venv("keras-3.15.1", *NEWER_STACK)
    completed = subprocess.run(
        [str(newer / "python"), "-c", NEWER, str(work)],
        env=environment(KERAS_BACKEND="tensorflow"), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    models = work / "models"
    for folder in ("prod", "team", "archive"):
        (models / folder).mkdir(parents=True)
    shutil.copyfile(work / "model.keras", models / "prod" / "a.keras")
    shutil.copyfile(work / "clean.keras", models / "prod" / "b.keras")
    shutil.copyfile(work / "model.keras", models / "archive" / "old.keras")
    (models / "team" / "broken.keras").write_text("a half-written upload\n")
    synthetic_archive(work / "big.keras", 64 << 20)
    return work


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    with moto_server() as url:
        yield {**AWS, "AWS_ENDPOINT_URL": url}


def fill_bucket(docs_venv: Venv, template: Path, env: dict[str, str]) -> None:
    """Bucket "models": prod/big.keras, prod/team/a.keras, dev/model.json."""
    script = (
        "import sys, s3fs\n"
        "fs = s3fs.S3FileSystem()\n"
        "if fs.exists('models'):\n"
        "    fs.rm('models', recursive=True)\n"
        "fs.mkdir('models')\n"
        "fs.put_file(sys.argv[1] + '/big.keras', 'models/prod/big.keras')\n"
        "fs.put_file(sys.argv[1] + '/model.keras', 'models/prod/team/a.keras')\n"
        "fs.pipe_file('models/dev/model.json', "
        'b\'{"class_name": "Functional", "config": {"name": "m", "layers": []}}\')\n'
    )
    completed = subprocess.run(
        [docs_venv.python, "-c", script, str(template)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]


def examples() -> list[Any]:
    found = []
    for path in DOCUMENTS:
        document = SYBIL.parse(path)
        found += [(path, example) for example in document]
    return found


EXAMPLES = examples()


@pytest.fixture(scope="module")
def contexts(
    docs_venv: Venv,
    template: Path,
    s3: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[Path, dict[str, Any]]:
    """A fresh copy of the template for each document, made when first needed."""

    class Contexts(dict):  # type: ignore[type-arg]
        def __missing__(self, path: Path) -> dict[str, Any]:
            work = tmp_path_factory.mktemp(path.stem) / "work"
            shutil.copytree(template, work, symlinks=True)
            env = environment(**s3)
            env["PATH"] = os.pathsep.join([str(docs_venv.bin), env.get("PATH", "")])
            fill_bucket(docs_venv, template, env)
            self[path] = {"work": work, "env": env, "python": docs_venv.python}
            return self[path]

    return Contexts()


@pytest.mark.parametrize(
    ("path", "example"),
    EXAMPLES,
    ids=[f"{path.relative_to(ROOT)}:{example.line}" for path, example in EXAMPLES],
)
def test_the_example_runs_as_documented(
    path: Path, example: Any, contexts: dict[Path, dict[str, Any]]
) -> None:
    example.namespace["context"] = contexts[path]
    example.evaluate()


def test_every_document_has_its_examples_found() -> None:
    """A fence typo would silently turn an example into prose."""
    for path in DOCUMENTS:
        text = path.read_text()
        fenced = len(re.findall(r"^```(?:console|python)$", text, re.MULTILINE))
        skips = len(re.findall(r"^<!-- skip: next -->$", text, re.MULTILINE))
        assert fenced + skips == sum(1 for p, _ in EXAMPLES if p == path), path
