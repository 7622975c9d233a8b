# Process supervision shared by scripts/run.sh (`make run`) and scripts/run-prod.sh
# (`make run-prod`). Source it after the settings are checked; then:
#   sv_start NAME CMD...        start CMD in the background, its output into var/log/NAME.log
#   sv_wait_ready SECS URL...   wait until every URL answers (a process that dies meanwhile: stop)
#   (print the URLs)
#   sv_wait                     block until Ctrl-C/SIGTERM (exit 0) or until one process stops
#                               (exit with its status, 1 if it exited with 0)
# Every exit (Ctrl-C, SIGTERM, a process that dies, an error) stops every process started here.
#
# Why a sourced script and not a library such as honcho: honcho (Procfile runner) would put every
# process's output on our terminal with a prefix instead of through bot.logpipe's rotating files,
# has no readiness checks (we wait on each server's health URL before printing the URLs), and
# would be one more dependency to lock and audit. These few lines keep both scripts' behaviour
# as it was, in one place.

SV_PYTHON="${SV_PYTHON:-.venv/bin/python}"
SV_LOG_DIR="${SV_LOG_DIR:-var/log}"
sv_pids=()

sv_stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  local pid
  for pid in "${sv_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # Waits for the processes and (bash 5.1+) the log pipes reading their output.
  wait 2>/dev/null || true
  echo "Stopped."
}
trap 'sv_stop; exit 0' INT TERM
trap sv_stop EXIT

# Each process's output goes through bot.logpipe: rotating files (LOG_MAX_BYTES, LOG_BACKUPS).
sv_start() {
  local name=$1; shift
  mkdir -p "$SV_LOG_DIR"
  "$@" > >(exec "$SV_PYTHON" -m bot.logpipe "$SV_LOG_DIR/$name.log") 2>&1 &
  sv_pids+=($!)
}

# The exit status for a process that stopped: its own, or 1 if it claimed success.
_sv_status() { if [ "$1" -eq 0 ]; then echo 1; else echo "$1"; fi; }

sv_wait_ready() {
  local secs=$1; shift
  local url pid ready rc
  for _ in $(seq 1 "$secs"); do
    ready=1
    for url in "$@"; do
      curl -fsS "$url" >/dev/null 2>&1 || { ready=0; break; }
    done
    [ "$ready" = 1 ] && return 0
    for pid in "${sv_pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        rc=0; wait "$pid" || rc=$?
        echo "A process failed to start; see $SV_LOG_DIR/:" >&2
        tail -n 20 "$SV_LOG_DIR"/*.log >&2 || true
        exit "$(_sv_status "$rc")"
      fi
    done
    sleep 1
  done
  echo "Timed out waiting for the service to start; see $SV_LOG_DIR/." >&2
  exit 1
}

sv_wait() {
  local rc=0
  wait -n "${sv_pids[@]}" || rc=$?
  echo "A process stopped; see $SV_LOG_DIR/." >&2
  exit "$(_sv_status "$rc")"
}
