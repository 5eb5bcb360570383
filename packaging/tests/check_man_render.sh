#!/usr/bin/env bash
# Renders each man page the way man(1) does and fails on any warning: `man -l` with every
# groff warning on (man-db), then `groff -man -ww -z` (groff-base). Both exit 0 after a
# warning, so their standard error is the verdict.
# Usage: check_man_render.sh PAGE...           Exit 77 (skipped) without man and groff.
set -euo pipefail
have_man=0 have_groff=0
command -v man >/dev/null && have_man=1
command -v groff >/dev/null && have_groff=1
if ((have_man + have_groff == 0)); then
  echo "neither man (man-db) nor groff (groff-base) found: skipped"
  exit 77
fi
failed=0
for page in "$@"; do
  if ((have_man)); then
    err=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l --warnings=all -P cat "$page" 2>&1 >/dev/null) || {
      echo "$page: man -l failed" >&2
      failed=1
    }
    [[ -z $err ]] || { echo "$page: man -l --warnings=all:"; echo "$err"; failed=1; }
    lines=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l -P cat "$page" 2>/dev/null | wc -l)
    ((lines > 20)) || { echo "$page: rendered to only $lines lines"; failed=1; }
  fi
  if ((have_groff)); then
    err=$(groff -man -ww -z "$page" 2>&1) || { echo "$page: groff failed" >&2; failed=1; }
    [[ -z $err ]] || { echo "$page: groff -man -ww:"; echo "$err"; failed=1; }
  fi
  ((failed)) || echo "$page: renders without warnings"
done
exit $failed
