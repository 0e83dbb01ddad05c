"""Fresh interpreters and throwaway venvs, for tests and benchmarks alike.

Activation, the start-up hook, ``run`` and ``check`` depend on import order
and process start, which a process that has imported Keras cannot see, and
the benchmarks time whole processes. Both build a child's environment
here: the caller's, minus anything of ours or of Python's that would change
what the child imports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_REQUIREMENTS = ROOT / "requirements" / "runtime.txt"
# Set by the tests' conftest in a `pytest --without-shim` session: every
# child then runs with KERAS_RESCALING_PATCH=off, so fresh-interpreter tests
# of the fix must fail there like the in-process ones.
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
