"""The compatibility matrix: every affected Keras release x every backend.

One nox session per cell (``cell(keras='3.4.1', backend='jax')``), each in
its own environment built by uv from the shared cache, plus the
cross-version file sessions. ``make matrix`` runs them and turns the
results into the README's table (scripts/matrix_report.py).

PyTorch is the exception to uv: uv would download a multi-GB CUDA build,
so torch 2.13.0 (CPU) is installed once with pip into ``.matrix/torch``
(``make`` does it) and shared into the torch cells through a ``.pth`` file.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matrix.releases import AFFECTED, BACKENDS, CROSS_VERSION, LATEST, RELEASES

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["cell"]

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / ".matrix" / "results"
TORCH = ROOT / ".matrix" / "torch"
# Where a venv's packages go, asked of the interpreter rather than spelled
# with its version (the venvs here are made with the same Python as nox).
SITE_PACKAGES = sysconfig.get_path("purelib", vars={"base": "{venv}"})


def stack(keras: str, backend: str) -> list[str]:
    """The pins for one cell: the stacks that install and run on Python 3.11
    (TensorFlow 2.16 and NumPy 1.x for Keras 3.0-3.5; TensorFlow 2.21 for the
    latest Keras)."""
    modern = keras == LATEST
    pins = [f"keras=={keras}", "pytest==9.2.0", "numpy" if modern else "numpy<2"]
    if backend == "tensorflow":
        pins.append("tensorflow-cpu==2.21.0" if modern else "tensorflow-cpu==2.16.2")
    elif backend in ("jax", "numpy"):  # Keras 3.0-3.4's NumPy backend imports jax
        pins.append("jax[cpu]==0.10.2" if modern else "jax[cpu]==0.4.30")
    return pins


def prepare(session: nox.Session, keras: str, backend: str) -> None:
    session.install(*stack(keras, backend))
    # Keras 3.0.5's NumPy backend imports the torch backend (an upstream slip),
    # so the NumPy cells get the shared torch too.
    if backend in ("torch", "numpy"):
        torch_site = Path(SITE_PACKAGES.format(venv=TORCH))
        if not torch_site.is_dir():
            session.error(
                f"{torch_site} is missing: run `make .matrix/torch/.installed`"
            )
        site = Path(SITE_PACKAGES.format(venv=session.virtualenv.location))
        (site / "zz_shared_torch.pth").write_text(f"{torch_site}\n")


@nox.session(python="3.11")
@nox.parametrize("backend", list(BACKENDS))
@nox.parametrize("keras", list(RELEASES))
def cell(session: nox.Session, keras: str, backend: str) -> None:
    """Gate verdict and the shim's behavioural suite for one release/backend."""
    prepare(session, keras, backend)
    out = RESULTS / f"cell-{keras}-{backend}.json"
    session.run("python", "matrix/cell.py", keras, backend, str(out))


@nox.session(python="3.11")
@nox.parametrize("keras", list(CROSS_VERSION))
def save_files(session: nox.Session, keras: str) -> None:
    """Write .keras files with stock Keras (and on 3.4.1 also under the shim)."""
    prepare(session, keras, "tensorflow")
    session.run("python", "matrix/crossversion.py", "save", keras, env=_env())
    if keras == "3.4.1":
        session.run(
            "python", "matrix/crossversion.py", "save", keras, "--shim", env=_env()
        )


@nox.session(python="3.11")
@nox.parametrize("keras", list(CROSS_VERSION))
def load_files(session: nox.Session, keras: str) -> None:
    """Load every writer's files here with the shim imported (and without, if fixed).

    Repaired files are loaded without the shim on every release.
    """
    prepare(session, keras, "tensorflow")
    out = RESULTS / f"crossversion-{keras}.json"
    session.run("python", "matrix/crossversion.py", "load", keras, str(out), env=_env())
    if keras in AFFECTED:
        repaired = RESULTS / f"crossversion-{keras}-repaired.json"
        command = ["matrix/crossversion.py", "load", keras, str(repaired)]
        session.run("python", *command, "--stock", "--repaired-only", env=_env())
    else:  # files written under the shim load on stock 3.5+
        stock = RESULTS / f"crossversion-{keras}-stock.json"
        session.run(
            "python",
            "matrix/crossversion.py",
            "load",
            keras,
            str(stock),
            "--stock",
            env=_env(),
        )


def _env() -> dict[str, str]:
    return {
        "PYTHONPATH": str(ROOT),
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
