#!/usr/bin/env bash
# Keeps docs/metrics.md true to the daemons: every metric family that a daemon's
# metrics text builds ({"shipworm_x", T::kCounter, ...} in src/daemon/*.cpp) has a
# table row with its exposed name (counter: _total, info: _info), and every table row names
# a family that exists.
# Usage: check_metrics_doc.sh SRC_DAEMON_DIR docs/metrics.md
set -euo pipefail
src=$1 doc=$2
failed=0
# clang-format may break a family over lines: match on the sources with whitespace folded.
exposed=$(cat "$src"/*.cpp | tr -s '[:space:]' ' ' |
  grep -oE '"shipworm[a-z_]*", ?T::k(Counter|Gauge|Info)' | sed -E 's/", T::/", T::/; s/",T::/", T::/' |
  sed -E 's/"([a-z_]+)", T::kCounter/\1_total/; s/"([a-z_]+)", T::kInfo/\1_info/;
          s/"([a-z_]+)", T::kGauge/\1/' | sort -u)
n=$(wc -l <<<"$exposed")
((n >= 5)) || { echo "FAIL: only $n metric families found in $src (pattern out of date?)"; exit 1; }
rows=$(sed -nE 's/^\| `(shipworm[a-z_]*)` \|.*/\1/p' "$doc" | sort -u)
for m in $exposed; do
  grep -qxF "$m" <<<"$rows" || { echo "FAIL: $doc has no row for $m"; failed=1; }
done
for m in $rows; do
  grep -qxF "$m" <<<"$exposed" || { echo "FAIL: $doc lists $m, which no daemon exports"; failed=1; }
done
((failed)) && exit 1
echo "docs/metrics.md: all $n metric families documented"
