"""Fresh interpreters and throwaway venvs, for tests and benchmarks alike.

Activation, the start-up hook, ``run`` and ``check`` depend on import order
and process start, which a process that has imported Keras cannot see, and
the benchmarks time whole processes. Both run the package as users get it:
the built wheel, installed (not editable) in a venv, with nothing of this
checkout on ``sys.path``. Test helpers that a child needs (``tests``,
``support``) come from a folder that holds only them, never the package.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_REQUIREMENTS = ROOT / "requirements" / "runtime.txt"
# Set by the tests' conftest in a `pytest --without-shim` session: every
# child then runs with KERAS_RESCALING_PATCH=off, so fresh-interpreter tests
# of the fix must fail there like the in-process ones.
WITHOUT_SHIM = "KRP_TESTS_WITHOUT_SHIM"
# The wheel under test (make builds it); built on demand when unset.
WHEEL = "KRP_WHEEL"
SDIST = "KRP_SDIST"


def helpers_folder() -> Path:
    """A folder holding links to ``tests`` and ``support``, and nothing else.

    On a child's ``PYTHONPATH`` it makes the test helpers importable without
    putting this checkout's ``keras_rescaling_patch`` ahead of the installed
    one.
    """
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"krp-test-helpers-{tag}"
    folder.mkdir(exist_ok=True)
    for name in ("tests", "support"):
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name, target_is_directory=True)
    return folder


def environment(*, helpers: bool = False, **overrides: str | None) -> dict[str, str]:
    """A child's environment: ours, cleaned; ``None`` in ``overrides`` unsets.

    Nothing of ours or of Python's that would change what the child imports
    is kept. ``helpers``: the test helpers on ``PYTHONPATH`` (not the
    package).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "KERAS_RESCALING_PATCH", WITHOUT_SHIM))
    }
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if "PYTHONDONTWRITEBYTECODE" in os.environ:  # as the user's shell has it
        env["PYTHONDONTWRITEBYTECODE"] = os.environ["PYTHONDONTWRITEBYTECODE"]
    if os.environ.get(WITHOUT_SHIM):
        env["KERAS_RESCALING_PATCH"] = "off"
    if helpers:
        env["PYTHONPATH"] = str(helpers_folder())
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


def _built(kind: str, variable: str) -> Path:
    """This checkout's ``kind`` (``wheel`` or ``sdist``): ``$variable``, or one
    built now into ``build/test-{kind}`` (once per process; the variable is
    then set, so children and later calls use it)."""
    given = os.environ.get(variable)
    if given:
        return Path(given).resolve()
    out = ROOT / "build" / f"test-{kind}"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(
        [uv(), "build", "--quiet", f"--{kind}", "--out-dir", str(out), str(ROOT)],
        check=True,
        env=environment(),
    )
    [built] = out.glob("*.whl" if kind == "wheel" else "*.tar.gz")
    os.environ[variable] = str(built)
    return built


def built_wheel() -> Path:
    """The wheel under test (``$KRP_WHEEL``, or built from this checkout)."""
    return _built("wheel", WHEEL)


def built_sdist() -> Path:
    """The sdist under test (``$KRP_SDIST``, or built from this checkout)."""
    return _built("sdist", SDIST)


def make_venv(
    folder: Path,
    *requirements: str,
    runtime: bool = True,
    with_pip: bool = False,
    keras: str | None = None,
    with_deps: bool = False,
    package: Path | None = None,
    bytecode: bool = True,
) -> Path:
    """A fresh venv with this package installed from its wheel, like a user's.

    ``runtime``: also the pinned runtime stack (Keras, TensorFlow, NumPy);
    without it the package alone, without its dependencies (enough for the
    file tools and the hook commands). ``with_pip``: seed pip into it.
    ``keras``: another Keras release in place of the pinned one.
    ``with_deps``: without ``runtime``, still resolve the package's and the
    requirements' own dependencies. ``package``: the wheel to install
    (default :func:`built_wheel`). ``bytecode``: compile it all, as pip does
    (each later ``import tensorflow`` is seconds faster).
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
    compile_ = ["--compile-bytecode"] if bytecode else []
    wheel = package if package is not None else built_wheel()
    subprocess.run(
        [uv(), "pip", "install", "--quiet", *compile_, "--python", python, *stack,
         *requirements, str(wheel)],
        check=True,
        env=environment(),
    )  # fmt: skip
    return folder / "bin"


def shared_venv(name: str, *requirements: str, **options: object) -> Path:
    """A venv like :func:`make_venv`, kept under ``build/test-venvs`` for reuse.

    Its folder is named for the wheel's contents, the pinned stack and the
    arguments, so a changed package or pin gets a new one; callers must
    not change it (a test that installs the start-up hook makes its own).
    Returns the venv's ``bin`` folder.
    """
    wheel = built_wheel()
    key = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:  # its contents, not its timestamps
        for member in sorted(archive.namelist()):
            key.update(member.encode() + b"\0" + archive.read(member))
    key.update(RUNTIME_REQUIREMENTS.read_bytes())
    key.update(repr((requirements, sorted(options.items()))).encode())
    root = ROOT / "build" / "test-venvs"
    folder = root / f"{name}-{key.hexdigest()[:16]}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        _drop_stale(root, name)
        make_venv(folder, *requirements, package=wheel, **options)  # type: ignore[arg-type]
    (folder / ".complete").touch()  # built, and used now
    return folder / "bin"


def _drop_stale(
    root: Path, name: str, keep: int = 2, idle_seconds: float = 3600
) -> None:
    """Delete older venvs of ``name`` beyond the newest ``keep``, but none used
    within the last hour (another test session may be running in it)."""
    import time

    built = sorted(
        root.glob(f"{name}-*/.complete"), key=lambda m: m.stat().st_mtime, reverse=True
    )
    for marker in built[keep:]:
        if time.time() - marker.stat().st_mtime > idle_seconds:
            shutil.rmtree(marker.parent, ignore_errors=True)


def release_venv(name: str, *requirements: str) -> Path:
    """A venv of ``requirements`` alone (a stock Keras release and its
    backend, never this package), kept under ``build/test-venvs`` while the
    requirements are the same. Returns its ``bin`` folder."""
    key = hashlib.sha256(repr(requirements).encode()).hexdigest()[:16]
    root = ROOT / "build" / "test-venvs"
    folder = root / f"{name}-{key}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        _drop_stale(root, name)
        subprocess.run(
            [uv(), "venv", "--quiet", "--python", sys.executable, str(folder)],
            check=True,
        )
        override = folder / "overrides.txt"
        override.write_text(
            "\n".join(r for r in requirements if r.startswith("keras=="))
        )
        subprocess.run(
            [uv(), "pip", "install", "--quiet",
             "--python", str(folder / "bin" / "python"),
             "--override", str(override), *requirements],
            check=True, env=environment(UV_COMPILE_BYTECODE=None),
        )  # fmt: skip
    (folder / ".complete").touch()
    return folder / "bin"


Result = TypeVar("Result")


def once(compute: Callable[[], Result]) -> Callable[[], Result]:
    """``compute`` run at most once: its result kept, and so is its failure,
    which every later caller gets again without running it again (an oracle
    of many minutes that failed must not run again for each of its tests)."""
    outcome: list[Result] = []
    failure: list[BaseException] = []

    @functools.wraps(compute)
    def run() -> Result:
        if failure:
            raise RuntimeError(f"{compute.__name__} failed before") from failure[0]
        if not outcome:
            try:
                outcome.append(compute())
            except Exception as error:
                failure.append(error)
                raise
        return outcome[0]

    return run
