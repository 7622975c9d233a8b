#!/usr/bin/env bash
# Creates .venv on Python 3.10 and installs exactly requirements/lock.txt (hash-checked).
# Re-running is cheap: a stamp named after the lock's hash says the venv already matches it.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=requirements/lock.txt
stamp=".venv/.lock-$(sha256sum "$lock" | cut -c1-16)"
[ -f "$stamp" ] && exit 0
py=$(scripts/find-python310.sh)
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  rm -rf .venv
  echo "Creating .venv with $py"
  "$py" -m venv .venv
fi
uv_pin=$(grep -E '^uv==' "$lock" | cut -d' ' -f1)
.venv/bin/python -m pip install -q --disable-pip-version-check "$uv_pin"
echo "Installing the locked dependency set (requirements/lock.txt)"
# uv reads PyPI directly and keeps a cache in ~/.cache/uv, so a second clone installs in seconds.
.venv/bin/uv pip sync -q --python .venv/bin/python --require-hashes "$lock"
rm -f .venv/.lock-*
touch "$stamp"
