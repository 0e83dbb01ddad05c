"""The diffs in patches/ against every affected release as shipped on PyPI.

For each of the 16 releases: the pristine file in the wheel and the sdist
is the one the diff's header names; ``patch -p1`` and ``git apply`` take
the diff cleanly; ``vendor`` gives the same bytes as ``patch``; a model
with array scale and offset round-trips on the patched copy WITHOUT the
shim and fails on the pristine copy; ``--reverse`` restores the pristine
bytes; and the shim's probe reads the patched copy as fixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from keras_rescaling_patch._keras_releases import Version
from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.vendoring import vendor
from support.processes import shared_venv
from tests import releases
from tests.subprocesses import ROOT, Venv, environment, helpers_folder

# Downloads the 16 releases (cached) and starts interpreters on each.
pytestmark = [pytest.mark.network, pytest.mark.slow]

PATCHES = ROOT / "patches"


def patch_file(version: str) -> Path:
    name = vendor.patch_for(Version.parse(version))
    assert name is not None
    return PATCHES / name


def pristine_digest(version: str) -> str:
    match = vendor.PRISTINE_DIGEST.search(patch_file(version).read_text())
    assert match is not None
    return match[1]


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
@pytest.mark.parametrize("version", releases.AFFECTED)
def test_shipped_file_is_the_one_the_diff_expects(
    version: str, kind: str, tmp_path: Path
) -> None:
    archive = releases.wheel(version) if kind == "wheel" else releases.sdist(version)
    content = releases.rescaling_bytes(archive)
    assert hashlib.sha256(content).hexdigest() == pristine_digest(version)
    target = tmp_path / releases.RESCALING
    target.parent.mkdir(parents=True)
    target.write_bytes(content)
    diff = patch_file(version).read_bytes()
    dry = subprocess.run(
        ["patch", "-p1", "--dry-run", "--force"],
        input=diff,
        cwd=tmp_path,
        capture_output=True,
    )
    assert dry.returncode == 0, dry.stdout
    assert dry.stdout.decode().strip() == f"checking file {releases.RESCALING}"
    subprocess.run(
        ["git", "apply", "--check", str(patch_file(version))], cwd=tmp_path, check=True
    )


@pytest.fixture(scope="module")
def vendoring_venv() -> Venv:
    """The wheel and the pinned stack, plus dm-tree (Keras 3.0.x imports it;
    3.1+ use optree): each release's vendored copy shadows the installed one."""
    return Venv(shared_venv("vendoring", "dm-tree==0.1.10"))


def _start(venv: Venv, vendored: Path) -> subprocess.Popen[str]:
    env = environment(
        PYTHONPATH=os.pathsep.join([str(vendored), str(helpers_folder())]),
        KERAS_RESCALING_PATCH="auto",
    )
    return subprocess.Popen(
        [venv.python, "-m", "tests.vendored_roundtrip"],
        cwd=vendored,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _report(process: subprocess.Popen[str]) -> dict[str, object]:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    return dict(json.loads(stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("version", releases.AFFECTED)
def test_patched_release_reloads_without_the_shim(
    version: str, tmp_path: Path, vendoring_venv: Venv
) -> None:
    pristine = releases.unpack_keras(releases.wheel(version), tmp_path / "pristine")
    by_patch = tmp_path / "by-patch"
    by_vendor = tmp_path / "by-vendor"
    shutil.copytree(pristine, by_patch)
    shutil.copytree(pristine, by_vendor)
    subprocess.run(
        ["patch", "-p1", "--quiet"],
        stdin=patch_file(version).open("rb"),
        cwd=by_patch,
        check=True,
    )
    assert main(["vendor", str(by_vendor)]) == 0
    patched_bytes = (by_vendor / releases.RESCALING).read_bytes()
    assert patched_bytes == (by_patch / releases.RESCALING).read_bytes()

    stock = _start(vendoring_venv, pristine)
    fixed = _start(vendoring_venv, by_vendor)
    stock_report, fixed_report = _report(stock), _report(fixed)
    assert str(stock_report["keras"]).startswith(str(pristine))
    assert str(fixed_report["keras"]).startswith(str(by_vendor))
    assert stock_report["version"] == fixed_report["version"] == version
    assert stock_report["roundtrip"] != "identical"
    assert stock_report["affected"] is True
    assert fixed_report["roundtrip"] == "identical"
    assert (fixed_report["affected"], fixed_report["active"]) == (False, False)
    assert "patched or vendored" in str(fixed_report["reason"])

    assert main(["vendor", "--reverse", str(by_vendor)]) == 0
    restored = (by_vendor / releases.RESCALING).read_bytes()
    assert hashlib.sha256(restored).hexdigest() == pristine_digest(version)


def test_release_list_matches_the_patch_ranges() -> None:
    names = {patch_file(version).name for version in releases.AFFECTED}
    shipped = {path.name for path in PATCHES.glob("keras+*.patch")}
    assert names == shipped
    for name in shipped:
        low, high = name.removeprefix("keras+").removesuffix(".patch").split("-")
        covered = [v for v in releases.AFFECTED if patch_file(v).name == name]
        ordered = sorted(covered, key=Version.parse)
        assert (ordered[0], ordered[-1]) == (low, high)
