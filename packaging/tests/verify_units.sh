#!/usr/bin/env bash
# Checks the systemd units with `systemd-analyze verify`; fails on any message it prints
# (it exits 0 after "Unknown key" and similar warnings, so its output is the verdict).
# verify wants each ExecStart= binary to exist, so the units are verified as copies whose
# /usr/sbin/shipworm is the binary just built; nothing else in them is changed.
# Usage: verify_units.sh BINARY UNIT...        Exit 77 (skipped) without systemd-analyze.
set -euo pipefail
binary=$1
shift
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not found (Debian package systemd): skipped"
  exit 77
fi
[[ -x $binary ]] || { echo "no executable $binary" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
units=()
for unit in "$@"; do
  name=$(basename "$unit")
  grep -q '^ExecStart=/usr/sbin/shipworm ' "$unit" || {
    echo "$unit: ExecStart= does not run /usr/sbin/shipworm" >&2
    exit 1
  }
  sed "s|/usr/sbin/shipworm|$binary|g" "$unit" >"$tmp/$name"
  units+=("$tmp/$name")
done
rc=0
out=$(cd "$tmp" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "${units[@]}" 2>&1) || rc=$?
if ((rc != 0)) || [[ -n $out ]]; then
  echo "systemd-analyze verify (exit $rc):"
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify: ${#units[@]} units, no message"
