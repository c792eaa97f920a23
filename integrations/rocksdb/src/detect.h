// Which order a new memtable's lsmt list may use: is the column family's USER comparator
// RocksDB's BytewiseComparator()?
//
// The factory only receives a MemTableRep::KeyComparator (RocksDB's MemTable::KeyComparator
// over length-prefixed internal keys), whose public interface cannot name the user
// comparator. Treating anything else as bytewise would store keys out of order, which
// corrupts the database, so the bytewise order is chosen only when every check passes
// (each can only say "not proven", never "bytewise" on its own):
//
//   1. RocksDB version: the object layout below was verified for RocksDB 7.8 (the
//      headers this file is compiled against must say 7.8).
//   2. Dynamic type: typeid(cmp) is exactly ROCKSDB_NAMESPACE::MemTable::KeyComparator
//      (RTTI of a real polymorphic object: always safe to ask).
//   3. Layout: the word after its vtable pointer is the vtable pointer of an
//      InternalKeyComparator (compared as an address with RocksDB's exported vtable
//      symbol, never dereferenced; a weak reference, absent = not proven).
//   4. Identity: the next word, the InternalKeyComparator's user-comparator pointer, is
//      the address of the rocksdb::BytewiseComparator() singleton.
//   5. Behaviour: a set of crafted entries compared through `cmp` orders exactly as
//      lsmt's bytewise list will: user keys bytewise, then sequence descending, the type
//      byte ignored (RocksDB 7.8's CompareKeySeq) -- catches reversed, signed-char,
//      length-first, ascending-sequence orders, a comparator that looks at the type, and
//      a layout assumption gone wrong.
//
// Checks 2-4 can only be fooled by a RocksDB build whose MemTable::KeyComparator holds
// another layout under the same type name, which check 1 excludes and check 5 would
// still catch for any comparator that orders differently on the probe keys.
#ifndef LSMT_ROCKSDB_DETECT_H
#define LSMT_ROCKSDB_DETECT_H

#include <rocksdb/memtablerep.h>

namespace lsmt_rocksdb
{

enum class Verdict {
    kBytewise,       // every check passed
    kNotVerified,    // checks 1-4 could not prove the user comparator is bytewise
    kProbeDisagrees, // the behavioural probe (check 5) saw a non-bytewise order
};

// Runs checks 1-5 (or only 5 when `trust_identity`: the user asserted the comparator
// is bytewise, e.g. on a RocksDB version whose layout was not verified). Pure; cheap
// (a few dozen comparisons); thread-safe.
Verdict DetectBytewise(const rocksdb::MemTableRep::KeyComparator &cmp, bool trust_identity);

// Check 5 alone: true when `cmp` orders the probe entries like bytewise user keys then
// descending sequence numbers, ignoring the type byte.
bool ProbeBytewise(const rocksdb::MemTableRep::KeyComparator &cmp);

const char *VerdictName(Verdict v);

} // namespace lsmt_rocksdb

#endif
