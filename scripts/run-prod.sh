#!/usr/bin/env bash
# Production profile on one machine: TWO Rasa servers (RASA_PORT, RASA_PORT_2) sharing the
# PostgreSQL tracker store, the Redis lock store and the RabbitMQ event broker (endpoints.prod.yml),
# one action server and the web service, all against the case store in PostgreSQL (DATABASE_URL).
# Put a load balancer in front of the two Rasa ports (sticky by source for socket.io; REST,
# Twilio and Telegram need no stickiness: the Redis lock and the shared stores keep a
# conversation consistent whichever server gets a message). docs/deployment.md has the details
# and the Kubernetes mapping. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; [ -f .env ] && . ./.env; set +a
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
RASA_PORT="${RASA_PORT:-5005}"; RASA_PORT_2="${RASA_PORT_2:-5006}"
ACTION_PORT="${ACTION_PORT:-5055}"; SERVICE_PORT="${SERVICE_PORT:-8080}"
RASA_INTERFACE="${RASA_INTERFACE:-127.0.0.1}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTION_PORT/webhook}"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
# The tracker store: TRACKER_DB_URL (postgresql://user:password@host:port/db) is split into the
# parts Rasa's SQL tracker store takes; parts set on their own win.
TRACKER_DB_URL="${TRACKER_DB_URL:-$DATABASE_URL}"
eval "$(.venv/bin/python - "$TRACKER_DB_URL" <<'PY'
import shlex, sys
from urllib.parse import unquote, urlsplit
u = urlsplit(sys.argv[1])
parts = {"TRACKER_DB_HOST": u.hostname or "127.0.0.1", "TRACKER_DB_PORT": str(u.port or 5432),
         "TRACKER_DB_NAME": u.path.lstrip("/") or "rasa", "TRACKER_DB_USER": unquote(u.username or ""),
         "TRACKER_DB_PASSWORD": unquote(u.password or "")}
for key, value in parts.items():
    print(f"_{key}={shlex.quote(value)}")
PY
)"
export TRACKER_DB_HOST="${TRACKER_DB_HOST:-$_TRACKER_DB_HOST}" TRACKER_DB_PORT="${TRACKER_DB_PORT:-$_TRACKER_DB_PORT}"
export TRACKER_DB_NAME="${TRACKER_DB_NAME:-$_TRACKER_DB_NAME}" TRACKER_DB_USER="${TRACKER_DB_USER:-$_TRACKER_DB_USER}"
export TRACKER_DB_PASSWORD="${TRACKER_DB_PASSWORD:-$_TRACKER_DB_PASSWORD}"
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-6379}" REDIS_DB="${REDIS_DB:-1}"
export REDIS_PASSWORD="${REDIS_PASSWORD:-}" REDIS_LOCK_PREFIX="${REDIS_LOCK_PREFIX:-esea}"
export RABBITMQ_HOST="${RABBITMQ_HOST:-127.0.0.1}" RABBITMQ_PORT="${RABBITMQ_PORT:-5672}"
export RABBITMQ_USER="${RABBITMQ_USER:-guest}" RABBITMQ_PASSWORD="${RABBITMQ_PASSWORD:-guest}"
export RABBITMQ_EXCHANGE="${RABBITMQ_EXCHANGE:-rasa-exchange}" RABBITMQ_QUEUE="${RABBITMQ_QUEUE:-rasa_events}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:$RASA_PORT}" SERVICE_PORT
. scripts/channel-env.sh
# Secure defaults: no RabbitMQ guest/guest, no password-less Redis (PROD_LOCAL_TEST=1 only for a
# local test against throw-away servers).
.venv/bin/python -m bot.secrets check-prod || exit 1
# Rasa's API token (the console's live chat uses the API) and the action server's shared secret:
# RASA_TOKEN / ACTION_SERVER_SECRET from your secret store, else the files under var/secrets/.
secrets_env=$(.venv/bin/python -m bot.secrets env) || exit 1
eval "$secrets_env"; unset secrets_env
# Origins whose pages may call Rasa from a browser (the widget): your public chat origin(s).
RASA_CORS="${RASA_CORS:-http://127.0.0.1:$SERVICE_PORT http://localhost:$SERVICE_PORT}"
case " $RASA_CORS " in *" * "*) echo "error: RASA_CORS must list origins, not *." >&2; exit 1;; esac
read -r -a cors <<<"$RASA_CORS"
mkdir -p var/log
. scripts/lib/supervise.sh

.venv/bin/python -m bot.cli db upgrade
sv_start actions .venv/bin/python -m actions.server --port "$ACTION_PORT"
for port in "$RASA_PORT" "$RASA_PORT_2"; do
  sv_start "rasa-$port" .venv/bin/rasa run --model models/current.tar.gz --endpoints endpoints.prod.yml --enable-api --auth-token="$RASA_TOKEN" \
    --credentials "${RASA_CREDENTIALS:-credentials.yml}" --port "$port" \
    --interface "$RASA_INTERFACE" --cors "${cors[@]}"
done
sv_start service .venv/bin/python -m service

echo "Starting the production profile (logs in var/log/) ..."
sv_wait_ready 240 "http://127.0.0.1:$RASA_PORT/" "http://127.0.0.1:$RASA_PORT_2/" \
  "http://127.0.0.1:$ACTION_PORT/health" "http://127.0.0.1:$SERVICE_PORT/health"
echo "Ready. Rasa servers: http://127.0.0.1:$RASA_PORT and http://127.0.0.1:$RASA_PORT_2"
echo "  (put your load balancer in front of both); web service: http://127.0.0.1:$SERVICE_PORT/"
echo "Press Ctrl-C to stop."
sv_wait
