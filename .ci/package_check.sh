#!/usr/bin/env bash
# The install a user gets from `pipx install .` / `uv tool install .`: build the wheel and the sdist with the
# build backend, fail on any deprecation warning it prints, install the wheel into a fresh venv (not editable, not
# the dev .venv) and run the installed command.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/build-env"
"$work/build-env/bin/python" -m pip install --quiet --upgrade pip build
"$work/build-env/bin/python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
if grep -Ei "deprecat|BuildBackendWarning|SetuptoolsWarning" "$work/build.log"; then
    echo "package check: the build printed the warnings above" >&2
    exit 1
fi
ls "$work/dist"/streakwatch-*.tar.gz "$work/dist"/streakwatch-*-py3-none-any.whl >/dev/null

python3 -m venv "$work/user-env"
"$work/user-env/bin/python" -m pip install --quiet "$work/dist"/streakwatch-*-py3-none-any.whl
cd "$work"  # away from the source tree, so only the installed package can be imported
"$work/user-env/bin/streakwatch" --version
"$work/user-env/bin/streakwatch" --once --json --source demo >"$work/once.json"
"$work/user-env/bin/python" -c "import json, sys; d = json.load(open(sys.argv[1])); assert d['label'] == 'SIMULATED' and d['schema_version'] == 1, d" "$work/once.json"
echo "package check: wheel and sdist built cleanly; the installed streakwatch runs"
