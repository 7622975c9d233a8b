#!/usr/bin/env bash
# Starts the whole service on embedded defaults: Rasa (REST + socket.io + our channels), the
# action server and the web service, sharing SQLite files under var/. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; [ -f .env ] && . ./.env; set +a
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:${ACTION_PORT:-5055}/webhook}"
export TRACKER_DB="${TRACKER_DB:-var/tracker.db}"
RASA_PORT="${RASA_PORT:-5005}"; ACTION_PORT="${ACTION_PORT:-5055}"; SERVICE_PORT="${SERVICE_PORT:-8080}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:$RASA_PORT}" SERVICE_PORT
. scripts/channel-env.sh
# Rasa's API token and the action server's shared secret: RASA_TOKEN / ACTION_SERVER_SECRET, or
# the random ones created on first set-up under var/secrets/ (0600). Rasa never runs without them.
secrets_env=$(.venv/bin/python -m bot.secrets env) || exit 1
eval "$secrets_env"; unset secrets_env
# Browsers may call Rasa (the widget's socket.io) only from these origins: the chat page's own by
# default; add the public origin(s) of the pages that embed the widget, space separated.
RASA_CORS="${RASA_CORS:-http://127.0.0.1:$SERVICE_PORT http://localhost:$SERVICE_PORT}"
case " $RASA_CORS " in *" * "*) echo "error: RASA_CORS must list origins, not *." >&2; exit 1;; esac
read -r -a cors <<<"$RASA_CORS"
mkdir -p var/log
# Refuse to start beside another copy: its health checks would answer for ours.
for port in "$RASA_PORT" "$ACTION_PORT" "$SERVICE_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: port $port is already in use (is the service already running?). Stop it, or set RASA_PORT/ACTION_PORT/SERVICE_PORT." >&2
    exit 1
  fi
done
. scripts/lib/supervise.sh
# The action server: loopback (ACTION_HOST), and only for callers holding the shared secret.
sv_start actions .venv/bin/python -m actions.server --port "$ACTION_PORT"
sv_start rasa .venv/bin/rasa run --model models/current.tar.gz --endpoints endpoints.yml --enable-api --auth-token="$RASA_TOKEN" \
  --credentials credentials.yml --port "$RASA_PORT" --interface 127.0.0.1 --cors "${cors[@]}"
sv_start service .venv/bin/python -m service

echo "Starting (logs in var/log/) ..."
sv_wait_ready 180 "http://127.0.0.1:$RASA_PORT/" "http://127.0.0.1:$ACTION_PORT/health" \
  "http://127.0.0.1:$SERVICE_PORT/health"
echo
echo "Ready."
echo "  Chat page:      http://127.0.0.1:$SERVICE_PORT/"
echo "  Console:        http://127.0.0.1:$SERVICE_PORT/console"
echo "  REST webhook:   http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook"
echo "  Cases (CLI):    .venv/bin/python -m bot.cli cases list"
echo "Press Ctrl-C to stop."
sv_wait
