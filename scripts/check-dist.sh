#!/bin/sh
# Install the sdist and the wheel in DIST (made by `make dist`), each not
# editable, into a fresh venv with the pinned runtime stack; check that the
# shipped diffs are byte-identical to patches/ and the launcher is there,
# run the installed command, and install the [remote] extra.
# Usage: check-dist.sh DIST. Needs $PYTHON (a venv python) and $UV.
set -eu
dist=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for artifact in "$dist"/*.whl "$dist"/*.tar.gz; do
    venv="$work/venv-$(basename "$artifact")"
    "$UV" venv --quiet --python "$PYTHON" "$venv"
    "$UV" pip install --quiet --python "$venv/bin/python" -r requirements/runtime.txt "$artifact"
    (cd "$work" && "$venv/bin/python" -c '
import keras_rescaling_patch, pathlib, sys
assert "site-packages" in keras_rescaling_patch.__file__, keras_rescaling_patch.__file__
assert (pathlib.Path(keras_rescaling_patch.__file__).parent / "py.typed").exists()
assert keras_rescaling_patch.status().active, keras_rescaling_patch.status()
launcher = pathlib.Path(keras_rescaling_patch.__file__).parent / "runtime" / "launcher" / "sitecustomize.py"
assert launcher.is_file(), launcher
')
    shipped=$(cd "$work" && "$venv/bin/python" -c '
import keras_rescaling_patch.vendoring.vendor as v
print(v.patch_directory())')
    case "$shipped" in *site-packages*) ;; *) echo "dist-check: patches not installed: $shipped"; exit 1;; esac
    diff -r patches "$shipped" >/dev/null || {
        echo "dist-check: the patches shipped in $(basename "$artifact") differ from patches/"; exit 1; }
    (cd "$work" && "$venv/bin/keras-rescaling-patch" check >"$work/check.log") || {
        cat "$work/check.log"; exit 1; }
    (cd "$work" && "$venv/bin/keras-rescaling-patch" run -- "$venv/bin/python" -c \
        'import sys; assert [getattr(f, "keras_rescaling_patch_role", 0) for f in sys.meta_path].count("startup") == 1') || {
        echo "dist-check: run did not bring the shim into its command"; exit 1; }
    # The [remote] extra brings fsspec.
    "$UV" pip install --quiet --python "$venv/bin/python" \
        "keras-rescaling-patch[remote] @ file://$artifact"
    "$venv/bin/python" -c 'import fsspec' || {
        echo "dist-check: the [remote] extra did not install fsspec"; exit 1; }
    echo "dist-check: $(basename "$artifact") installs and passes check"
done
