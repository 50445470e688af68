#!/usr/bin/env bash
# Builds the hantu wheel and runs the Python test suite against the installed wheel, as a user
# would have it. Sets up a virtual environment at .venv on a fresh machine.
#
#   bash scripts/test-python.sh            # build, install, test
#   PYTHON=python3.12 bash scripts/test-python.sh
#   VENV=/path/to/venv bash scripts/test-python.sh   # another virtual environment
#
# Reuses CARGO_TARGET_DIR when set. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
VENV="$(cd "$VENV" && pwd)"
PY="$VENV/bin/python"

echo "== installing build and test tools"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet "maturin>=1.5,<2" pytest numpy pandas matplotlib mypy pandas-stubs

echo "== building the wheel (release)"
WHEELS="$(mktemp -d)"
trap 'rm -rf "$WHEELS"' EXIT
"$VENV/bin/maturin" build --release -m hantu-py/Cargo.toml --interpreter "$PY" --out "$WHEELS"

echo "== installing the wheel"
"$PY" -m pip install --quiet --force-reinstall --no-deps "$WHEELS"/hantu-*.whl

echo "== mypy (the installed package and its stubs)"
(cd "$WHEELS" && "$VENV/bin/mypy" --no-incremental -p hantu)

echo "== pytest"
# Run from the test folder so `import hantu` finds the installed wheel, not the source tree.
cd hantu-py/tests
"$PY" -m pytest -q -p no:cacheprovider .
