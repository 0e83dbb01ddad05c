"""The start-up hook, in throwaway venvs (it writes into site-packages)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import AffectedModel
from tests.subprocesses import environment, in_venv, make_venv

pytestmark = pytest.mark.slow

HOOK = "keras_rescaling_patch_startup.pth"
SPAWN_LOAD = Path(__file__).with_name("spawn_load.py")


@pytest.fixture(scope="module")
def venv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the pinned runtime stack and this package (not editable)."""
    return make_venv(tmp_path_factory.mktemp("hook") / "venv")


run = in_venv


def site_packages(venv_bin: Path) -> Path:
    [folder] = venv_bin.parent.glob("lib/python*/site-packages")
    return folder


@pytest.fixture
def hook_installed(venv_bin: Path) -> Iterator[Path]:
    installed = run(venv_bin, "keras-rescaling-patch", "install-startup-hook")
    assert installed.returncode == 0, installed.stderr
    yield site_packages(venv_bin) / HOOK
    run(venv_bin, "keras-rescaling-patch", "uninstall-startup-hook")


def spawn_load(
    venv_bin: Path, affected: AffectedModel, folder: Path, **env: str
) -> dict[str, object]:
    model = affected.copy_to(folder)
    batch = json.dumps(affected.inputs.tolist())
    completed = run(venv_bin, "python", str(SPAWN_LOAD), str(model), batch, **env)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


@pytest.mark.fix
def test_spawned_workers_are_covered_while_the_hook_is_installed(
    venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    expected = affected_model.expected.tolist()
    installed = run(venv_bin, "keras-rescaling-patch", "install-startup-hook")
    assert installed.returncode == 0 and "start-up hook installed:" in installed.stdout
    try:
        again = run(venv_bin, "keras-rescaling-patch", "install-startup-hook")
        assert again.returncode == 0 and "already installed" in again.stdout
        assert [p.name for p in site_packages(venv_bin).glob("*.pth")].count(HOOK) == 1
        status = run(venv_bin, "keras-rescaling-patch", "status", "--json")
        hooks = json.loads(status.stdout)["startup_hooks"]
        assert [Path(hook).name for hook in hooks] == [HOOK]
        # Under --without-shim the hook is installed but switched off.
        assert spawn_load(venv_bin, affected_model, tmp_path / "on") == {
            "ok": True,
            "output": expected,
        }
    finally:
        removed = run(venv_bin, "keras-rescaling-patch", "uninstall-startup-hook")
    assert removed.returncode == 0 and "start-up hook removed:" in removed.stdout
    assert not (site_packages(venv_bin) / HOOK).exists()


def test_without_the_hook_or_with_it_off_workers_are_stock(
    venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    """The control: the same worker fails on stock Keras 3.4.1."""
    assert spawn_load(venv_bin, affected_model, tmp_path / "none")["ok"] is False
    assert (
        run(venv_bin, "keras-rescaling-patch", "install-startup-hook").returncode == 0
    )
    try:
        off = spawn_load(
            venv_bin, affected_model, tmp_path / "off", KERAS_RESCALING_PATCH="off"
        )
        assert off["ok"] is False
    finally:
        run(venv_bin, "keras-rescaling-patch", "uninstall-startup-hook")
    gone = run(venv_bin, "keras-rescaling-patch", "uninstall-startup-hook")
    assert "was not installed" in gone.stdout


IMPORTED_AT_START = (
    "import sys\n"
    "roles = [getattr(f, 'keras_rescaling_patch_role', 0) for f in sys.meta_path]\n"
    "heavy = ('keras', 'numpy', 'tensorflow')\n"
    "ours = [m for m in sys.modules if m.startswith(heavy)]\n"
    "print(roles.count('startup'), ours)"
)


def test_hook_imports_nothing_at_start_up_and_never_breaks_it(
    venv_bin: Path, hook_installed: Path
) -> None:
    """Only the start-up finder: not even this package is imported."""
    plain = run(venv_bin, "python", "-c", IMPORTED_AT_START)
    assert (plain.returncode, plain.stdout, plain.stderr) == (0, "1 []\n", "")
    off = run(venv_bin, "python", "-c", IMPORTED_AT_START, KERAS_RESCALING_PATCH="off")
    assert (off.returncode, off.stdout, off.stderr) == (0, "0 []\n", "")
    # Python still imports everything else as before.
    other = run(venv_bin, "python", "-c", "import json, email.message; print('ok')")
    assert (other.returncode, other.stdout) == (0, "ok\n")


def test_a_mistyped_setting_is_said_in_one_line_where_keras_is_imported(
    venv_bin: Path, hook_installed: Path
) -> None:
    """Said in the processes it matters to, and nowhere else (pip, tools)."""
    quiet = run(venv_bin, "python", "-c", "print('alive')", KERAS_RESCALING_PATCH="of")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "alive\n", "")
    code = "import keras; print('alive')"
    typo = run(venv_bin, "python", "-c", code, KERAS_RESCALING_PATCH="of")
    assert (typo.returncode, typo.stdout) == (0, "alive\n")
    assert typo.stderr == (
        "keras-rescaling-patch: KERAS_RESCALING_PATCH='of' is not understood; "
        "use one of: auto, off, force; the shim stays off in this process.\n"
    )


NOT_NEEDED = (
    "NotNeededWarning: keras-rescaling-patch is not needed here and can be "
    "removed: Keras 3.5.0 already contains the fix"
)


def test_on_a_fixed_keras_the_hook_is_silent_and_status_says_why(
    tmp_path: Path,
) -> None:
    """The "not needed" warning is for code that imports the package itself:
    not when the hook brought it in, also under the hook when code does."""
    fixed = make_venv(tmp_path / "venv", keras="3.5.0")
    assert run(fixed, "keras-rescaling-patch", "install-startup-hook").returncode == 0
    code = (
        "import warnings; warnings.simplefilter('always')\n"
        "import keras, keras_rescaling_patch as krp; print(krp.status().reason)"
    )
    quiet = run(fixed, "python", "-c", code)
    assert quiet.returncode == 0 and "Warning" not in quiet.stderr, quiet.stderr
    assert "already contains the fix" in quiet.stdout
    # The user's own import comes first: told, as status promises.
    told = run(fixed, "python", "-c", "import keras_rescaling_patch, keras")
    assert told.stderr.startswith(f"<string>:1: {NOT_NEEDED}"), told.stderr
    # -W error turns it into an error, as it does for any warning.
    strict = run(
        fixed, "python", "-W", "error", "-c", "import keras_rescaling_patch, keras"
    )
    assert strict.returncode == 1 and "NotNeededWarning" in strict.stderr
    run(fixed, "keras-rescaling-patch", "uninstall-startup-hook")
    user = run(fixed, "python", "-c", "import keras, keras_rescaling_patch")
    assert NOT_NEEDED in user.stderr


def test_a_file_of_that_name_that_is_not_ours_is_refused_both_ways(
    venv_bin: Path,
) -> None:
    foreign = site_packages(venv_bin) / HOOK
    foreign.write_bytes(b"# somebody else's start-up file\n")
    try:
        for command in ("install-startup-hook", "uninstall-startup-hook"):
            refused = run(venv_bin, "keras-rescaling-patch", command)
            assert refused.returncode == 2 and refused.stdout == ""
            assert "was not written by keras-rescaling-patch; left alone" in (
                refused.stderr
            )
            assert len(refused.stderr.splitlines()) == 1
            assert foreign.read_bytes() == b"# somebody else's start-up file\n"
        status = run(venv_bin, "keras-rescaling-patch", "status", "--json")
        assert (
            status.returncode == 0 and json.loads(status.stdout)["startup_hooks"] == []
        )
    finally:
        foreign.unlink()


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_uninstalling_the_package_removes_the_hook(
    installer: str, tmp_path: Path
) -> None:
    bin_folder = make_venv(tmp_path / "venv", runtime=False, with_pip=True)
    installed = run(bin_folder, "keras-rescaling-patch", "install-startup-hook")
    assert installed.returncode == 0, installed.stderr
    assert "note:" not in installed.stdout
    site = site_packages(bin_folder)
    assert (site / HOOK).is_file()
    if installer == "pip":
        command = [str(bin_folder / "python"), "-m", "pip", "uninstall", "-y"]
    else:
        from tests.subprocesses import uv

        command = [uv(), "pip", "uninstall", "--python", str(bin_folder / "python")]
    removed = subprocess.run(
        [*command, "keras-rescaling-patch"],
        env=environment(),
        capture_output=True,
        text=True,
    )
    assert removed.returncode == 0, removed.stderr
    left = sorted(p.name for p in site.iterdir() if "keras_rescaling_patch" in p.name)
    assert left == []


def test_check_keeps_its_stock_child_stock_with_the_hook_installed(
    venv_bin: Path, hook_installed: Path
) -> None:
    checked = run(venv_bin, "keras-rescaling-patch", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]
    lines = checked.stdout.splitlines()
    assert any(
        line.startswith("  reloaded without the shim (tf.keras): fails: ")
        for line in lines
    ), lines
    assert (
        "  reloaded with the shim (tf.keras): loads and predicts bit-identically"
        in (lines)
    )
    assert lines[-1].startswith("OK: the bug reproduces here")
