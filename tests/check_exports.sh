#!/usr/bin/env bash
# Every symbol the shared library exports must start with lsmt_ (the brief, STYLE rule 6).
# Usage: check_exports.sh path/to/liblsmt.so
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '{print $NF}')
[ -n "$syms" ] || { echo "no exported symbols found in $lib"; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -v '^lsmt_' | grep -vxE '_init|_fini' || true)
n=$(printf '%s\n' "$syms" | grep -c '^lsmt_')
if [ -n "$bad" ]; then
  echo "symbols exported without the lsmt_ prefix:"; printf '  %s\n' $bad; exit 1
fi
# the public entry points we promise must be there
for s in lsmt_status_str lsmt_sharded_arena_create lsmt_bump_arena_create; do
  grep -qx "$s" <<<"$syms" || { echo "missing export: $s"; exit 1; }
done
echo "exports ok: $n lsmt_ symbols, nothing else"
