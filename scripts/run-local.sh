#!/usr/bin/env bash
# Runs the whole stack on this machine with local defaults: installs, builds, starts Kafka (unless
# KAFKA_BROKERS answers), migrates the database, starts attempt-service and notifier, publishes a
# small demo (DEMO=0 to skip) and keeps running until Ctrl-C, then stops what it started. With
# OPENEDX_BRIDGE_ENABLED=true it also runs the Open edX bridge (docs/openedx.md), and a local schema
# registry (scripts/schema-registry.sh) unless OPENEDX_SCHEMA_REGISTRY_URL names one.
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

bridge=0 started_registry=0
if [ "${OPENEDX_BRIDGE_ENABLED:-false}" = "true" ]; then
  bridge=1
  if [ -z "${OPENEDX_SCHEMA_REGISTRY_URL:-}" ]; then
    if ! bash scripts/schema-registry.sh status; then bash scripts/schema-registry.sh start; started_registry=1; fi
    OPENEDX_SCHEMA_REGISTRY_URL="$(bash scripts/schema-registry.sh url)"
    export OPENEDX_SCHEMA_REGISTRY_URL
  fi
fi

# Each process gets its own Kafka principal (SPEC §8.4) from the local credentials file that
# scripts/kafka.sh generated (.kafka/credentials.env, or KAFKA_CREDENTIALS_FILE), unless .env or the
# environment names an identity itself (KAFKA_SASL_MECHANISM set: a cluster of your own, or `none`).
as_principal() { # <principal>: exports KAFKA_SASL_* for this (sub)shell
  if [ -n "${KAFKA_SASL_MECHANISM:-}" ]; then return 0; fi
  KAFKA_SASL_PASSWORD="$(node dist/scripts/kafka-admin.js password "$1")"
  export KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME="$1" KAFKA_SASL_PASSWORD
}

# The read API needs a key set to verify Bearer tokens (SPEC §8.4). Unless one is configured (or
# READ_API_AUTH=off), a local signing key and its JWKS are created once under var/read-api/, and
# `npm run --silent dev-token` mints tokens for it.
local_read_api=0
if [ "${READ_API_AUTH:-jwt}" != "off" ] && [ -z "${READ_API_JWKS_FILE:-}${READ_API_JWKS_URL:-}" ]; then
  node dist/scripts/dev-token.js init
  export READ_API_JWKS_FILE="${READ_API_KEYS_DIR:-var/read-api}/jwks.json"
  export READ_API_ISSUER="${READ_API_ISSUER:-urn:proctoring:local-dev}"
  export READ_API_AUDIENCE="${READ_API_AUDIENCE:-urn:proctoring:attempt-service}"
  local_read_api=1
fi

# Reviews' video URLs are encrypted at rest (REVIEW_VIDEO_URL_KEY, SPEC §8.1): unless one is set, a
# local key (32 random bytes, base64) is created once in var/review-video-url.key (mode 600) and used.
if [ -z "${REVIEW_VIDEO_URL_KEY:-}" ]; then
  key_file="var/review-video-url.key"
  if [ ! -s "$key_file" ]; then
    mkdir -p var
    (umask 077; node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64'))" > "$key_file")
  fi
  REVIEW_VIDEO_URL_KEY="$(cat "$key_file")"
  export REVIEW_VIDEO_URL_KEY
fi

mkdir -p var/log
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "[run] stopping services" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_registry" = 1 ]; then bash scripts/schema-registry.sh stop; fi
  if [ "$started_kafka" = 1 ]; then bash scripts/kafka.sh stop; fi
}
trap cleanup INT TERM EXIT

# HTTP_PORT is read by both services, so each gets its own here.
attempt_port="${ATTEMPT_SERVICE_HTTP_PORT:-3000}"
notifier_port="${NOTIFIER_HTTP_PORT:-3001}"
(as_principal attempt-service; HTTP_PORT="$attempt_port" exec node dist/apps/attempt-service/src/main.js) > var/log/attempt-service.log 2>&1 &
pids+=($!)
(as_principal notifier; HTTP_PORT="$notifier_port" exec node dist/apps/notifier/src/main.js) > var/log/notifier.log 2>&1 &
pids+=($!)
ports=("$attempt_port" "$notifier_port")
if [ "$bridge" = 1 ]; then
  bridge_port="${OPENEDX_BRIDGE_HTTP_PORT:-3002}"
  (as_principal openedx-bridge; HTTP_PORT="$bridge_port" exec node dist/apps/openedx-bridge/src/main.js) > var/log/openedx-bridge.log 2>&1 &
  pids+=($!)
  ports+=("$bridge_port")
  echo "[run] openedx-bridge http://127.0.0.1:$bridge_port -> ${OPENEDX_EVENT_BUS_TOPIC_PREFIX:+$OPENEDX_EVENT_BUS_TOPIC_PREFIX-}${OPENEDX_EVENT_BUS_TOPIC:-learning-exam-attempt-lifecycle}, registry $OPENEDX_SCHEMA_REGISTRY_URL" >&2
fi
for port in "${ports[@]}"; do
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
done
echo "[run] attempt-service http://127.0.0.1:$attempt_port  notifier http://127.0.0.1:$notifier_port" >&2
echo "[run] logs in var/log/, emails in ${EMAIL_OUTBOX_DIR:-var/emails}/" >&2
echo "[run] Kafka: SASL/SCRAM and ACLs; each process has its principal, passwords in ${KAFKA_CREDENTIALS_FILE:-.kafka/credentials.env}" >&2

if [ "${DEMO:-1}" != "0" ]; then
  read_token=""
  if [ "$local_read_api" = 1 ]; then read_token="$(node dist/scripts/dev-token.js token --ttl 600)"; fi
  (as_principal lms; ATTEMPT_SERVICE_URL="http://127.0.0.1:$attempt_port" READ_API_TOKEN="$read_token" exec node dist/scripts/demo.js)
fi
if [ "$local_read_api" = 1 ]; then
  echo "[run] read API (Bearer token required): curl -H \"Authorization: Bearer \$(npm run --silent dev-token)\" http://127.0.0.1:$attempt_port/attempts/ATTEMPT_ID" >&2
fi
echo "[run] running; Ctrl-C stops everything" >&2
wait -n "${pids[@]}" || true
