"""What ``status`` and ``check`` learn of this environment, as one typed value.

Three things, kept apart: the environment (which Keras, which backend,
whether it has the bug), what a program started in this environment gets
(from ``import keras_rescaling_patch``, from the start-up hook, from
``run``), and this command's own process, which is not the program the
user cares about but says what the gate decided here. :func:`gather`
returns a :class:`StatusReport`; its text (:meth:`StatusReport.lines`)
and its JSON (:meth:`StatusReport.as_dict`) are two renderings of it.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class Programs:
    """What each way of activation does for a program started here."""

    import_: str
    startup_hook: str
    run: str


@dataclass(frozen=True)
class StatusReport:
    """Everything ``status`` says (``affected`` is ``None`` where Keras
    cannot be imported: unknown)."""

    package_version: str
    keras_version: str | None
    keras_importable: bool
    keras_backend: str | None
    tensorflow_version: str | None
    affected: bool | None
    setting: str
    startup_hooks: tuple[str, ...]
    programs: Programs
    active: bool  # in this command's own process
    reason: str
    verdict: str
    nothing_to_patch: bool

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``status --json``)."""
        report = asdict(self)
        report["startup_hooks"] = list(self.startup_hooks)
        report["programs"] = {
            "import": self.programs.import_,
            "startup_hook": self.programs.startup_hook,
            "run": self.programs.run,
        }
        return report

    @property
    def nothing_to_patch_here(self) -> str | None:
        """Why there is nothing here for the shim at all, in one line, or
        ``None``. Where Keras is not installed, or is Keras 2, a full report
        would only repeat that: the people asking get the one line that
        answers them."""
        return self.verdict if self.nothing_to_patch else None

    def lines(self) -> list[str]:
        """The human-readable report: one line where there is nothing to patch."""
        short = self.nothing_to_patch_here
        if short is not None:
            found = [f"keras-rescaling-patch {self.package_version}: {short}"]
            for hook in self.startup_hooks:
                found.append(
                    f"  start-up hook installed at {hook}: it does nothing here"
                )
            return found
        keras = self.keras_version or "not installed"
        if self.keras_version and not self.keras_importable:
            keras += " (installed, but it cannot be imported)"
        elif self.keras_backend:
            keras += f" ({self.keras_backend} backend)"
        default = " (the default)" if self.setting == "auto" else ""
        if not self.keras_importable:
            affected = "unknown until Keras can be imported"
        else:
            affected = "yes" if self.affected else "no"
        return [
            f"keras-rescaling-patch {self.package_version}",
            "This environment:",
            f"  Keras:         {keras}",
            f"  TensorFlow:    {self.tensorflow_version or 'not installed'}",
            f"  affected:      {affected}",
            f"  why:           {self.verdict}",
            f"  setting:       KERAS_RESCALING_PATCH={self.setting}{default}",
            "A program started here:",
            f"  import keras_rescaling_patch: {self.programs.import_}",
            f"  start-up hook: {self.programs.startup_hook}",
            f"  run:           {self.programs.run}",
            "This command's own process:",
            f"  shim active:   {'yes' if self.active else 'no'}",
            f"  reason:        {self.reason}",
        ]


def _programs(verdict: Any, importable: bool, hooks: tuple[str, ...]) -> Programs:
    """What each way of activation does for a program started here."""
    mode = activation.mode
    hook_at = f" ({', '.join(hooks)})" if hooks else ""
    if not importable:
        why = "nothing is patched until Keras can be imported (see above)"
        return Programs(why, why, why)
    if verdict.fixed:
        return Programs(
            import_="does nothing (this Keras has the fix) and warns "
            "NotNeededWarning: this package can be removed",
            startup_hook=(
                f"installed{hook_at} but does nothing here; pip uninstall "
                "keras-rescaling-patch removes it with the package"
                if hooks
                else "not installed (not needed here)"
            ),
            run="does nothing here (not needed)",
        )
    if not verdict.affected:
        why = f"does nothing: {verdict.reason}"
        return Programs(why, why, why)
    if mode == "off":
        off = "does nothing: KERAS_RESCALING_PATCH=off"
        return Programs(
            import_=f"{off} (unset it, or call keras_rescaling_patch.apply())",
            startup_hook=f"installed{hook_at}, but {off}" if hooks else off,
            run=off,
        )
    return Programs(
        import_="applies the shim the moment the program imports Keras",
        startup_hook=(
            f"installed{hook_at}: every interpreter here gets the shim when it "
            "imports Keras"
            if hooks
            else f"not installed; `{HOOK_COMMAND}` covers every interpreter here"
        ),
        run="`keras-rescaling-patch run -- COMMAND` covers every Python "
        "process of COMMAND",
    )


def gather() -> StatusReport:
    """Everything ``status`` prints (imports Keras)."""
    current = keras_rescaling_patch.status()
    verdict = control.verdict()
    importable = sys.modules.get("keras") is not None
    hooks = tuple(str(path) for path in startup_hook.installed_hooks())
    return StatusReport(
        package_version=keras_rescaling_patch.__version__,
        keras_version=current.keras_version,
        keras_importable=importable,
        keras_backend=_keras_backend(),
        tensorflow_version=tensorflow_version(),
        affected=current.affected if importable else None,
        setting=str(activation.mode),
        startup_hooks=hooks,
        programs=_programs(verdict, importable, hooks),
        active=current.active,
        reason=current.reason,
        verdict=verdict.reason,
        nothing_to_patch=verdict.nothing_to_patch,
    )


def keras_2_without_importing() -> str | None:
    """The one line for an installed Keras 2, read from its metadata.

    Importing a Keras 2 answers nothing more, and can cost a screenful
    (TensorFlow 2.15 beside NumPy 2 prints NumPy's traceback on import).
    """
    version = keras_distribution_version()
    if version is None or not gate.is_keras_2(version):
        return None
    return gate.decide(version, None).reason
