"""Installing the package changes nothing else, and it works wherever it lands.

The package is installed with pip, as a platform team installs it, from the
built sdist and then the built wheel, into venvs that already hold a stack:
TensorFlow 2.15 with Keras 2.15 (not affected: installing the package there
to run ``check`` or ``scan`` must not turn it into Keras 3), the pinned
affected stack, Keras 3.5.0 without a backend, Keras 3.4.1 on JAX, and an
empty venv (a CI runner that only scans files). ``pip freeze --all`` before
and after must be the same but for this package. Then, in the empty venv
and beside Keras 2, the commands a stranger runs first must answer in one
line, without a traceback.
"""

from __future__ import annotations

import functools
import os
import pty
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import keras_rescaling_patch
from support.processes import built_sdist, built_wheel, environment, uv
from support.synthetic import synthetic_archive

pytestmark = [pytest.mark.slow, pytest.mark.network]

STACKS = {
    "keras-2.15-on-tensorflow-2.15": ("tensorflow-cpu==2.15.1",),
    # Keras 2 that cannot even be imported (no TensorFlow, no NumPy).
    "keras-2.15-alone": ("keras==2.15.0",),
    "keras-3.4.1-on-tensorflow-2.16.2": (
        "tensorflow-cpu==2.16.2",
        "keras==3.4.1",
        "numpy<2",
    ),
    "keras-3.5.0-without-tensorflow": ("keras==3.5.0",),
    "keras-3.4.1-on-jax": ("keras==3.4.1", "jax[cpu]==0.4.30", "numpy<2"),
    "empty": (),
}
OURS = ("keras-rescaling-patch", "keras_rescaling_patch")
VERSION = keras_rescaling_patch.__version__


@dataclass(frozen=True)
class Installed:
    """A venv of one stack, before and after pip installed the package."""

    bin: Path
    before: list[str]
    after_sdist: list[str]
    after_wheel: list[str]
    pip_output: str

    def run(self, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / command[0]), *command[1:]],
            cwd=self.bin,
            env=environment(**env),
            capture_output=True,
            text=True,
            timeout=300,
        )


def _freeze(python: Path) -> list[str]:
    """Every distribution installed, ours left out."""
    completed = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all"],
        capture_output=True, text=True, check=True, env=environment(),
    )  # fmt: skip
    return sorted(
        line
        for line in completed.stdout.splitlines()
        if not line.lower().startswith(OURS)
    )


def _pip(python: Path, *arguments: str) -> str:
    completed = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *arguments],
        capture_output=True, text=True, env=environment(), timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout + completed.stderr


@functools.cache
def installed(stack: str) -> Installed:
    """The stack in a venv made by uv (from its cache), then the package
    installed by pip: the sdist, then (in its place) the wheel."""
    folder = Path(tempfile.mkdtemp(prefix=f"krp-install-{stack}-"))
    env = environment(UV_COMPILE_BYTECODE=None)
    subprocess.run(
        [uv(), "venv", "--quiet", "--seed", "--python", sys.executable, str(folder)],
        check=True, env=env,
    )  # fmt: skip
    python = folder / "bin" / "python"
    if STACKS[stack]:
        subprocess.run(
            [uv(), "pip", "install", "--quiet", "--python", str(python),
             *STACKS[stack]],
            check=True, env=env,
        )  # fmt: skip
    before = _freeze(python)
    output = _pip(python, "install", str(built_sdist()))
    after_sdist = _freeze(python)
    _pip(python, "uninstall", "--yes", "keras-rescaling-patch")
    output += _pip(python, "install", str(built_wheel()))
    return Installed(folder / "bin", before, after_sdist, _freeze(python), output)


@pytest.mark.parametrize("stack", list(STACKS))
def test_pip_installs_this_package_and_changes_nothing_else(stack: str) -> None:
    venv = installed(stack)
    assert venv.after_sdist == venv.before, venv.pip_output
    assert venv.after_wheel == venv.before, venv.pip_output
    assert "conflict" not in venv.pip_output.lower(), venv.pip_output


def test_the_wheel_requires_nothing_and_offers_its_extras() -> None:
    with zipfile.ZipFile(built_wheel()) as wheel:
        [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = wheel.read(name).decode()
    requirements = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    assert requirements, "the extras declare what the package imports"
    assert all("; extra ==" in line for line in requirements), requirements
    extras = {line.split(":", 1)[1].strip() for line in metadata.splitlines()
              if line.startswith("Provides-Extra:")}  # fmt: skip
    assert extras == {"keras", "remote"}


# -- where nothing else is installed ------------------------------------------


def test_status_says_in_one_line_that_there_is_no_keras() -> None:
    completed = installed("empty").run("keras-rescaling-patch", "status")
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == (
        f"keras-rescaling-patch {VERSION}: Keras is not installed; nothing to patch.\n"
    )


def test_check_says_in_one_line_that_there_is_nothing_to_check() -> None:
    completed = installed("empty").run("keras-rescaling-patch", "check")
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == (
        "check: nothing to check: Keras is not installed; nothing to patch.\n"
    )


def test_import_and_status_without_keras_or_numpy() -> None:
    completed = installed("empty").run(
        "python",
        "-c",
        "import keras_rescaling_patch as k; s = k.status(); "
        "print(s.active, s.affected, s.reason)",
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == "False False Keras is not installed; nothing to patch.\n"


def _on_a_terminal(venv: Installed, *command: str, cwd: Path) -> tuple[int, str, str]:
    """Run ``command`` with its stderr on a pseudo-terminal, as in a shell;
    its exit code, its stdout and what the terminal showed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(venv.bin / command[0]), *command[1:]],
        cwd=cwd, env=environment(), stdout=subprocess.PIPE, stderr=terminal,
        text=True,
    )  # fmt: skip
    os.close(terminal)
    shown: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed with the process
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    stdout, _ = process.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(controller)
    return process.returncode, stdout, b"".join(shown).decode(errors="replace")


def test_scan_and_repair_a_big_model_on_a_terminal_with_nothing_installed(
    tmp_path: Path,
) -> None:
    """Over the progress line's threshold, so the line is drawn (by the
    standard library: nothing else is installed)."""
    venv = installed("empty")
    synthetic_archive(tmp_path / "big.keras", 110 << 20)
    code, stdout, terminal = _on_a_terminal(
        venv, "keras-rescaling-patch", "scan", "big.keras", cwd=tmp_path
    )
    assert (
        code == 1
        and "big.keras: 1 serialized array(s) stock Keras cannot restore (on 3.4.1)"
        in stdout
    )
    assert "Traceback" not in terminal
    code, stdout, terminal = _on_a_terminal(
        venv, "keras-rescaling-patch", "repair", "big.keras", "-o", "fixed.keras",
        "--no-sync", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, terminal
    assert stdout.startswith("repaired big.keras -> fixed.keras: 1 serialized array(s)")
    assert "\r\x1b[Krepair big.keras: " in terminal and "% " in terminal, terminal
    assert "Traceback" not in terminal
    assert terminal.endswith("\r\x1b[K"), "the line is taken away at the end"
    with zipfile.ZipFile(tmp_path / "fixed.keras") as archive:
        assert archive.getinfo("model.weights.h5").file_size == 110 << 20


# -- beside Keras 2 ------------------------------------------------------------

KERAS_2 = (
    "Keras 2.15.0 is Keras 2, which never had the bug: not affected, nothing to patch."
)


def test_status_beside_keras_2_says_in_one_line_it_is_not_affected() -> None:
    completed = installed("keras-2.15-on-tensorflow-2.15").run(
        "keras-rescaling-patch", "status"
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == f"keras-rescaling-patch {VERSION}: {KERAS_2}\n"


def test_check_beside_keras_2_says_in_one_line_it_is_not_affected() -> None:
    completed = installed("keras-2.15-on-tensorflow-2.15").run(
        "keras-rescaling-patch", "check"
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == f"check: nothing to check: {KERAS_2}\n"


def test_the_wheel_holds_every_module_of_the_tree() -> None:
    """The package list in pyproject.toml is written by hand: a new
    subpackage missing from it would be missing from every install."""
    package = Path(keras_rescaling_patch.__file__).resolve().parent
    tree = {
        str(path.relative_to(package.parent))
        for path in package.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    with zipfile.ZipFile(built_wheel()) as wheel:
        shipped = {name for name in wheel.namelist() if name.endswith(".py")}
    assert tree <= shipped, sorted(tree - shipped)


@pytest.mark.parametrize("command", ["status", "check"])
def test_a_keras_2_that_cannot_be_imported_is_still_not_affected(
    command: str,
) -> None:
    """Its version is in its metadata: importing it (and failing) would
    add nothing but noise."""
    completed = installed("keras-2.15-alone").run("keras-rescaling-patch", command)
    assert (completed.returncode, completed.stderr) == (0, "")
    lead = (
        f"keras-rescaling-patch {VERSION}: "
        if command == "status"
        else ("check: nothing to check: ")
    )
    assert completed.stdout == f"{lead}{KERAS_2}\n"
