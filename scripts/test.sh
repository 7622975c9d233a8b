#!/usr/bin/env bash
# The whole test suite: data validation, unit tests, Rasa test stories, end-to-end and browser
# tests. Called by `make test` after set-up (venv, lock, model, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
mkdir -p var artifacts
echo "== rasa data validate"
# Warnings fail too, except "utterance not used in any story": most responses are sent by the form
# engine, and tests/test_domain.py checks each of those is really used by code.
.venv/bin/rasa data validate --domain domain --data data --config config.yml \
  >var/validate.log 2>&1 || { cat var/validate.log; exit 1; }
if grep -E "UserWarning|WARNING|ERROR" var/validate.log | grep -v "is not used in any story or rule" | grep -q .; then
  grep -E "UserWarning|WARNING|ERROR" var/validate.log | grep -v "is not used in any story or rule"; exit 1
fi
echo "ok"
echo "== rasa test (test stories)"
.venv/bin/rasa test core --model models/current.tar.gz --stories tests/stories \
  --out artifacts/rasa-test --fail-on-prediction-errors >var/rasa-test.log 2>&1 \
  || { tail -40 var/rasa-test.log; cat artifacts/rasa-test/failed_test_stories.yml 2>/dev/null | head -80; exit 1; }
echo "ok"
echo "== pytest"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
