#!/usr/bin/env bash
# Trains the Rasa model only when data/, domain/, config.yml or bot/nlu/*.py changed. Models are cached outside
# the clone by that hash (~/.cache/esea-report/models), so a fresh clone of unchanged data (CI)
# reuses the model trained before instead of spending minutes training again.
set -euo pipefail
cd "$(dirname "$0")/.."
# The code of our own pipeline components (bot/nlu) counts too: a changed tokenizer or classifier
# must not reuse a model trained with the old one.
hash=$( { find data domain config.yml -type f \( -name '*.yml' -o -name '*.yaml' \) -print0
          find bot/nlu -type f -name '*.py' -print0; } | sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [ "${1:-}" = "--hash" ]; then echo "$hash"; exit 0; fi  # for scripts/bench.py
rasa_ver=$(.venv/bin/python -c 'import rasa; print(rasa.__version__)')
cache="${XDG_CACHE_HOME:-$HOME/.cache}/esea-report/models"
mkdir -p models var "$cache"
model="models/current.tar.gz"
if [ -f models/.hash ] && [ "$(cat models/.hash)" = "$hash" ] && [ -f "$model" ]; then
  exit 0
fi
cached="$cache/$rasa_ver-$hash.tar.gz"
if [ -f "$cached" ]; then
  echo "Using cached model $hash"
  cp "$cached" "$model"
else
  echo "Training the model (data changed: $hash) ..."
  start=$(date +%s)
  .venv/bin/rasa train --quiet --domain domain --data data --config config.yml \
    --out models --fixed-model-name "train-$hash" >var/train.log 2>&1 \
    || { tail -40 var/train.log; echo "error: training failed (full log: var/train.log)" >&2; exit 1; }
  echo "Trained in $(( $(date +%s) - start ))s"
  mv "models/train-$hash.tar.gz" "$model"
  cp "$model" "$cached.tmp" && mv "$cached.tmp" "$cached"
fi
echo "$hash" > models/.hash
