#!/usr/bin/env bash
# Keeps the man pages true to the program, both ways:
#  - shipworm.8 has a section `.SS "shipworm SUB"` for every subcommand `shipworm --help`
#    lists (recursively: "addr decode"), and an item (.TP) for every option of its --help in
#    that section; no section or option item names one the program does not have;
#  - shipworm.conf.5 has an item `.B Directive` for every directive of known_directives()
#    (printed by LISTER), and none that is unknown;
#  - both pages carry the program's version in .TH.
# Usage: check_man_coverage.sh BINARY LISTER shipworm.8 shipworm.conf.5 VERSION
set -euo pipefail
binary=$1 lister=$2 man8=$3 man5=$4 version=$5
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# roff spelling of an option: every '-' is '\-'.
roff() { sed 's/-/\\-/g' <<<"$1"; }

# The lines that follow a .TP (item heads) between a heading line equal to $2 or $3 and
# the next .SS/.SH, of file $1.
item_heads() {
  awk -v h1="$2" -v h2="${3:-}" '
    $0 == h1 || (h2 != "" && $0 == h2) { inside = 1; next }
    inside && /^\.S[SH]/ { inside = 0 }
    inside && prev == ".TP" { print }
    { prev = $0 }' "$1"
}

# Subcommand paths ("client", "addr decode", ...) from the "Subcommands:" blocks of --help.
subcommands() {  # prefix words...
  local sub
  for sub in $("$binary" "$@" --help | awk '/^Subcommands:/ { s = 1; next } s && /^[^ ]/ { s = 0 }
                                          s && /^  [a-z]/ { print $1 }'); do
    if "$binary" "$@" "$sub" --help | grep -q '^Subcommands:'; then
      subcommands "$@" "$sub"
    else
      echo "$*${*:+ }$sub"
    fi
  done
}

# Options of a (sub)command: first column of its "Options:" block, split at commas.
options() {
  "$binary" "$@" --help | awk '/^Options:/ { s = 1; next } s && /^[^ ]/ { s = 0 }
                               s && /^  -/ { print $1 }' | tr ',' '\n' | grep -vxE -- '-h|--help' || true
}

mapfile -t subs < <(subcommands)
((${#subs[@]} >= 5)) || fail "only ${#subs[@]} subcommands found in '$binary --help'"
for sub in "${subs[@]}"; do
  heading=".SS \"shipworm $(roff "$sub")\""
  if ! grep -qxF -- "$heading" "$man8"; then
    fail "$man8: no section $heading"
    continue
  fi
  heads=$(item_heads "$man8" "$heading")
  # shellcheck disable=SC2086
  for opt in $(options $sub); do
    r=$(roff "$opt" | sed 's/\\/\\\\/g')
    grep -qE -- "${r}([^a-z0-9\\\\]|\$)" <<<"$heads" || fail "$man8: 'shipworm $sub' has no item for $opt"
  done
  # Items that name an option the command does not have.
  # shellcheck disable=SC2086
  known=$(options $sub)
  while read -r o; do
    [[ -z $o ]] && continue
    grep -qxF -- "$o" <<<"$known" || fail "$man8: 'shipworm $sub' documents $o, which it does not have"
  done < <(grep -oE -- '^\.[A-Z]+ \\-(\\-)?[a-z0-9]([a-z0-9]|\\-)*' <<<"$heads" | sed -E 's/^\.[A-Z]+ //; s/\\-/-/g')
done
# Sections for subcommands that do not exist.
while read -r s; do
  found=0
  for sub in "${subs[@]}"; do [[ $s == "$sub" ]] && found=1; done
  ((found)) || fail "$man8: section 'shipworm $s' names no subcommand"
done < <(sed -nE 's/^\.SS "shipworm (.*)"$/\1/p' "$man8" | sed 's/\\-/-/g')
grep -qF -- '\-\-version' "$man8" || fail "$man8: --version is not described"

mapfile -t directives < <("$lister")
((${#directives[@]} >= 20)) || fail "only ${#directives[@]} directives from $lister"
heads5=$(item_heads "$man5" ".SH \"MIREDO'S DIRECTIVES\"" ".SH \"SHIPWORM'S DIRECTIVES\"")
for d in "${directives[@]}"; do
  grep -qxF ".B $d" <<<"$heads5" || fail "$man5: no item .B $d"
done
while read -r d; do
  found=0
  for k in "${directives[@]}"; do [[ $d == "$k" ]] && found=1; done
  ((found)) || fail "$man5: item $d is not a known directive"
done < <(sed -n 's/^\.B //p' <<<"$heads5")

for page in "$man8" "$man5"; do
  grep -qE "^\\.TH .*\"shipworm ${version//./\\.}\"" "$page" || fail "$page: .TH does not say shipworm $version"
done

((failed)) && exit 1
echo "man pages: ${#subs[@]} subcommands (${subs[*]}) and ${#directives[@]} directives covered"
