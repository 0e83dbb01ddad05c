"""The opt-in start-up hook: a ``.pth`` file that covers every interpreter.

Python executes ``import`` lines of ``*.pth`` files in site-packages at
start-up, in every interpreter of the environment. Ours imports nothing of
this package: it executes the text of ``runtime/bootstrap.py``, written
into the line when the hook is installed, which leaves one small finder in
``sys.meta_path`` (an import from source would cost a millisecond where no
bytecode is cached, as in images built with ``PYTHONDONTWRITEBYTECODE``).
Interpreters that never import Keras pay that and nothing more; the ones
that do (spawned workers, pool processes, test runners) import the package
when Keras is looked up and get the shim the moment Keras is imported.
``KERAS_RESCALING_PATCH=off`` skips even the finder, and a broken or
removed package never breaks Python: the finder then stays inert.

The file is recorded in the installed distribution's ``RECORD`` when it is
written, so ``pip uninstall`` (and ``uv pip uninstall``) remove it with the
package: nothing of ours stays behind in site-packages.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import hashlib
import os
import site
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from keras_rescaling_patch._atomic import write_text_atomically

FILE_NAME = "keras_rescaling_patch_startup.pth"
DISTRIBUTION_GLOB = "keras_rescaling_patch-*.dist-info"
MARKER = "# keras-rescaling-patch start-up hook"
BOOTSTRAP = Path(__file__).with_name("bootstrap.py")


def compact(source: str) -> str:
    """``source`` as the same code without docstrings, comments, annotations
    and ``if TYPE_CHECKING:`` blocks: less for every interpreter to compile."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
            node.body = [
                statement
                for statement in node.body
                if not _is_docstring(statement) and not _is_type_checking(statement)
            ] or [ast.Pass()]
        if isinstance(node, ast.FunctionDef):
            node.returns = None
            for argument in (*node.args.posonlyargs, *node.args.args):
                argument.annotation = None
    return ast.unparse(_PlainAssignments().visit(tree))


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_type_checking(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.If):
        return (
            isinstance(statement.test, ast.Name)
            and statement.test.id == "TYPE_CHECKING"
        )
    return isinstance(statement, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == "TYPE_CHECKING"
        for target in statement.targets
    )


class _PlainAssignments(ast.NodeTransformer):
    """``x: T = v`` as ``x = v``."""

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.stmt:
        if node.value is None:
            return ast.Pass()
        return ast.copy_location(
            ast.Assign(targets=[node.target], value=node.value), node
        )


def hook_line(bootstrap_source: str) -> str:
    """One physical line (site.py executes lines that start with "import")
    that executes ``bootstrap_source``, compacted, unless the setting is
    ``off`` or the finder is already first in ``sys.meta_path`` (in a venv,
    ``site`` reads each ``.pth`` twice: the second reading compiles nothing)."""
    namespace = "{'__name__': 'keras_rescaling_patch.runtime.bootstrap'}"
    return (
        f"import os, sys; exec({compact(bootstrap_source)!r}, {namespace})"
        " if os.environ.get('KERAS_RESCALING_PATCH', '').strip().lower() != 'off'"
        " and not getattr((sys.meta_path or [None])[0], 'keras_rescaling_patch_role',"
        " None) else None"
    )


def content() -> str:
    """The hook file this version of the package writes."""
    return (
        f"{MARKER}: applies keras_rescaling_patch when Keras is imported.\n"
        "# Remove with: keras-rescaling-patch uninstall-startup-hook (pip uninstall\n"
        "# keras-rescaling-patch removes it too). The line below runs the text of\n"
        "# keras_rescaling_patch/runtime/bootstrap.py, without importing anything.\n"
        f"{hook_line(BOOTSTRAP.read_text(encoding='utf-8'))}\n"
    )


class HookError(Exception):
    """The hook cannot be installed or removed here; the message says why."""


def site_directory(user: bool) -> Path:
    """The site-packages folder of this interpreter (or its user site)."""
    if user:
        if not site.ENABLE_USER_SITE:
            raise HookError("this interpreter does not use a user site-packages")
        return Path(site.getusersitepackages())
    return Path(sysconfig.get_paths()["purelib"])


def _site_directories() -> list[Path]:
    folders = [Path(sysconfig.get_paths()["purelib"])]
    if site.ENABLE_USER_SITE:
        folders.append(Path(site.getusersitepackages()))
    return folders


def _is_ours(path: Path) -> bool:
    """Whether ``path`` is a hook written by this package (any version)."""
    try:
        with path.open("rb") as stream:
            return stream.read(len(MARKER)) == MARKER.encode()
    except OSError:
        return False


def installed_hooks() -> list[Path]:
    """Every copy of our hook this interpreter would run."""
    return sorted(
        path
        for path in (folder / FILE_NAME for folder in _site_directories())
        if path.is_file() and _is_ours(path)
    )


def _refuse_foreign(path: Path) -> None:
    if os.path.lexists(path) and not (path.is_file() and _is_ours(path)):
        raise HookError(
            f"{path} exists and was not written by keras-rescaling-patch; "
            "left alone (remove it yourself if it is stale)"
        )


def _record_file(hook: Path) -> Path | None:
    """The ``RECORD`` of the installed distribution that should own ``hook``.

    Preferably the distribution installed in the hook's own folder, else
    the one in another site folder of this interpreter; ``None`` when the
    package was not installed by an installer (a plain checkout).
    """
    folders = [hook.parent, *(f for f in _site_directories() if f != hook.parent)]
    for folder in folders:
        for dist_info in sorted(folder.glob(DISTRIBUTION_GLOB)):
            record = dist_info / "RECORD"
            if record.is_file():
                return record
    return None


def _record_line(hook: Path, record: Path, text: str) -> str:
    """A RECORD row for ``hook``: its path from the dist-info's folder, hash, size."""
    data = text.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    where = os.path.relpath(hook, record.parent.parent).replace(os.sep, "/")
    return f"{where},sha256={digest.decode()},{len(data)}"


def _update_record(hook: Path, add: bool, text: str = "") -> Path | None:
    """Add (or drop) the hook's row in the owning RECORD; return that RECORD.

    Best effort: ``None`` when there is no RECORD or it cannot be rewritten
    (then ``pip uninstall`` would leave the hook, which the caller says).
    """
    record = _record_file(hook)
    if record is None:
        return None
    try:
        line = _record_line(hook, record, text)
        name = line.split(",", 1)[0]
        text = record.read_text(encoding="utf-8")
        rows = [row for row in text.splitlines() if row.split(",", 1)[0] != name]
        if add:
            rows.append(line)
        updated = "".join(f"{row}\n" for row in rows)
        if updated != text:
            mode = record.stat().st_mode & 0o777
            write_text_atomically(record, updated, mode=mode)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return record


@dataclass(frozen=True)
class Change:
    """What ``install`` or ``uninstall`` did."""

    path: Path
    changed: bool
    record: Path | None  # the RECORD that lists the hook (install), if any


@contextlib.contextmanager
def _exclusively(folder: Path) -> Iterator[None]:
    """Serialize our own installs and uninstalls in ``folder`` (``flock``), so
    the file and its RECORD row always change together."""
    try:
        import fcntl

        descriptor = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):  # no flock here, or no folder to lock
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def install(user: bool = False) -> Change:
    """Write the hook (or refresh an older one of ours) and record it."""
    folder = site_directory(user)
    path = folder / FILE_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HookError(f"cannot write {path}: {error.strerror or error}") from error
    with _exclusively(folder):
        _refuse_foreign(path)
        try:
            text = content()
            unchanged = path.is_file() and path.read_bytes() == text.encode()
            if not unchanged:
                write_text_atomically(path, text, mode=0o644)
        except OSError as error:
            raise HookError(
                f"cannot write {path}: {error.strerror or error}"
            ) from error
        return Change(path, not unchanged, _update_record(path, add=True, text=text))


def uninstall(user: bool = False) -> Change:
    """Remove the hook (only ours) and its RECORD row."""
    folder = site_directory(user)
    path = folder / FILE_NAME
    with _exclusively(folder):
        if not os.path.lexists(path):
            return Change(path, False, None)
        _refuse_foreign(path)
        try:
            path.unlink()
        except OSError as error:
            raise HookError(
                f"cannot remove {path}: {error.strerror or error}"
            ) from error
        _update_record(path, add=False)
        return Change(path, True, None)
