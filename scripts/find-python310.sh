#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 does not install on 3.11+), or fails
# with one clear line. Looks on PATH first, then in pyenv's versions folder.
set -u
for cand in "${PYTHON310:-}" python3.10 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/"3.10*/bin/python3.10 "$HOME/.pyenv/versions/"3.10*/bin/python3.10; do
  [ -n "$cand" ] || continue
  path=$(command -v "$cand" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
echo "error: Python 3.10 is required (Rasa 3.6 does not install on 3.11+); install it, e.g. 'pyenv install 3.10', or set PYTHON310=/path/to/python3.10" >&2
exit 1
