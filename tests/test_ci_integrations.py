"""What CI pipelines run: SARIF checked by Microsoft's SARIF Multitool, and
the pre-commit hook run by pre-commit itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keras_rescaling_patch.cli.main import main
from support.servers import npm_tools
from tests.conftest import AffectedModel
from tests.subprocesses import ROOT, environment

pytestmark = pytest.mark.slow  # npm, pre-commit's own environment

SUSPECT_JSON = {
    "class_name": "Functional",
    "config": {
        "name": "outer",
        "trainable": True,
        "layers": [
            {
                "module": "my_layers",
                "class_name": "MyRescaling",
                "registered_name": "Custom>MyRescaling",
                "config": {
                    "name": "custom",
                    "trainable": True,
                    "scale": {
                        "class_name": "__numpy__",
                        "config": {"value": [2.0], "dtype": "float32"},
                    },
                },
            }
        ],
    },
}


@pytest.fixture(scope="module")
def multitool() -> Path:
    """The Multitool, installed by npm from requirements/npm's lock file."""
    tool = npm_tools() / "@microsoft/sarif-multitool-linux/Sarif.Multitool"
    tool.chmod(0o755)  # what its install script would do
    return tool


@pytest.fixture
def models(tmp_path: Path, affected_model: AffectedModel) -> Path:
    folder = tmp_path / "repo" / "models"
    folder.mkdir(parents=True)
    shutil.copyfile(affected_model.path, folder / "affected.keras")
    (folder / "suspect.json").write_text(json.dumps(SUSPECT_JSON))
    (folder / "broken.keras").write_bytes(b"PK\x03\x04 cut short")
    return folder


def test_sarif_passes_the_multitool_and_says_what_scan_found(
    multitool: Path,
    models: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = models.parent
    monkeypatch.chdir(repo)  # paths in SARIF are relative to where it ran
    code = main(["scan", "models", "models/suspect.json", "--format", "sarif"])
    text = capsys.readouterr().out
    path = repo / "results.sarif"
    path.write_text(text)
    log = json.loads(text)
    assert code == 2  # broken.keras could not be read
    validated = subprocess.run(
        [str(multitool), "validate", str(path)], capture_output=True, text=True
    )
    report = validated.stdout + validated.stderr
    assert validated.returncode == 0, report
    assert ": error " not in report and "Analysis completed successfully" in report
    [run] = log["runs"]  # type: ignore[index]
    results = run["results"]
    assert sorted((r["ruleId"], r["level"]) for r in results) == [
        ("KRP001", "error"),  # scale
        ("KRP001", "error"),  # offset
        ("KRP002", "warning"),  # the suspect layer
    ]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in results
    }
    assert uris == {"models/affected.keras", "models/suspect.json"}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == repo.as_uri() + "/"
    [notice] = run["invocations"][0]["toolExecutionNotifications"]
    assert notice["message"]["text"].startswith("models/broken.keras: ")
    assert run["tool"]["driver"]["name"] == "keras-rescaling-patch"


def git(repo: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def test_the_pre_commit_hook_refuses_an_affected_model(
    models: Path, tmp_path: Path
) -> None:
    """pre-commit installs this repository's hook and runs it on the files."""
    repo = models.parent
    (models / "broken.keras").unlink()
    (models / "suspect.json").unlink()
    shutil.copyfile(ROOT / "tests" / "__init__.py", repo / "unrelated.py")
    clean = models / "clean.keras"
    _save_clean(clean)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    pre_commit = str(Path(sys.executable).with_name("pre-commit"))
    env = environment(PRE_COMMIT_HOME=str(ROOT / "build" / "pre-commit"))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])

    def hook(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "try-repo", str(ROOT), "keras-rescaling-scan",
             "--files", *files],
            cwd=repo, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip

    refused = hook("models/affected.keras", "models/clean.keras", "unrelated.py")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "keras-rescaling-patch scan" in refused.stdout
    assert "Failed" in refused.stdout
    assert (
        "models/affected.keras: 2 serialized array(s) stock Keras cannot restore"
        " (on 3.4.1)" in refused.stdout
    )
    assert "unrelated.py" not in refused.stdout.split("Failed", 1)[1]
    passed = hook("models/clean.keras")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def _save_clean(path: Path) -> None:
    """A model stock Keras 3.0-3.4 runs: a plain-number Rescaling."""
    import keras

    inputs = keras.Input(shape=(3,))
    keras.Model(inputs, keras.layers.Rescaling(2.0, name="plain")(inputs)).save(path)
