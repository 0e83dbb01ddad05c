"""The code host's workflow: tests on every declared Python, one build, and a
release published from exactly that build. It cannot run here; its schema
is linted by `make lint`, and its shape is checked here.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # the oldest declared Python runs these tests too
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def workflow() -> dict[str, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def jobs() -> dict[str, dict[str, Any]]:
    return dict(workflow()["jobs"])


def oldest_declared() -> str:
    found = re.fullmatch(r">=(3\.\d+)", PYPROJECT["project"]["requires-python"])
    assert found, "requires-python is a lower bound"
    return found[1]


def test_the_tests_run_on_the_oldest_declared_python_and_on_ours() -> None:
    versions = jobs()["test"]["strategy"]["matrix"]["python-version"]
    assert oldest_declared() in versions and "3.11" in versions
    listed = {
        c.rsplit(":: ", 1)[1]
        for c in PYPROJECT["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert listed == set(versions), "the classifiers name what CI tests"


def test_the_oldest_declared_python_is_the_one_checked_statically() -> None:
    oldest = oldest_declared()
    assert PYPROJECT["tool"]["mypy"]["python_version"] == oldest
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + oldest.replace(".", "")
    makefile = (ROOT / "Makefile").read_text()
    assert f"vermin --no-tips --violations --target={oldest}- " in makefile


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in _steps(job) if str(s.get("uses", "")).startswith(action)]


def test_a_tag_builds_the_distributions_once() -> None:
    builders = [
        name
        for name, job in jobs().items()
        if any("make dist" in str(step.get("run", "")) for step in _steps(job))
    ]
    assert builders == ["dist"]
    dist = jobs()["dist"]
    assert dist["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert "test" in _needs(dist)
    [upload] = _uses(dist, "actions/upload-artifact@")
    assert upload["with"]["path"] == "dist/"


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def test_publish_uploads_exactly_those_files_by_trusted_publishing() -> None:
    publish = jobs()["publish"]
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert {"test", "dist"} <= set(_needs(publish)), "only after the tests passed"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    [upload] = _uses(jobs()["dist"], "actions/upload-artifact@")
    [download] = _uses(publish, "actions/download-artifact@")
    assert download["with"]["name"] == upload["with"]["name"]
    assert download["with"]["path"] == "dist/"
    [action] = _uses(publish, "pypa/gh-action-pypi-publish@")
    assert action["with"]["packages-dir"] == "dist/"
    assert action["with"].get("attestations", True) is True
    assert not any("run" in step for step in _steps(publish)), "nothing rebuilt"
    assert "secrets." not in WORKFLOW.read_text(), "no token: trusted publishing"


def test_nothing_but_publish_may_ask_for_an_identity_token() -> None:
    assert workflow()["permissions"] == {"contents": "read"}
    for name, job in jobs().items():
        if name != "publish":
            assert "id-token" not in job.get("permissions", {}), name
