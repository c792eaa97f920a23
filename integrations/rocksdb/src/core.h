// The one place where the RocksDB integration touches lsmt's C API (skip list and
// arena). Everything else in integrations/rocksdb talks to these few wrappers, so a
// rename in the core changes this file and core.cc only.
//
// What the rep needs from lsmt is a skip list whose nodes each hold one RocksDB
// memtable entry, byte for byte as MemTable::Add encodes it:
//
//     varint32 L (L >= 8) | user key (L - 8 bytes) | 8-byte LE tag = seq << 8 | type
//     | varint32 value length | value | protection bytes (if any)
//
// ordered by (user key by the order, then the sequence -- the tag's upper 56 bits --
// DESCENDING): lsmt's ENCODED_SEQ format, RocksDB 7.8's own memtable order
// (MemTable::KeyComparator, CompareKeySeq: the type byte ignored). A second entry of one
// key and sequence is refused whatever its type, as RocksDB's seq_per_batch mode
// (WritePrepared/WriteUnprepared transactions) requires (CanHandleDuplicatedKey). Two
// orders:
//
//   kBytewise  the user key is compared with memcmp (lsmt's default order), so lsmt's
//              fast paths (key prefixes in the links, the finger table) apply to it.
//   kGeneric   every comparison goes through RocksDB's MemTableRep::KeyComparator on
//              the length-prefixed internal keys; correct for any user comparator.
//
// Keys handed to the wrappers are always RocksDB "memtable keys": a varint32 length
// followed by that many internal-key bytes (user key + tag), as LookupKey::memtable_key()
// and every entry start. Seek/contains callers that only have an internal key Slice pass
// it with memkey == nullptr and the wrapper builds the prefixed form when it needs it.
//
// Thread safety: as lsmt_skiplist (skiplist.h): EntryAlloc and Insert may run on any
// threads at once; iterators and Contains beside them; Create/Destroy alone.
#ifndef LSMT_ROCKSDB_CORE_H
#define LSMT_ROCKSDB_CORE_H

#include <cstddef>
#include <cstdint>
#include <string>

#include <rocksdb/memtablerep.h>

#include "lsmt/arena.h"
#include "lsmt/skiplist.h"

namespace lsmt_rocksdb
{
namespace core
{

using KeyComparator = rocksdb::MemTableRep::KeyComparator;

enum class Order { kBytewise, kGeneric };

struct List; // an lsmt skip list over one arena, in one Order
struct Node; // an entry reserved by EntryAlloc, published by Insert

// Does lsmt refuse a second entry with the same user key and SEQUENCE whatever its type
// byte? That is RocksDB's <key, seq> duplicate contract (CanHandleDuplicatedKey), on
// which its seq_per_batch mode (WritePrepared / WriteUnprepared transactions) relies to
// split a batch that writes one key twice. lsmt's ENCODED_SEQ format orders and
// deduplicates by the tag's upper 56 bits, so it does.
constexpr bool kRefusesSameKeyAndSeq = true;

// Create a list over `arena`. kGeneric needs `cmp` (it must outlive the list). finger
// bytes: lsmt_skiplist_options.finger_bytes (0 = lsmt's default, SIZE_MAX = none).
lsmt_status ListCreate(lsmt_sharded_arena *arena, Order order, const KeyComparator *cmp,
                       size_t finger_bytes, List **out);
void ListDestroy(List *l);

// Reserve a node for an entry of `bytes` bytes; *buf is where the caller writes it.
// LSMT_OK, LSMT_FULL (arena full), LSMT_INVALID (bytes out of range or larger than the
// arena).
lsmt_status EntryAlloc(List *l, size_t bytes, Node **node, char **buf);
// Publish a node whose entry is written, through the calling thread's own splice.
// LSMT_OK, LSMT_EXISTS (an entry with the same user key and tag is present: nothing
// linked), LSMT_INVALID (malformed entry).
lsmt_status Insert(List *l, Node *node);

// true when an entry with the same user key and tag as the memtable key `memkey` is
// present.
bool Contains(const List *l, const char *memkey);

// An iterator: may live on the stack or inside an object.
struct Iter {
    lsmt_skiplist_iter it;
    const List *list = nullptr;
    std::string scratch; // a memtable key built for generic seeks of a bare internal key
};
void IterInit(Iter *it, const List *l);
bool IterValid(const Iter *it);
// The entry under the iterator (its first byte is the varint32 L). REQUIRES valid.
const char *IterEntry(const Iter *it);
void IterSeekToFirst(Iter *it);
void IterSeekToLast(Iter *it);
// First entry >= the internal key (ikey, ikey_len); memkey, when not null, is the same
// key length-prefixed (saves a copy on generic lists).
void IterSeek(Iter *it, const char *ikey, size_t ikey_len, const char *memkey);
// Last entry <= the internal key.
void IterSeekForPrev(Iter *it, const char *ikey, size_t ikey_len, const char *memkey);
void IterNext(Iter *it);
void IterPrev(Iter *it);

// ---- entry encoding helpers (RocksDB's format; written here, not copied) ----
// Decode a varint32 from [p, limit); returns the byte after it or nullptr.
const char *DecodeVarint32(const char *p, const char *limit, uint32_t *v);
// Bytes of the minimal varint32 encoding of v (1..5).
inline size_t Varint32Length(uint32_t v)
{
    size_t n = 1;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}
// Append the minimal varint32 encoding of v.
void PutVarint32(std::string *dst, uint32_t v);
inline uint64_t DecodeFixed64(const char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

} // namespace core
} // namespace lsmt_rocksdb

#endif
