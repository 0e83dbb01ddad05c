"""The commands are alike, and every setting is checked once, by the API.

Each command is a module of the same shape, registered in one table and
imported only when run; a value the API refuses comes back to the command
line as data (which setting, what was wrong) and is shown with the flag's
name; ``status`` gathers a typed value that its text and JSON render.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from keras_rescaling_patch.cli import environment
from keras_rescaling_patch.cli.commands import COMMANDS, load
from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files import api, options
from keras_rescaling_patch.files.options import SettingError
from support.synthetic import CONFIG
from tests.subprocesses import Venv
from tests.subprocesses import environment as child_environment


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_module_has_the_same_shape(name: str) -> None:
    module = load(name)
    assert isinstance(module.DESCRIPTION, str) and module.DESCRIPTION
    assert callable(module.add_arguments) and callable(module.run)


@pytest.mark.slow
def test_a_command_imports_no_other_command(
    installed_files: Venv, tmp_path: Path
) -> None:
    (tmp_path / "m.json").write_text(json.dumps(CONFIG))
    probe = (
        "import sys\n"
        "from keras_rescaling_patch.cli.main import main\n"
        "code = main(['scan', 'm.json'])\n"
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "             if m.startswith('keras_rescaling_patch.cli.commands.')))\n"
    )
    completed = subprocess.run(
        [installed_files.python, "-c", probe], cwd=tmp_path,
        env=child_environment(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.stdout.splitlines()[-1] == "['scan']", completed.stderr


@pytest.mark.parametrize(
    ("flags", "api_words", "cli_words"),
    [
        (
            {"timeout": "0"},
            "timeout must be a positive number, not '0'",
            "argument --timeout: '0' is not a positive number",
        ),
        (
            {"max_config_mib": "nan"},
            "max_config_mib must be a positive number, not 'nan'",
            "argument --max-config-mib: 'nan' is not a positive number",
        ),
        (
            {"jobs": "0"},
            "jobs must be 1 or more (a whole number), not '0'",
            "argument --jobs: '0' is not 1 or more (a whole number)",
        ),
        (
            {"target_keras": ["3.4.2"]},
            "target_keras: '3.4.2' takes no Keras 3 release",
            "argument --target-keras: '3.4.2' takes no Keras 3 release",
        ),
        (
            {"select": ["KRP009"]},
            "select: no rule 'KRP009'; the rules are KRP001, KRP002, KRP003",
            "argument --select: no rule 'KRP009'; the rules are",
        ),
    ],
)
def test_one_check_per_setting_each_caller_in_its_own_words(
    flags: dict[str, object],
    api_words: str,
    cli_words: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The API checks the value; the command line names the flag."""
    with pytest.raises(SettingError) as refused:
        list(api.scan_many(["nowhere.keras"], **flags))  # type: ignore[arg-type]
    assert str(refused.value).startswith(api_words)
    argv = ["scan", "nowhere.keras"]
    for name, value in flags.items():
        spelled = "--" + name.replace("_", "-")
        for one in value if isinstance(value, list) else [value]:
            argv += [spelled, str(one)]
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert cli_words in capsys.readouterr().err


def test_an_output_and_in_place_at_once_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["repair", "a.keras", "-o", "b.keras", "--in-place"]) == 2
    assert capsys.readouterr().err == ("repair: give either -o OUT or --in-place\n")
    with pytest.raises(SettingError, match="give either an output or in_place=True"):
        api.repair("a.keras", "b.keras", in_place=True)
    assert main(["repair", "a.keras"]) == 2
    assert "give either -o OUT or --in-place" in capsys.readouterr().err


def test_status_is_a_typed_value_its_text_and_json_render() -> None:
    report = environment.gather()
    assert isinstance(report, environment.StatusReport)
    document = report.as_dict()
    assert document["programs"] == {
        "import": report.programs.import_,
        "startup_hook": report.programs.startup_hook,
        "run": report.programs.run,
    }
    assert document["keras_version"] == report.keras_version
    assert f"  why:           {report.verdict}" in report.lines()
    json.dumps(document)  # JSON-ready as it is


def test_every_limit_is_checked_by_the_one_validator() -> None:
    """The options' validators take text (the command line's) and numbers."""
    assert options.positive_number(options.TIMEOUT, "2.5") == 2.5
    assert options.whole_number(options.JOBS, "4") == 4
    for bad in (True, "abc", "inf", -1, 0):
        with pytest.raises(SettingError):
            options.positive_number(options.TIMEOUT, bad)
