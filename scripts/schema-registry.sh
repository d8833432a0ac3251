#!/usr/bin/env bash
# A local Confluent-compatible schema registry for the Open edX bridge's tests and `npm start`:
# Apicurio Registry from Maven Central (no Docker), in memory, speaking the Confluent Schema Registry
# API under /apis/ccompat/v7 — what event-bus-kafka and @kafkajs/confluent-schema-registry talk to.
#
#   scripts/schema-registry.sh fetch    fetch and unpack the registry (cached in $SCHEMA_REGISTRY_DIR)
#   scripts/schema-registry.sh start    fetch, start, wait until ready, set the global compatibility level
#   scripts/schema-registry.sh stop     stop the registry started by `start` (SIGTERM, then SIGKILL)
#   scripts/schema-registry.sh status   exit 0 when a registry answers on SCHEMA_REGISTRY_PORT
#   scripts/schema-registry.sh url      print the Confluent API URL
#
# Ports: SCHEMA_REGISTRY_PORT (API, default 18081), SCHEMA_REGISTRY_MANAGEMENT_PORT (health, default
# 18082). Needs Java 21 or newer for the registry alone: SCHEMA_REGISTRY_JAVA_HOME, else the newest
# JDK under /usr/lib/jvm that is 21+. Maven's local repository: MAVEN_REPO_LOCAL (default ~/.m2/repository). The compatibility level is FORWARD (SCHEMA_REGISTRY_COMPATIBILITY),
# what openedx-events promises its consumers: a new schema can be read by code built for the old one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${SCHEMA_REGISTRY_VERSION:-3.3.3}"
PORT="${SCHEMA_REGISTRY_PORT:-18081}"
MGMT_PORT="${SCHEMA_REGISTRY_MANAGEMENT_PORT:-18082}"
DIR="${SCHEMA_REGISTRY_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/proctoring-attempts/apicurio-registry-${VERSION}}"
STATE_DIR="${SCHEMA_REGISTRY_STATE_DIR:-$ROOT/.schema-registry/$PORT}"
PID_FILE="$STATE_DIR/registry.pid"
LOG_FILE="$STATE_DIR/registry.log"
COMPATIBILITY="${SCHEMA_REGISTRY_COMPATIBILITY:-FORWARD}"
START_TIMEOUT_S="${SCHEMA_REGISTRY_START_TIMEOUT_S:-90}"
API="http://127.0.0.1:${PORT}/apis/ccompat/v7"

log() { printf '[schema-registry] %s\n' "$*" >&2; }

java_major() { "$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}'; }

java_home() {
  if [ -n "${SCHEMA_REGISTRY_JAVA_HOME:-}" ]; then echo "$SCHEMA_REGISTRY_JAVA_HOME"; return 0; fi
  local best="" best_major=0 home major
  for home in /usr/lib/jvm/*; do
    [ -x "$home/bin/java" ] || continue
    major=$(java_major "$home" || echo 0)
    if [ "${major:-0}" -ge 21 ] && [ "$major" -gt "$best_major" ]; then best="$home"; best_major=$major; fi
  done
  [ -n "$best" ] || { log "no Java 21+ found under /usr/lib/jvm: set SCHEMA_REGISTRY_JAVA_HOME"; exit 1; }
  echo "$best"
}

fetch() {
  if [ -f "$DIR/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch the registry"; exit 1; }
  local t0=$SECONDS tmp="$DIR.tmp.$$" repo
  log "fetching Apicurio Registry $VERSION from Maven Central into $DIR"
  repo="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
  mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$repo" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:get \
    -Dartifact="io.apicurio:apicurio-registry-app:${VERSION}:tar.gz:all" -Dtransitive=false
  rm -rf "$tmp"; mkdir -p "$tmp"
  tar xzf "$repo/io/apicurio/apicurio-registry-app/${VERSION}/apicurio-registry-app-${VERSION}-all.tar.gz" -C "$tmp"
  [ -f "$tmp/quarkus-run.jar" ] || { log "quarkus-run.jar missing after unpacking"; exit 1; }
  touch "$tmp/.complete"
  rm -rf "$DIR"; mkdir -p "$(dirname "$DIR")"; mv "$tmp" "$DIR"
  log "fetched in $((SECONDS - t0)) s"
}

answers() { curl -fsS -o /dev/null --max-time 2 "$API/subjects" 2>/dev/null; }

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid; pid=$(cat "$PID_FILE")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  if answers; then log "a registry already answers on $API; not starting one"; return 0; fi
  fetch
  if pid=$(running_pid); then log "stopping stale registry $pid"; stop; fi
  local t0=$SECONDS jh
  jh="$(java_home)"
  mkdir -p "$STATE_DIR"
  # setsid: the registry outlives this shell and is not killed with the caller's process group.
  setsid "$jh/bin/java" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$MGMT_PORT" \
    -jar "$DIR/quarkus-run.jar" >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  log "registry pid $(cat "$PID_FILE") (Java $(java_major "$jh")), waiting for $API"
  local end=$((SECONDS + START_TIMEOUT_S))
  until answers; do
    if ! running_pid >/dev/null; then log "registry exited; last log lines:"; tail -n 30 "$LOG_FILE" >&2 || true; exit 1; fi
    if [ "$SECONDS" -ge "$end" ]; then log "registry not ready in ${START_TIMEOUT_S} s"; tail -n 30 "$LOG_FILE" >&2 || true; stop; exit 1; fi
    sleep 0.5
  done
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' --data "{\"compatibility\":\"${COMPATIBILITY}\"}" "$API/config"
  log "registry ready in $((SECONDS - t0)) s on $API (compatibility ${COMPATIBILITY})"
}

stop() {
  local pid
  if ! pid=$(running_pid); then rm -f "$PID_FILE"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then log "registry $pid did not stop in 15 s; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PID_FILE"
  log "registry stopped"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) answers ;;
  url) echo "$API" ;;
  *) echo "usage: $0 fetch|start|stop|status|url" >&2; exit 2 ;;
esac
