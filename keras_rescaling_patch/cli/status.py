"""What ``keras-rescaling-patch status`` reports, for the people around a model.

Three things, kept apart: the environment (which Keras, which backend,
whether it has the bug), what a program started in this environment gets
(from ``import keras_rescaling_patch``, from the start-up hook, from
``run``), and this command's own process, which is not the program the
user cares about but says what the gate decided here.
"""

from __future__ import annotations

import sys
from typing import Any

import keras_rescaling_patch
from keras_rescaling_patch.runtime import activation, control, gate, startup_hook

TENSORFLOW_DISTRIBUTIONS = (
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-intel",
    "tensorflow-macos",
)
HOOK_COMMAND = "keras-rescaling-patch install-startup-hook"


def tensorflow_version() -> str | None:
    version = getattr(sys.modules.get("tensorflow"), "__version__", None)
    if isinstance(version, str):
        return version
    return gate.distribution_version(*TENSORFLOW_DISTRIBUTIONS)


def keras_distribution_version() -> str | None:
    """The installed Keras, read from its metadata (Keras is not imported)."""
    return gate.distribution_version("keras")


def _keras_backend() -> str | None:
    keras = sys.modules.get("keras")
    try:
        return str(keras.backend.backend()) if keras is not None else None
    except Exception:  # noqa: BLE001 - Keras 2 or a broken install: no backend
        return None


def _programs(verdict: Any, importable: bool, hooks: list[str]) -> dict[str, str]:
    """What each way of activation does for a program started here."""
    mode = activation.mode
    hook_at = f" ({', '.join(hooks)})" if hooks else ""
    if not importable:
        why = "nothing is patched until Keras can be imported (see above)"
        return {"import": why, "startup_hook": why, "run": why}
    if verdict.fixed:
        return {
            "import": "does nothing (this Keras has the fix) and warns "
            "NotNeededWarning: this package can be removed",
            "startup_hook": (
                f"installed{hook_at} but does nothing here; pip uninstall "
                "keras-rescaling-patch removes it with the package"
                if hooks
                else "not installed (not needed here)"
            ),
            "run": "does nothing here (not needed)",
        }
    if not verdict.affected:
        why = f"does nothing: {verdict.reason}"
        return {"import": why, "startup_hook": why, "run": why}
    if mode == "off":
        off = "does nothing: KERAS_RESCALING_PATCH=off"
        return {
            "import": f"{off} (unset it, or call keras_rescaling_patch.apply())",
            "startup_hook": f"installed{hook_at}, but {off}" if hooks else off,
            "run": off,
        }
    return {
        "import": "applies the shim the moment the program imports Keras",
        "startup_hook": (
            f"installed{hook_at}: every interpreter here gets the shim when it "
            "imports Keras"
            if hooks
            else f"not installed; `{HOOK_COMMAND}` covers every interpreter here"
        ),
        "run": "`keras-rescaling-patch run -- COMMAND` covers every Python "
        "process of COMMAND",
    }


def gather() -> dict[str, Any]:
    """Everything ``status`` prints, as a JSON-ready dict (imports Keras)."""
    current = keras_rescaling_patch.status()
    verdict = control.verdict()
    importable = sys.modules.get("keras") is not None
    hooks = [str(path) for path in startup_hook.installed_hooks()]
    return {
        "package_version": keras_rescaling_patch.__version__,
        "keras_version": current.keras_version,
        "keras_importable": importable,
        "keras_backend": _keras_backend(),
        "tensorflow_version": tensorflow_version(),
        "affected": current.affected if importable else None,  # None: unknown
        "setting": activation.mode,
        "startup_hooks": hooks,
        "programs": _programs(verdict, importable, hooks),
        "active": current.active,  # in this command's own process
        "reason": current.reason,
        "verdict": verdict.reason,
        "nothing_to_patch": verdict.nothing_to_patch,
    }


def nothing_to_patch(report: dict[str, Any]) -> str | None:
    """Why there is nothing here for the shim at all, in one line, or ``None``.

    Where Keras is not installed, or is Keras 2, a full report would only
    repeat that: the people asking get the one line that answers them.
    """
    return str(report["verdict"]) if report["nothing_to_patch"] else None


def keras_2_without_importing() -> str | None:
    """The one line for an installed Keras 2, read from its metadata.

    Importing a Keras 2 answers nothing more, and can cost a screenful
    (TensorFlow 2.15 beside NumPy 2 prints NumPy's traceback on import).
    """
    version = keras_distribution_version()
    if version is None or not gate.is_keras_2(version):
        return None
    return gate.decide(version, None).reason


def _affected_text(report: dict[str, Any]) -> str:
    if not report["keras_importable"]:
        return "unknown until Keras can be imported"
    return "yes" if report["affected"] else "no"


def lines(report: dict[str, Any]) -> list[str]:
    """The human-readable report: one line where there is nothing to patch."""
    short = nothing_to_patch(report)
    if short is not None:
        found = [f"keras-rescaling-patch {report['package_version']}: {short}"]
        for hook in report["startup_hooks"]:
            found.append(f"  start-up hook installed at {hook}: it does nothing here")
        return found
    keras = report["keras_version"] or "not installed"
    if report["keras_version"] and not report["keras_importable"]:
        keras += " (installed, but it cannot be imported)"
    elif report["keras_backend"]:
        keras += f" ({report['keras_backend']} backend)"
    setting = report["setting"]
    default = " (the default)" if setting == "auto" else ""
    programs = report["programs"]
    return [
        f"keras-rescaling-patch {report['package_version']}",
        "This environment:",
        f"  Keras:         {keras}",
        f"  TensorFlow:    {report['tensorflow_version'] or 'not installed'}",
        f"  affected:      {_affected_text(report)}",
        f"  why:           {report['verdict']}",
        f"  setting:       KERAS_RESCALING_PATCH={setting}{default}",
        "A program started here:",
        f"  import keras_rescaling_patch: {programs['import']}",
        f"  start-up hook: {programs['startup_hook']}",
        f"  run:           {programs['run']}",
        "This command's own process:",
        f"  shim active:   {'yes' if report['active'] else 'no'}",
        f"  reason:        {report['reason']}",
    ]
