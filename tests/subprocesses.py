"""Fresh interpreters and throwaway venvs: for behaviour that happens at start.

Activation, the start-up hook, ``run`` and ``check`` depend on import order
and process start, which a test process that has imported Keras cannot
see. Every test of them runs a fresh interpreter, with an environment
built here: the caller's, minus anything of ours or of Python's that would
change what the child imports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_REQUIREMENTS = ROOT / "requirements" / "runtime.txt"
HEAVY_MODULES = ("keras", "tensorflow", "numpy")
# Set by conftest in a `pytest --without-shim` session: every child then runs
# with KERAS_RESCALING_PATCH=off, so fresh-interpreter tests of the fix must
# fail there like the in-process ones.
WITHOUT_SHIM = "KRP_TESTS_WITHOUT_SHIM"


def environment(*, source_tree: bool = True, **overrides: str | None) -> dict[str, str]:
    """A child's environment: ours, cleaned; ``None`` in ``overrides`` unsets.

    ``source_tree``: put this checkout on ``PYTHONPATH`` (for the test venv,
    which has the package installed editable anyway); a throwaway venv
    with its own installed copy gets ``False``.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "KERAS_RESCALING_PATCH", WITHOUT_SHIM))
    }
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if os.environ.get(WITHOUT_SHIM):
        env["KERAS_RESCALING_PATCH"] = "off"
    if source_tree:
        env["PYTHONPATH"] = str(ROOT)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(
    code: str,
    *,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 300,
    arguments: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (environment from :func:`environment`)."""
    return subprocess.run(
        [python, "-c", code, *(arguments or [])],
        cwd=cwd,
        env=env if env is not None else environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_json(completed: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The JSON object a child printed on its last stdout line."""
    lines = completed.stdout.strip().splitlines()
    assert lines, f"no output (exit {completed.returncode}): {completed.stderr[-3000:]}"
    return dict(json.loads(lines[-1]))


def cli_in_bare_interpreter(arguments: list[str]) -> tuple[int, list[str]]:
    """Run the command line in a fresh interpreter.

    Returns its exit code and which of Keras, TensorFlow and NumPy it
    imported: the file tools must import none of them.
    """
    code = (
        "import json, sys\n"
        "from keras_rescaling_patch.cli import main\n"
        f"code = main({arguments!r})\n"
        f"print(code, json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))\n"
    )
    completed = run_python(code)
    assert completed.returncode == 0, completed.stderr
    exit_code, _, imported = completed.stdout.strip().splitlines()[-1].partition(" ")
    return int(exit_code), json.loads(imported)


def uv() -> str:
    """The uv beside this interpreter (``make`` installs it), or on PATH."""
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    assert found, "uv is needed to build throwaway venvs (make installs it)"
    return found


def make_venv(
    folder: Path,
    *requirements: str,
    runtime: bool = True,
    with_pip: bool = False,
    keras: str | None = None,
    with_deps: bool = False,
) -> Path:
    """A fresh venv with this package installed (not editable), like a user's.

    ``runtime``: also the pinned runtime stack (Keras, TensorFlow, NumPy);
    without it the package alone, without its dependencies (enough for the
    file tools and the hook commands). ``with_pip``: seed pip into it.
    ``keras``: another Keras release in place of the pinned one.
    ``with_deps``: without ``runtime``, still resolve the package's and the
    requirements' own dependencies.
    Returns the venv's ``bin`` folder. uv installs from its cache in seconds.
    """
    seed = ["--seed"] if with_pip else []
    subprocess.run(
        [uv(), "venv", "--quiet", *seed, "--python", sys.executable, str(folder)],
        check=True,
    )
    python = str(folder / "bin" / "python")
    stack = ["-r", str(RUNTIME_REQUIREMENTS)] if runtime else []
    if not (runtime or with_deps):
        stack.append("--no-deps")
    if keras is not None:
        override = folder / "keras-override.txt"
        override.write_text(f"keras=={keras}\n")
        stack += ["--override", str(override)]
    subprocess.run(
        [uv(), "pip", "install", "--quiet", "--python", python, *stack,
         *requirements, str(ROOT)],
        check=True,
        env=environment(source_tree=False),
    )  # fmt: skip
    return folder / "bin"


NOBODY = 65534


def as_another_user(
    arguments: list[str], **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run this package's command line as ``nobody`` (the tests run as root).

    The file tools need only the standard library, so the system's Python
    runs them (the test venv's may live where ``nobody`` cannot reach); it
    reads the package from this checkout. Skips the test where that is not
    possible.
    """
    import pytest

    if os.geteuid() != 0:
        pytest.skip("needs root, to act as another user")
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 for another user")
    env = environment()
    probe = subprocess.run(
        [python, "-c", "import keras_rescaling_patch.cli"],
        env=env, cwd="/", capture_output=True, user=NOBODY,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot import this checkout: {probe.stderr[-200:]!r}")
    return subprocess.run(
        [python, "-m", "keras_rescaling_patch", *arguments],
        env=env, cwd="/", capture_output=True, text=True, user=NOBODY,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip
