#!/usr/bin/env bash
# A local single-node Apache Kafka broker (KRaft, combined broker+controller) for hosts without Docker.
# Jars come from Maven Central through Maven (tools/kafka/pom.xml) and are cached outside the
# repository, one folder per version. KAFKA_VERSION picks the version: 4.4.0 by default; the 3.9 line
# (KAFKA_VERSION=3.9.2) is still supported and tested (scripts/kafka-matrix.sh).
#
#   scripts/kafka.sh fetch    fetch the jars (cached in $KAFKA_LIBS_DIR)
#   scripts/kafka.sh start    fetch, format a fresh data dir, start, wait until ready, create topics
#   scripts/kafka.sh stop     stop the broker started by `start` (SIGTERM, then SIGKILL)
#   scripts/kafka.sh status   exit 0 when a broker answers on $KAFKA_BROKERS
#   scripts/kafka.sh kill     SIGKILL the broker started by `start` (a crash; its data dir is kept)
#   scripts/kafka.sh resume   start that broker again on its existing data (no format), wait until ready
#   scripts/kafka.sh provision  on a running broker: passwords for new principals (a provider added to
#                             PROVIDERS_FILE), their users, topics and ACLs; re-sets every user's password
#                             from the credentials file (rotation: docs/security.md)
#
# A 3-node KRaft cluster for fault tests (every node broker+controller; replication 3, min ISR 2):
#   scripts/kafka.sh cluster-start        format fresh data dirs, start all nodes, wait until each answers
#   scripts/kafka.sh cluster-stop         stop every node (SIGTERM, then SIGKILL)
#   scripts/kafka.sh cluster-kill N       SIGKILL node N (1-3); its data is kept
#   scripts/kafka.sh cluster-resume N     start node N again on its existing data, wait until it answers
#   scripts/kafka.sh cluster-status       exit 0 when every node answers
#   scripts/kafka.sh cluster-cut N        (KAFKA_CLUSTER_NET only) cut node N off the network; it keeps running
#   scripts/kafka.sh cluster-heal N       plug node N back in
# Ports: KAFKA_CLUSTER_PORTS (default "19092 29092 39092"), controller = port + 1;
# state under KAFKA_CLUSTER_DIR (default .kafka/cluster-<first port>).
# KAFKA_CLUSTER_NET=10.231.95 (three octets of a free /24; root and iproute2): node N runs in a network
# namespace of its own at <net>.1N, all three behind a bridge at <net>.1 in the caller's namespace, so
# cutting node N's link isolates it from the other nodes and from every client alike (test/faults
# scenario 6b). Every address is a permanent neighbour entry: a cut node's traffic vanishes (connections
# hang, nothing is refused). The PLAINTEXT controller listener is then on that bridge, reachable from
# this host only. cluster-stop removes the namespaces and the bridge.
#
# `start` does nothing when a broker already answers on KAFKA_BROKERS (e.g. a shared or docker one).
#
# Security (SPEC §8.4, docs/security.md): every client listener is SASL_PLAINTEXT with SCRAM-SHA-512 on
# loopback, the KRaft ACL authorizer runs with allow.everyone.if.no.acl.found=false, and the controller
# listener is PLAINTEXT on loopback. `broker` and `admin` (the super users) are added at
# `format --add-scram`; once the broker answers, `admin` creates every other user with the jars'
# kafka-configs and every ACL (scripts/kafka-admin.ts security). Passwords come from the credentials
# file, generated on the first start: KAFKA_CREDENTIALS_FILE, default .kafka/credentials.env (git-ignored).
# KAFKA_SSL_PORT + KAFKA_SSL_KEYSTORE_PEM (a PEM file: PKCS#8 private key, then the certificate chain)
# add a SASL_SSL listener on that port. KAFKA_PROXIED_PORT + KAFKA_PROXIED_ADVERTISED_PORT add a listener
# that advertises another port (a fault proxy's: test/faults/network-scenarios.ts). KAFKA_SASL_MECHANISM=none starts a broker without any of this
# (plaintext, no ACLs) — only for pointing old tooling at it; npm start and npm test use SASL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
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

# kafka-admin.ts acts as `admin` (from the credentials file) whatever identity the caller's env carries.
ts_node() { (cd "$ROOT" && env -u KAFKA_SASL_USERNAME -u KAFKA_SASL_PASSWORD KAFKA_LIBS_DIR="$KAFKA_LIBS_DIR" node -r ts-node/register/transpile-only "$@"); }

secure() { [ "${KAFKA_SASL_MECHANISM:-scram-sha-512}" != "none" ]; }

# The credentials file (made on first use) and the passwords in it.
ensure_credentials() {
  secure || return 0
  local file="${KAFKA_CREDENTIALS_FILE:-$ROOT/.kafka/credentials.env}"
  mkdir -p "$(dirname "$file")"
  # One writer at a time: two first starts must not make two different sets of passwords.
  flock "$file.lock" bash -c "cd '$ROOT' && env -u KAFKA_SASL_USERNAME -u KAFKA_SASL_PASSWORD node -r ts-node/register/transpile-only scripts/kafka-admin.ts credentials"
}
password_of() { ts_node scripts/kafka-admin.ts password "$1"; }

# A second client listener for the fault suite (issue #15): it binds KAFKA_PROXIED_PORT but advertises
# KAFKA_PROXIED_ADVERTISED_PORT, where a fault proxy forwards to it, so a client that bootstraps through
# the proxy keeps talking through it (Kafka answers metadata with the listener's advertised address).
proxied_listener() { [ -z "${KAFKA_PROXIED_PORT:-}" ] || printf ',PROXIED://127.0.0.1:%s' "$KAFKA_PROXIED_PORT"; }
proxied_advertised() {
  [ -z "${KAFKA_PROXIED_PORT:-}" ] || printf ',PROXIED://127.0.0.1:%s' "${KAFKA_PROXIED_ADVERTISED_PORT:?KAFKA_PROXIED_PORT needs KAFKA_PROXIED_ADVERTISED_PORT}"
}

# Listener and security properties; $1 = client port, $2 = controller port. User:ANONYMOUS is a super
# user because it is the principal of the PLAINTEXT controller listener (loopback only): the brokers' own
# registration and heartbeats. Every client listener authenticates with SCRAM, so no client is ANONYMOUS.
security_config() {
  local host="${3:-127.0.0.1}"
  if ! secure; then
    cat <<EOF
listeners=PLAINTEXT://${host}:$1,CONTROLLER://${host}:$2$(proxied_listener)
advertised.listeners=PLAINTEXT://${host}:$1$(proxied_advertised)
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT
EOF
    return 0
  fi
  local listeners="SASL_PLAINTEXT://${host}:$1$(proxied_listener)" advertised="SASL_PLAINTEXT://${host}:$1$(proxied_advertised)" ssl=""
  if [ -n "${KAFKA_SSL_PORT:-}" ]; then
    [ -f "${KAFKA_SSL_KEYSTORE_PEM:-}" ] || { log "KAFKA_SSL_PORT needs KAFKA_SSL_KEYSTORE_PEM (key + certificate chain, PEM)"; exit 2; }
    listeners="$listeners,SASL_SSL://127.0.0.1:${KAFKA_SSL_PORT}"
    advertised="$advertised,SASL_SSL://127.0.0.1:${KAFKA_SSL_PORT}"
    ssl="listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=${KAFKA_SSL_KEYSTORE_PEM}
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
  fi
  cat <<EOF
listeners=${listeners},CONTROLLER://${host}:$2
advertised.listeners=${advertised}
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,PROXIED:SASL_PLAINTEXT
listener.name.proxied.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$(password_of broker)";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:broker;User:admin;User:ANONYMOUS
${ssl}
EOF
}

# `format` arguments that add the super users' SCRAM credentials to the metadata log.
scram_args() {
  secure || return 0
  printf '%s\n' --add-scram "SCRAM-SHA-512=[name=broker,iterations=4096,password=$(password_of broker)]" \
    --add-scram "SCRAM-SHA-512=[name=admin,iterations=4096,password=$(password_of admin)]"
}

# After the broker answers: users and ACLs (as admin), on KAFKA_BROKERS.
bootstrap_security() { secure || return 0; ts_node scripts/kafka-admin.ts security; }

# The main classes this script and kafka-admin.ts run, as entries of the jars (a jar names its entries
# uncompressed): kafka.Kafka, StorageTool and ConfigCommand (kafka.admin in 3.9's core jar; Kafka 4.x
# moved it to org.apache.kafka.tools in the kafka-tools jar).
has_entry() { grep -qaF "$2" "$1"/kafka_2.13-*.jar "$1"/kafka-tools-*.jar 2>/dev/null; }
has_main_classes() { # <libs dir>
  has_entry "$1" kafka/Kafka.class && has_entry "$1" kafka/tools/StorageTool.class \
    && { has_entry "$1" org/apache/kafka/tools/ConfigCommand.class || has_entry "$1" kafka/admin/ConfigCommand.class; }
}

# The version of the broker jar actually on the classpath (KAFKA_LIBS_DIR may point anywhere).
jar_version() { local j; j=$(cd "$KAFKA_LIBS_DIR" && ls kafka_2.13-*.jar 2>/dev/null | head -n 1); j=${j#kafka_2.13-}; echo "Kafka ${j%.jar}"; }

fetch() {
  # A folder fetched with an older tools/kafka/pom.xml may lack the tools jar: fetched again then.
  if [ -f "$KAFKA_LIBS_DIR/.complete" ] && has_main_classes "$KAFKA_LIBS_DIR"; then return 0; fi
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
  has_main_classes "$tmp" || { log "Kafka $KAFKA_VERSION jars lack kafka.Kafka, StorageTool or ConfigCommand"; exit 1; }
  touch "$tmp/.complete"
  rm -rf "$KAFKA_LIBS_DIR"; mkdir -p "$(dirname "$KAFKA_LIBS_DIR")"; mv "$tmp" "$KAFKA_LIBS_DIR"
  log "fetched $(ls "$KAFKA_LIBS_DIR" | wc -l) jars in $((SECONDS - t0)) s"
}

answers() {
  ts_node scripts/kafka-admin.ts ping >/dev/null 2>&1
}

write_config() {
  mkdir -p "$STATE_DIR/config"; chmod 700 "$STATE_DIR/config"
  cat >"$STATE_DIR/config/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}
$(security_config "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT")
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
  write_log_config "$STATE_DIR/config"
}

# Logging, console only. Kafka's modules log through slf4j 1.7, bound to reload4j on every version
# (tools/kafka/pom.xml), so log4j.properties is the configuration; Kafka 4.x also loads log4j2 (its
# runtime logger controller), which gets a configuration of its own instead of an error at start.
write_log_config() { # <config dir>
  cat >"$1/log4j.properties" <<EOF
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
EOF
  cat >"$1/log4j2.properties" <<EOF
status=warn
appender.console.type=Console
appender.console.name=stdout
appender.console.layout.type=PatternLayout
appender.console.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=warn
rootLogger.appenderRef.stdout.ref=stdout
EOF
}
log_opts() { # <config dir>: the JVM flags that point both logging libraries at it
  printf '%s\n' "-Dlog4j.configuration=file:$1/log4j.properties" "-Dlog4j2.configurationFile=$1/log4j2.properties"
}

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid; pid=$(cat "$PID_FILE")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  if answers; then log "a broker already answers on $KAFKA_BROKERS; not starting one"; return 0; fi
  fetch
  if pid=$(running_pid); then
    # Never stop a live broker because it did not answer: it may be one without SASL, or other credentials.
    if ss -ltn 2>/dev/null | awk '{print $4}' | grep -Eq ":${KAFKA_PORT}$"; then
      log "broker $pid ($STATE_DIR) listens on $KAFKA_PORT but does not answer to the local admin (a broker without SASL? other credentials?); leaving it alone"
      exit 1
    fi
    log "stopping stale broker $pid"; stop
  fi
  if ss -ltn 2>/dev/null | awk '{print $4}' | grep -Eq ":(${KAFKA_PORT}|${KAFKA_CONTROLLER_PORT})$"; then
    log "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by something that is not a Kafka broker we can log in to (one without SASL, or with other credentials?); set KAFKA_PORT"
    exit 1
  fi
  local t0=$SECONDS
  ensure_credentials
  rm -rf "$STATE_DIR/data"; write_config
  local cp="$KAFKA_LIBS_DIR/*" l4j=() scram=()
  mapfile -t l4j < <(log_opts "$STATE_DIR/config")
  mapfile -t scram < <(scram_args)
  java -Xmx256m -cp "$cp" "${l4j[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" \
    -c "$STATE_DIR/config/server.properties" "${scram[@]}" >"$STATE_DIR/format.log" 2>&1 \
    || { cat "$STATE_DIR/format.log" >&2; exit 1; }
  # setsid: the broker outlives this shell and is not killed with the caller's process group.
  setsid java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true "${l4j[@]}" -cp "$cp" kafka.Kafka "$STATE_DIR/config/server.properties" \
    >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  log "broker pid $(cat "$PID_FILE") ($(jar_version)), waiting for it to answer on $KAFKA_BROKERS"
  if ! KAFKA_READY_TIMEOUT_MS=$((START_TIMEOUT_S * 1000)) ts_node scripts/kafka-admin.ts wait; then
    log "broker did not become ready; last log lines:"; tail -n 30 "$LOG_FILE" >&2 || true
    stop; exit 1
  fi
  ts_node scripts/kafka-admin.ts topics
  bootstrap_security
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

# ---- crash and restart keeping the data (fault tests) ------------------------------------------

launch_broker() { # <server.properties> <config dir (logging)> <log file> <pid file> <max heap> [network namespace]
  local cp="$KAFKA_LIBS_DIR/*" l4j=() in_ns=()
  mapfile -t l4j < <(log_opts "$2")
  # `ip netns exec` execs the command, so $! stays the JVM's pid
  [ -z "${6:-}" ] || in_ns=(ip netns exec "$6")
  "${in_ns[@]}" setsid java -Xms128m -Xmx"$5" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true "${l4j[@]}" -cp "$cp" kafka.Kafka "$1" \
    >>"$3" 2>&1 </dev/null &
  echo $! >"$4"
}

kill_pid_file() { # <pid file>: SIGKILL, wait until gone (a crash: no controlled shutdown)
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$1"
}

stop_pid_file() { # <pid file>: SIGTERM, SIGKILL after 15 s
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$1"
}

wait_answers() { # <brokers> <timeout s>
  KAFKA_BROKERS="$1" KAFKA_READY_TIMEOUT_MS=$(($2 * 1000)) ts_node scripts/kafka-admin.ts wait
}

crash() {
  if ! running_pid >/dev/null; then log "no broker of ours runs on $KAFKA_PORT"; rm -f "$PID_FILE"; return 0; fi
  kill_pid_file "$PID_FILE"
  log "broker on $KAFKA_PORT killed (SIGKILL); data kept in $STATE_DIR/data"
}

resume() {
  if running_pid >/dev/null; then log "broker on $KAFKA_PORT already runs"; return 0; fi
  if [ ! -f "$STATE_DIR/config/server.properties" ] || [ ! -d "$STATE_DIR/data" ]; then
    log "no formatted broker in $STATE_DIR: run start first"; exit 1
  fi
  local t0=$SECONDS
  launch_broker "$STATE_DIR/config/server.properties" "$STATE_DIR/config" "$LOG_FILE" "$PID_FILE" 768m
  log "broker pid $(cat "$PID_FILE") resumed on its data, waiting for it to answer on $KAFKA_BROKERS"
  if ! wait_answers "$KAFKA_BROKERS" "$START_TIMEOUT_S"; then
    log "broker did not become ready; last log lines:"; tail -n 30 "$LOG_FILE" >&2 || true
    exit 1
  fi
  log "broker ready again in $((SECONDS - t0)) s"
}

# ---- 3-node cluster (fault tests) --------------------------------------------------------------

read -r -a CLUSTER_PORTS <<<"${KAFKA_CLUSTER_PORTS:-19092 29092 39092}"
CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-$ROOT/.kafka/cluster-${CLUSTER_PORTS[0]}}"
CLUSTER_START_TIMEOUT_S="${KAFKA_CLUSTER_START_TIMEOUT_S:-180}"

node_dir() { echo "$CLUSTER_DIR/n$1"; }
node_port() { echo "${CLUSTER_PORTS[$(($1 - 1))]}"; }
CLUSTER_NET="${KAFKA_CLUSTER_NET:-}"
node_host() { if [ -n "$CLUSTER_NET" ]; then echo "$CLUSTER_NET.1$1"; else echo 127.0.0.1; fi; }
# Names of the namespaced network (interface names ≤ 15 characters), from the first port.
node_ns() { echo "kafka-${CLUSTER_PORTS[0]}-n$1"; }
node_veth() { echo "kv${CLUSTER_PORTS[0]}n$1"; }
net_bridge() { echo "kbr${CLUSTER_PORTS[0]}"; }

net_up() {
  net_down
  local br i j mac=()
  br=$(net_bridge)
  ip link add "$br" type bridge
  ip addr add "$CLUSTER_NET.1/24" dev "$br"
  ip link set "$br" up
  for i in 1 2 3; do
    ip netns add "$(node_ns "$i")"
    ip link add "$(node_veth "$i")" type veth peer name eth0 netns "$(node_ns "$i")"
    ip link set "$(node_veth "$i")" master "$br" up
    ip -n "$(node_ns "$i")" link set lo up
    ip -n "$(node_ns "$i")" addr add "$(node_host "$i")/24" dev eth0
    ip -n "$(node_ns "$i")" link set eth0 up
    mac[i]=$(ip -n "$(node_ns "$i")" -br link show eth0 | awk '{print $3}')
  done
  # No ARP: a cut-off address must not turn into "no route to host" (a refusal), only into silence.
  for i in 1 2 3; do
    ip neigh replace "$(node_host "$i")" lladdr "${mac[i]}" dev "$br" nud permanent
    for j in 1 2 3; do
      [ "$i" = "$j" ] || ip -n "$(node_ns "$j")" neigh replace "$(node_host "$i")" lladdr "${mac[i]}" dev eth0 nud permanent
    done
  done
  log "network namespaces $(node_ns 1)..3 at $CLUSTER_NET.11-13 behind bridge $br ($CLUSTER_NET.1)"
}

net_down() { # quiet and idempotent: also cleans up after a run that died
  local i
  for i in 1 2 3; do ip netns del "$(node_ns "$i")" 2>/dev/null || true; done
  ip link del "$(net_bridge)" 2>/dev/null || true
}

check_net() { [ -n "$CLUSTER_NET" ] || { log "cluster-cut and cluster-heal need KAFKA_CLUSTER_NET"; exit 2; }; }

cluster_cut() {
  check_node "${1:-}"; check_net
  ip link set "$(node_veth "$1")" down
  log "node $1 ($(node_host "$1")) cut off: its link to the bridge is down, the JVM keeps running"
}

cluster_heal() {
  check_node "${1:-}"; check_net
  ip link set "$(node_veth "$1")" up
  log "node $1 ($(node_host "$1")) plugged back in"
}

check_node() {
  case "${1:-}" in 1|2|3) ;; *) log "node must be 1, 2 or 3"; exit 2 ;; esac
}

write_node_config() { # <node>
  local i=$1 dir port
  dir=$(node_dir "$i"); port=$(node_port "$i")
  local voters="1@$(node_host 1):$((CLUSTER_PORTS[0] + 1)),2@$(node_host 2):$((CLUSTER_PORTS[1] + 1)),3@$(node_host 3):$((CLUSTER_PORTS[2] + 1))"
  mkdir -p "$dir/config"; chmod 700 "$dir/config"
  cat >"$dir/config/server.properties" <<CONF
process.roles=broker,controller
node.id=${i}
controller.quorum.voters=${voters}
$(KAFKA_SSL_PORT='' security_config "$port" "$((port + 1))" "$(node_host "$i")")
log.dirs=${dir}/data
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=3
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
log.retention.hours=24
CONF
  write_log_config "$dir/config"
}

node_pid() { # <node>: the pid when running
  local f; f="$(node_dir "$1")/broker.pid"
  [ -f "$f" ] || return 1
  local pid; pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

node_launch() { # <node>
  local dir; dir=$(node_dir "$1")
  launch_broker "$dir/config/server.properties" "$dir/config" "$dir/broker.log" "$dir/broker.pid" 512m "${CLUSTER_NET:+$(node_ns "$1")}"
  log "node $1 pid $(cat "$dir/broker.pid") on $(node_host "$1"):$(node_port "$1")"
}

cluster_brokers() { local out="" i; for i in 1 2 3; do out="${out:+$out,}$(node_host "$i"):$(node_port "$i")"; done; echo "$out"; }

cluster_start() {
  [ "${#CLUSTER_PORTS[@]}" -eq 3 ] || { log "KAFKA_CLUSTER_PORTS must name 3 ports"; exit 2; }
  fetch
  cluster_stop
  local p i t0=$SECONDS cp="$KAFKA_LIBS_DIR/*"
  for p in "${CLUSTER_PORTS[@]}"; do
    if ss -ltn 2>/dev/null | awk '{print $4}' | grep -Eq ":(${p}|$((p + 1)))$"; then
      log "port $p or $((p + 1)) is taken; set KAFKA_CLUSTER_PORTS"; exit 1
    fi
  done
  ensure_credentials
  local scram=() l4j=()
  mapfile -t scram < <(scram_args)
  for i in 1 2 3; do
    rm -rf "$(node_dir "$i")"; write_node_config "$i"
    mapfile -t l4j < <(log_opts "$(node_dir "$i")/config")
    # The same super users on every controller (SPEC §8.4).
    java -Xmx256m -cp "$cp" "${l4j[@]}" kafka.tools.StorageTool \
      format -t "$CLUSTER_ID" -c "$(node_dir "$i")/config/server.properties" "${scram[@]}" >"$(node_dir "$i")/format.log" 2>&1 \
      || { cat "$(node_dir "$i")/format.log" >&2; exit 1; }
  done
  [ -z "$CLUSTER_NET" ] || net_up
  for i in 1 2 3; do node_launch "$i"; done
  for i in 1 2 3; do
    if ! wait_answers "$(node_host "$i"):$(node_port "$i")" "$CLUSTER_START_TIMEOUT_S"; then
      log "node $i did not become ready; last log lines:"; tail -n 30 "$(node_dir "$i")/broker.log" >&2 || true
      cluster_stop; exit 1
    fi
  done
  KAFKA_BROKERS="$(cluster_brokers)" bootstrap_security
  log "cluster ready on $(cluster_brokers) in $((SECONDS - t0)) s ($(jar_version))"
}

cluster_stop() {
  local i
  for i in 1 2 3; do stop_pid_file "$(node_dir "$i")/broker.pid"; done
  [ -z "$CLUSTER_NET" ] || net_down
}

cluster_kill() {
  check_node "${1:-}"
  kill_pid_file "$(node_dir "$1")/broker.pid"
  log "node $1 killed (SIGKILL); data kept"
}

cluster_resume() {
  check_node "${1:-}"
  if node_pid "$1" >/dev/null; then log "node $1 already runs"; return 0; fi
  [ -d "$(node_dir "$1")/data" ] || { log "node $1 has no data dir: run cluster-start first"; exit 1; }
  node_launch "$1"
  wait_answers "$(node_host "$1"):$(node_port "$1")" "$CLUSTER_START_TIMEOUT_S"
}

cluster_status() {
  local i
  for i in 1 2 3; do KAFKA_BROKERS="$(node_host "$i"):$(node_port "$i")" answers || return 1; done
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) answers ;;
  kill) crash ;;
  resume) resume ;;
  provision) fetch; ensure_credentials; ts_node scripts/kafka-admin.ts topics; bootstrap_security ;;
  cluster-start) cluster_start ;;
  cluster-stop) cluster_stop ;;
  cluster-kill) cluster_kill "${2:-}" ;;
  cluster-resume) cluster_resume "${2:-}" ;;
  cluster-status) cluster_status ;;
  cluster-cut) cluster_cut "${2:-}" ;;
  cluster-heal) cluster_heal "${2:-}" ;;
  *) echo "usage: $0 fetch|start|stop|status|kill|resume|provision|cluster-start|cluster-stop|cluster-kill N|cluster-resume N|cluster-status|cluster-cut N|cluster-heal N" >&2; exit 2 ;;
esac
