#!/usr/bin/env bash
# `npm run bench:native-setup`: installs the bench-only native Kafka client (@confluentinc/kafka-javascript,
# librdkafka underneath) into bench/native-client/node_modules, building librdkafka from the sources the
# npm package bundles. Only the npm registry and Debian's packages are needed:
#
# - the package's own install step (node-pre-gyp) first downloads a prebuilt binary from GitHub releases;
#   `npm_config_build_from_source=true` skips that download and compiles instead;
# - its default (static) build runs librdkafka's `configure --install-deps --source-deps-only`, which
#   downloads the sources of OpenSSL, zlib, zstd and libcurl; `CKJS_LINKING=dynamic` makes it a plain
#   `configure` against Debian's -dev packages instead, linking librdkafka as a shared library that the
#   addon finds through its rpath (build/deps/librdkafka.so.1, beside the addon);
# - SASL/SCRAM-SHA-512 (the bench brokers' mechanism) is built into librdkafka on top of OpenSSL: without
#   libssl-dev the build still succeeds but cannot authenticate, so this script checks the built client's
#   features and fails if `ssl` or `sasl_scram` is missing;
# - node-gyp needs Node's headers: the Debian/NodeSource install has them under /usr/include/node
#   (`npm_config_nodedir=/usr`), so nothing is fetched from nodejs.org.
#
# JOBS is left unset on purpose: node-gyp's `make -j` races the generated librdkafka/config.h rule
# ("No rule to make target '../deps/librdkafka/config.h'"); librdkafka's own make is parallel anyway.
#
# Idempotent: does nothing when the built client is already there for the locked version (FORCE=1 rebuilds).
# Needs root (or sudo) only when a Debian package is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

apt_packages=(libssl-dev zlib1g-dev libzstd-dev pkg-config)
verify() {
  node -e '
    const k = require("@confluentinc/kafka-javascript");
    const f = k.features;
    const need = ["ssl", "sasl_scram"];
    const missing = need.filter((x) => !f.includes(x));
    if (missing.length) { console.error(`[native] built without ${missing.join(", ")} (features: ${f.join(",")})`); process.exit(1); }
    console.error(`[native] @confluentinc/kafka-javascript ${require("@confluentinc/kafka-javascript/package.json").version}, librdkafka ${k.librdkafkaVersion}: ${f.join(",")}`);
  '
}

if [ "${FORCE:-}" != 1 ] && [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] && verify 2>/dev/null; then
  verify
  exit 0
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo_=(sudo -n); else
      echo "[native] missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
      exit 1
    fi
  fi
  echo "[native] installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${sudo_[@]}" apt-get update -qq >/dev/null
    "${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

nodedir="${npm_config_nodedir:-}"
if [ -z "$nodedir" ] && [ -f /usr/include/node/node_api.h ]; then nodedir=/usr; fi
if [ -z "$nodedir" ]; then
  echo "[native] Node's headers not found under /usr/include/node: set npm_config_nodedir to a Node install with include/node" >&2
  exit 1
fi

echo "[native] npm ci: building librdkafka and the addon from source (a few minutes on 2 cores)" >&2
t0=$SECONDS
rm -rf node_modules
CKJS_LINKING=dynamic \
  npm_config_build_from_source=true \
  npm_config_nodedir="$nodedir" \
  npm ci --no-audit --no-fund --foreground-scripts --loglevel=error >build.log 2>&1 || {
  tail -40 build.log >&2
  echo "[native] build failed; full log: bench/native-client/build.log" >&2
  exit 1
}
echo "[native] built in $((SECONDS - t0)) s (log: bench/native-client/build.log)" >&2
verify
