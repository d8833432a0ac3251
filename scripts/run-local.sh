#!/usr/bin/env bash
# Runs the whole stack on this machine with local defaults: installs, builds, starts Kafka (unless
# KAFKA_BROKERS answers), migrates the database, starts attempt-service and notifier, publishes a
# small demo (DEMO=0 to skip) and keeps running until Ctrl-C, then stops what it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
set -a; [ -f .env ] && . ./.env; set +a

bash scripts/ensure-deps.sh
npm run --silent build

started_kafka=0
if ! bash scripts/kafka.sh status; then
  bash scripts/kafka.sh start
  started_kafka=1
fi
node dist/scripts/migrate.js

mkdir -p var/log
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "[run] stopping services" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_kafka" = 1 ]; then bash scripts/kafka.sh stop; fi
}
trap cleanup INT TERM EXIT

# HTTP_PORT is read by both services, so each gets its own here.
attempt_port="${ATTEMPT_SERVICE_HTTP_PORT:-3000}"
notifier_port="${NOTIFIER_HTTP_PORT:-3001}"
HTTP_PORT="$attempt_port" node dist/apps/attempt-service/src/main.js > var/log/attempt-service.log 2>&1 &
pids+=($!)
HTTP_PORT="$notifier_port" node dist/apps/notifier/src/main.js > var/log/notifier.log 2>&1 &
pids+=($!)
for port in "$attempt_port" "$notifier_port"; do
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
done
echo "[run] attempt-service http://127.0.0.1:$attempt_port  notifier http://127.0.0.1:$notifier_port" >&2
echo "[run] logs in var/log/, emails in ${EMAIL_OUTBOX_DIR:-var/emails}/" >&2

if [ "${DEMO:-1}" != "0" ]; then
  node dist/scripts/demo.js
fi
echo "[run] running; Ctrl-C stops everything" >&2
wait -n "${pids[@]}" || true
