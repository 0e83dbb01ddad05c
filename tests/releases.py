"""Every affected Keras release, as shipped on PyPI: downloaded once, cached.

The cache lives outside the repository (``$KRP_RELEASE_CACHE``, default
``~/.cache/keras-rescaling-patch/releases``) so fresh clones on the same
machine reuse it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from keras_rescaling_patch._keras_releases import AFFECTED

__all__ = ["AFFECTED", "sdist", "unpack_keras", "wheel"]

RESCALING = "keras/src/layers/preprocessing/rescaling.py"


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "keras-rescaling-patch" / "releases"
    folder = Path(os.environ.get("KRP_RELEASE_CACHE", default))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pip() -> list[str]:
    """This interpreter's pip, or the system's (uv venvs have none)."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    return ["python3", "-m", "pip"]


def _download(version: str, kind: str) -> Path:
    folder = cache_dir() / kind
    pattern = (
        f"keras-{version}-py3-none-any.whl"
        if kind == "wheel"
        else f"keras-{version}.tar.gz"
    )
    path = folder / pattern
    if not path.exists():
        only = ["--only-binary=:all:"] if kind == "wheel" else ["--no-binary=:all:"]
        subprocess.run(
            [*_pip(), "download", "--quiet", "--no-deps", *only,
             f"keras=={version}", "--dest", str(folder)],
            check=True, capture_output=True,
        )  # fmt: skip
    return path


def wheel(version: str) -> Path:
    return _download(version, "wheel")


def sdist(version: str) -> Path:
    return _download(version, "sdist")


def rescaling_bytes(archive: Path) -> bytes:
    """The pristine rescaling.py as shipped in a wheel or an sdist."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel_file:
            return wheel_file.read(RESCALING)
    with tarfile.open(archive) as sdist_file:
        member = sdist_file.extractfile(
            f"{archive.name[: -len('.tar.gz')]}/{RESCALING}"
        )
        assert member is not None
        return member.read()


def unpack_keras(archive: Path, destination: Path) -> Path:
    """Unpack a wheel's ``keras/`` package under ``destination``; return it."""
    with zipfile.ZipFile(archive) as wheel_file:
        members = [name for name in wheel_file.namelist() if name.startswith("keras/")]
        wheel_file.extractall(destination, members)
    return destination
