#!/usr/bin/env bash
# The supported Kafka lines side by side: `npm run test:kafka-matrix`. For each version of
# KAFKA_MATRIX_VERSIONS (default "3.9.2 4.4.0": the 3.9 line still supported, and the default broker of
# scripts/kafka.sh), one after the other:
#   1. a broker of that version (scripts/kafka.sh, SASL/SCRAM and ACLs as always) on a free port of its
#      own and a fresh data dir of its own (.kafka/matrix-<version>), never a broker that already runs;
#   2. the integration suites against it (their own throwaway brokers, the broker-outage and TLS suites',
#      run the same version: KAFKA_VERSION is passed down);
#   3. that broker stopped, then the reduced fault suite (`npm run faults:ci -- --no-build`), whose own
#      brokers and 3-node cluster run the same version.
# Then one summary line per version (tests passed/failed, scenarios passed, minutes). Exits non-zero
# when anything failed for any version. Logs and jest's JSON results: var/kafka-matrix/<run>/<version>/.
# CI (`npm test`) tests the default version only; this is the check before changing the default or the
# supported lines (docs/operations.md, "Kafka versions").
#
#   KAFKA_MATRIX_VERSIONS="3.9.2 4.4.0"   versions to test, in order
#   KAFKA_MATRIX_PORT_BASE=9592            first port tried for the brokers (+ controller port + 1)
#   KAFKA_MATRIX_FAULTS=1                  0: the integration suites only
# The integration suites use TEST_DATABASE_URL and the fault suite FAULTS_PG_URL, as in `npm test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Each version picks its own jars, state and ports: none of these may leak in from the caller.
unset KAFKA_LIBS_DIR KAFKA_STATE_DIR KAFKA_CONTROLLER_PORT KAFKA_SSL_PORT KAFKA_SSL_KEYSTORE_PEM
ROOT="$PWD"
read -r -a VERSIONS <<<"${KAFKA_MATRIX_VERSIONS:-3.9.2 4.4.0}"
PORT_BASE="${KAFKA_MATRIX_PORT_BASE:-9592}"
RUN_FAULTS="${KAFKA_MATRIX_FAULTS:-1}"
RUN_DIR="$ROOT/var/kafka-matrix/$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$RUN_DIR"
t0=$SECONDS
say() { printf '[kafka-matrix] %s\n' "$*" >&2; }

# A port p with p and p + 1 free (a broker and its controller).
taken() { ss -ltn 2>/dev/null | awk '{print $4}' | grep -Eq ":$1$"; }
free_pair() { # <first port to try>
  local p=$1
  while taken "$p" || taken "$((p + 1))"; do p=$((p + 10)); done
  echo "$p"
}

say "build"
# Installs only into a checkout that has no node_modules at all: keeping an install current is npm
# test's job (scripts/ensure-deps.sh), and an install in progress, or a node_modules shared through a
# symlink, must never be rewritten from here.
[ -e node_modules ] || bash scripts/ensure-deps.sh
npm run --silent build

declare -A SUMMARY
failed=0
port=$PORT_BASE
for v in "${VERSIONS[@]}"; do
  dir="$RUN_DIR/$v"; mkdir -p "$dir"
  port=$(free_pair "$port")
  outage=$(free_pair "$((port + 10000))")
  # (no KAFKA_CONTROLLER_PORT or KAFKA_STATE_DIR for the tests: the suites that start brokers of their
  # own derive both from their own KAFKA_PORT)
  test_env=(KAFKA_VERSION="$v" KAFKA_PORT="$port" KAFKA_BROKERS="127.0.0.1:$port" OUTAGE_KAFKA_PORT="$outage")
  broker_env=("${test_env[@]}" KAFKA_STATE_DIR="$ROOT/.kafka/matrix-$v")
  say "Kafka $v: broker on 127.0.0.1:$port (state .kafka/matrix-$v), outage suite's broker on $outage; logs in $dir"

  tv=$SECONDS int="not run" faults="not run" ok=1 ran=""
  stop_broker() { env "${broker_env[@]}" bash scripts/kafka.sh stop >>"$dir/broker.log" 2>&1 || true; }
  trap stop_broker EXIT
  if env "${broker_env[@]}" bash scripts/kafka.sh start >"$dir/broker.log" 2>&1; then
    # the jar the broker runs, as kafka.sh logs it ("broker pid N (Kafka x.y.z), …")
    ran=$(grep -Eo '\(Kafka [0-9][^)]*\)' "$dir/broker.log" | head -n 1 | tr -d '()' || true)
    [ "$ran" = "Kafka $v" ] || { ok=0; say "Kafka $v: the broker runs ${ran:-an unknown version}"; }
    ti=$SECONDS
    set +e
    env "${test_env[@]}" npx jest --selectProjects integration --runInBand --forceExit \
      --json --outputFile="$dir/integration.json" >"$dir/integration.log" 2>&1
    code=$?
    set -e
    counts=$(node -e '
      try { const r = require(process.argv[1]);
        console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped of ${r.numTotalTests} tests; ${r.numFailedTestSuites} of ${r.numTotalTestSuites} suites failed`);
      } catch { console.log("no results"); }' "$dir/integration.json")
    int="$counts ($(( (SECONDS - ti + 30) / 60 )) min)"
    [ "$code" = 0 ] || { ok=0; int="FAILED: $int"; }
  else
    ok=0; int="FAILED: the broker did not start (see broker.log)"
  fi
  stop_broker
  trap - EXIT

  if [ "$RUN_FAULTS" = 1 ]; then
    tf=$SECONDS
    set +e
    env KAFKA_VERSION="$v" npm run --silent faults:ci -- --no-build >"$dir/faults.log" 2>&1
    code=$?
    set -e
    line=$(grep -Eo '[0-9]+/[0-9]+ scenarios passed' "$dir/faults.log" | tail -n 1 || true)
    faults="${line:-no result} ($(( (SECONDS - tf + 30) / 60 )) min)"
    [ "$code" = 0 ] || { ok=0; faults="FAILED: $faults"; }
  fi

  [ "$ok" = 1 ] || failed=1
  SUMMARY[$v]="Kafka $v: $([ "$ok" = 1 ] && echo ok || echo FAILED) in $(( (SECONDS - tv + 30) / 60 )) min (broker jar: ${ran:-?}) | integration: $int | faults:ci: $faults"
  say "${SUMMARY[$v]}"
  port=$((port + 10))
done

printf '\n=== Kafka matrix (%s min, logs in %s)\n' "$(( (SECONDS - t0 + 30) / 60 ))" "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
for v in "${VERSIONS[@]}"; do printf '%s\n' "${SUMMARY[$v]}" | tee -a "$RUN_DIR/summary.txt"; done
exit "$failed"
