#!/usr/bin/env bash
# A local single-node Apache Kafka 3.9 broker (KRaft, combined broker+controller) for hosts without
# Docker. Jars come from Maven Central through Maven and are cached outside the repository.
#
#   scripts/kafka.sh fetch    fetch the jars (cached in $KAFKA_LIBS_DIR)
#   scripts/kafka.sh start    fetch, format a fresh data dir, start, wait until ready, create topics
#   scripts/kafka.sh stop     stop the broker started by `start` (SIGTERM, then SIGKILL)
#   scripts/kafka.sh status   exit 0 when a broker answers on $KAFKA_BROKERS
#
# `start` does nothing when a broker already answers on KAFKA_BROKERS (e.g. a shared or docker one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT}}"
KAFKA_LIBS_DIR="${KAFKA_LIBS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/proctoring-attempts/kafka-${KAFKA_VERSION}/libs}"
STATE_DIR="${KAFKA_STATE_DIR:-$ROOT/.kafka/$KAFKA_PORT}"
PID_FILE="$STATE_DIR/broker.pid"
LOG_FILE="$STATE_DIR/broker.log"
CLUSTER_ID="${KAFKA_CLUSTER_ID:-4L6g3nShT-eMCtK--X86sw}"
START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-90}"

log() { printf '[kafka] %s\n' "$*" >&2; }

ts_node() { (cd "$ROOT" && node -r ts-node/register/transpile-only "$@"); }

fetch() {
  if [ -f "$KAFKA_LIBS_DIR/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch Kafka"; exit 1; }
  command -v java >/dev/null || { log "Java 17 is required to run Kafka"; exit 1; }
  local t0=$SECONDS tmp="$KAFKA_LIBS_DIR.tmp.$$"
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS_DIR"
  rm -rf "$tmp"; mkdir -p "$tmp"
  mvn -q -B -f "$ROOT/tools/kafka/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" -Dkafka.version="$KAFKA_VERSION"
  ls "$tmp" | grep -q "^kafka_2.13-$KAFKA_VERSION.jar$" || { log "kafka_2.13 jar missing after fetch"; exit 1; }
  if ls "$tmp" | grep -q '^logback'; then log "logback must not be on the broker classpath"; exit 1; fi
  touch "$tmp/.complete"
  rm -rf "$KAFKA_LIBS_DIR"; mkdir -p "$(dirname "$KAFKA_LIBS_DIR")"; mv "$tmp" "$KAFKA_LIBS_DIR"
  log "fetched $(ls "$KAFKA_LIBS_DIR" | wc -l) jars in $((SECONDS - t0)) s"
}

answers() {
  ts_node scripts/kafka-admin.ts ping >/dev/null 2>&1
}

write_config() {
  mkdir -p "$STATE_DIR/config"
  cat >"$STATE_DIR/config/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${STATE_DIR}/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
EOF
  cat >"$STATE_DIR/config/log4j.properties" <<EOF
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
EOF
}

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid; pid=$(cat "$PID_FILE")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  if answers; then log "a broker already answers on $KAFKA_BROKERS; not starting one"; return 0; fi
  fetch
  if pid=$(running_pid); then log "stopping stale broker $pid"; stop; fi
  if ss -ltn 2>/dev/null | awk '{print $4}' | grep -Eq ":(${KAFKA_PORT}|${KAFKA_CONTROLLER_PORT})$"; then
    log "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by something that is not a Kafka broker; set KAFKA_PORT"
    exit 1
  fi
  local t0=$SECONDS
  rm -rf "$STATE_DIR/data"; write_config
  local cp="$KAFKA_LIBS_DIR/*" l4j="-Dlog4j.configuration=file:$STATE_DIR/config/log4j.properties"
  java -Xmx256m -cp "$cp" "$l4j" kafka.tools.StorageTool format -t "$CLUSTER_ID" \
    -c "$STATE_DIR/config/server.properties" >"$STATE_DIR/format.log" 2>&1 \
    || { cat "$STATE_DIR/format.log" >&2; exit 1; }
  # setsid: the broker outlives this shell and is not killed with the caller's process group.
  setsid java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true "$l4j" -cp "$cp" kafka.Kafka "$STATE_DIR/config/server.properties" \
    >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  log "broker pid $(cat "$PID_FILE"), waiting for it to answer on $KAFKA_BROKERS"
  if ! KAFKA_READY_TIMEOUT_MS=$((START_TIMEOUT_S * 1000)) ts_node scripts/kafka-admin.ts wait; then
    log "broker did not become ready; last log lines:"; tail -n 30 "$LOG_FILE" >&2 || true
    stop; exit 1
  fi
  ts_node scripts/kafka-admin.ts topics
  log "broker ready in $((SECONDS - t0)) s"
}

stop() {
  local pid
  if ! pid=$(running_pid); then rm -f "$PID_FILE"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then log "broker $pid did not stop in 15 s; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PID_FILE"
  log "broker stopped"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) answers ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
