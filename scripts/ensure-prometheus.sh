#!/usr/bin/env bash
# Makes sure `promtool` and `prometheus` are on the PATH, for `npm run alerts:check` and the alert
# rules' integration test. Does nothing (and prints nothing) when both are there; otherwise installs
# Debian's `prometheus` package (Prometheus 2.42 on Debian 12), which provides both.
#
# The package's postinst runs `invoke-rc.d prometheus start` (and `deb-systemd-invoke start` under
# systemd): it would start a Prometheus system service on :9090. We only want the binaries, so the
# install runs behind a policy-rc.d that denies every service start (exit 101), the standard Debian
# way; an existing policy-rc.d that already denies is left alone, any other one is set aside for the
# install and put back afterwards. Under systemd, the unit is stopped and disabled again if the package
# started it anyway. Needs root (or sudo) when it has to install.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "[prometheus] promtool/prometheus missing and no apt-get here: install Prometheus >= 2.42 (promtool and prometheus on the PATH)" >&2
  exit 1
fi

sudo_=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_=(sudo -n); else
    echo "[prometheus] promtool/prometheus missing: run as root, or apt-get install prometheus" >&2
    exit 1
  fi
fi

policy=/usr/sbin/policy-rc.d
saved=""
restore_policy() {
  if [ -n "$saved" ]; then "${sudo_[@]}" mv -f "$saved" "$policy"; else "${sudo_[@]}" rm -f "$policy"; fi
}
policy_denies_start() {
  local rc=0
  [ -x "$policy" ] || return 1
  "$policy" prometheus start >/dev/null 2>&1 || rc=$?
  [ "$rc" = 101 ]
}
if policy_denies_start; then
  trap - EXIT
else
  if [ -e "$policy" ]; then
    saved="$(mktemp /usr/sbin/policy-rc.d.saved.XXXXXX)"
    "${sudo_[@]}" cp -p "$policy" "$saved"
  fi
  trap restore_policy EXIT
  printf '#!/bin/sh\n# written by proctoring-attempts scripts/ensure-prometheus.sh for the duration of an install\nexit 101\n' |
    "${sudo_[@]}" tee "$policy" >/dev/null
  "${sudo_[@]}" chmod 755 "$policy"
fi

echo "[prometheus] installing Debian's prometheus package (promtool, prometheus)" >&2
t0=$SECONDS
export DEBIAN_FRONTEND=noninteractive
install() {
  "${sudo_[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
}
# The package lists may be missing or stale on a fresh machine: update once and retry.
if ! install 2>/dev/null; then
  "${sudo_[@]}" apt-get update -qq >/dev/null
  install
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  "${sudo_[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi

command -v promtool >/dev/null && command -v prometheus >/dev/null
echo "[prometheus] installed $(prometheus --version 2>&1 | head -1) in $((SECONDS - t0)) s" >&2
