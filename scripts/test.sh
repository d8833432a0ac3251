#!/usr/bin/env bash
# The whole test suite from a fresh checkout: install, build, static checks and unit tests, then the
# integration tests against a real Kafka broker (started from Maven Central jars unless KAFKA_BROKERS
# answers) and the local PostgreSQL, then the reduced fault suite and a benchmark smoke run.
# Stops what it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$SECONDS
step() { printf '\n=== %s (%ss)\n' "$*" "$((SECONDS - t0))"; }

step "dependencies"
bash scripts/ensure-deps.sh
step "build"
npm run --silent build
step "static checks and unit tests"
npm run --silent check
npm run --silent contracts:check
npm run --silent alerts:check

step "Kafka"
started_kafka=0
if ! bash scripts/kafka.sh status; then
  bash scripts/kafka.sh start
  started_kafka=1
fi
stop_kafka() { if [ "$started_kafka" = 1 ]; then bash scripts/kafka.sh stop; fi; }
trap stop_kafka EXIT

step "integration tests (real Kafka and PostgreSQL)"
# --forceExit: a suite that leaves a client handle open must not hang CI after every test passed (jest still
# fails on any failed test); the open handle seen with SASL on is noted in the closing note of #18.
npx jest --selectProjects integration --runInBand --forceExit
step "reduced fault suite (scenarios 1, 3, 7, 7b, 7c, 8b, 9: kill -9, broker outage, hostile input, attacks, database blackhole, 4-minute soak)"
npm run --silent faults:ci -- --no-build
step "benchmark smoke run (figures printed, not asserted)"
npm run --silent bench:smoke -- --build=never
step "done"
echo "total ${SECONDS}s"
