#!/usr/bin/env bash
# liblsmt_rocksdb.so exports the lsmt_rocksdb:: API and nothing of lsmt's C library
# (linked in statically, hidden) nor of its internal C++ classes.
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
bad=0
# no C symbol of liblsmt, no internal lsmt_rocksdb class
if echo "$syms" | grep -E '^lsmt_'; then echo "liblsmt symbols leak"; bad=1; fi
# every other symbol naming lsmt_rocksdb:: is a standard-library template instantiation
# (std::..., vague linkage) or typeinfo of a public type
internal=$(echo "$syms" | c++filt | grep 'lsmt_rocksdb::' | grep -vE '^(std::|typeinfo|vtable)' |
  grep -vE '^lsmt_rocksdb::(NewLsmtRepFactory|RegisterLsmtRepFactory|GetLsmtRepStats|ParseLsmtRepOptions)\(' || true)
if [ -n "$internal" ]; then echo "internal symbols leak:"; echo "$internal"; bad=1; fi
# the API is there
# (demangled once: `c++filt | grep -q` under pipefail fails when grep exits first and
# c++filt dies of SIGPIPE, as it did on the larger ASan library)
demangled=$(echo "$syms" | c++filt)
for f in NewLsmtRepFactory RegisterLsmtRepFactory GetLsmtRepStats ParseLsmtRepOptions; do
  grep -qF "lsmt_rocksdb::$f(" <<<"$demangled" || { echo "missing: $f"; bad=1; }
done
if [ $bad -ne 0 ]; then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
