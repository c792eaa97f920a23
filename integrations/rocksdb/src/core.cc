// The wrappers of core.h over lsmt's skip list in its ENCODED_SEQ node format.
//
// Each RocksDB entry is one lsmt node: Allocate reserves the node, MemTable::Add writes
// the entry into it, Insert links it. The key lsmt orders by is the user key inside the
// entry and the version the sequence number in its tag (tag >> 8: the type byte is
// carried, not ordered, as in RocksDB's memtable), so with the bytewise order lsmt's
// fast paths (the links' key bytes, the finger table) see the user key itself, and a
// second entry of one key and sequence is refused whatever its type.
#include "core.h"

#include <new>

namespace lsmt_rocksdb
{
namespace core
{

const char *DecodeVarint32(const char *p, const char *limit, uint32_t *v)
{
    uint32_t result = 0;
    for (unsigned shift = 0; shift <= 28 && p < limit; shift += 7) {
        uint32_t byte = static_cast<unsigned char>(*p++);
        result |= (byte & 127u) << shift;
        if (byte < 128) {
            *v = result;
            return p;
        }
    }
    return nullptr;
}

void PutVarint32(std::string *dst, uint32_t v)
{
    while (v >= 128) {
        dst->push_back(static_cast<char>((v & 127u) | 128u));
        v >>= 7;
    }
    dst->push_back(static_cast<char>(v));
}

// Split a memtable key (varint32 L, then L >= 8 internal-key bytes) into user key and
// tag. The caller guarantees the buffer holds the whole key (RocksDB built it).
static void SplitMemKey(const char *memkey, const char **ukey, size_t *ulen, uint64_t *tag)
{
    uint32_t L = 0;
    const char *p = DecodeVarint32(memkey, memkey + 5, &L);
    // RocksDB never builds a memtable key shorter than its 8-byte tag; a bad one is
    // treated as an empty user key with tag 0 rather than read out of bounds.
    if (p == nullptr || L < 8) {
        *ukey = memkey;
        *ulen = 0;
        *tag = 0;
        return;
    }
    *ukey = p;
    *ulen = L - 8;
    *tag = DecodeFixed64(p + L - 8);
}

struct List {
    lsmt_skiplist *sl;
    Order order;
    const KeyComparator *cmp;
};

// The generic order: lsmt hands us the user-key bytes inside an entry (or inside the
// memtable key a seek passed), which in memory are preceded by the minimal varint32 of
// klen + 8 and followed by the 8-byte tag; step back to the varint and let RocksDB's
// comparator order the two internal keys (user key by the user comparator, then
// sequence descending; 7.8 ignores the type byte). It returns 0 only for an equal user
// key and sequence; lsmt then compares the sequences (equal): a duplicate, as in RocksDB.
static int GenericCompare(void *ctx, const void *a, size_t alen, const void *b, size_t blen)
{
    const KeyComparator *cmp = static_cast<const KeyComparator *>(ctx);
    const char *as = static_cast<const char *>(a) - Varint32Length(static_cast<uint32_t>(alen + 8));
    const char *bs = static_cast<const char *>(b) - Varint32Length(static_cast<uint32_t>(blen + 8));
    return (*cmp)(as, bs);
}

lsmt_status ListCreate(lsmt_sharded_arena *arena, Order order, const KeyComparator *cmp,
                       size_t finger_bytes, List **out)
{
    if (order == Order::kGeneric && cmp == nullptr)
        return LSMT_INVALID;
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = arena;
    o.format = LSMT_SKIPLIST_FORMAT_ENCODED_SEQ;
    if (order == Order::kGeneric) {
        o.compare = GenericCompare;
        o.compare_ctx = const_cast<KeyComparator *>(cmp);
    }
    o.finger_bytes = finger_bytes;
    List *l = new (std::nothrow) List{nullptr, order, cmp};
    if (l == nullptr)
        return LSMT_NOMEM;
    lsmt_status st = lsmt_skiplist_create(&o, &l->sl);
    if (st != LSMT_OK) {
        delete l;
        return st;
    }
    *out = l;
    return LSMT_OK;
}

void ListDestroy(List *l)
{
    if (l == nullptr)
        return;
    lsmt_skiplist_destroy(l->sl);
    delete l;
}

lsmt_status EntryAlloc(List *l, size_t bytes, Node **node, char **buf)
{
    lsmt_skiplist_node *n = nullptr;
    void *b = nullptr;
    lsmt_status st = lsmt_skiplist_entry_alloc(l->sl, bytes, &n, &b);
    if (st == LSMT_OK) {
        *node = reinterpret_cast<Node *>(n);
        *buf = static_cast<char *>(b);
    }
    return st;
}

lsmt_status Insert(List *l, Node *node)
{
    return lsmt_skiplist_node_insert(l->sl, nullptr, reinterpret_cast<lsmt_skiplist_node *>(node));
}

bool Contains(const List *l, const char *memkey)
{
    const char *ukey;
    size_t ulen;
    uint64_t tag;
    SplitMemKey(memkey, &ukey, &ulen, &tag);
    return lsmt_skiplist_find(l->sl, ukey, ulen, tag >> 8) != nullptr;
}

void IterInit(Iter *it, const List *l)
{
    it->list = l;
    (void)lsmt_skiplist_iter_init(&it->it, l->sl);
}

bool IterValid(const Iter *it)
{
    return lsmt_skiplist_iter_node(&it->it) != nullptr;
}

const char *IterEntry(const Iter *it)
{
    lsmt_skiplist_entry e;
    if (lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(&it->it), &e) != LSMT_OK)
        return nullptr;
    return static_cast<const char *>(e.encoded);
}

void IterSeekToFirst(Iter *it)
{
    (void)lsmt_skiplist_iter_seek_to_first(&it->it);
}
void IterSeekToLast(Iter *it)
{
    (void)lsmt_skiplist_iter_seek_to_last(&it->it);
}

// The user key to hand lsmt for a seek of the internal key (ikey, n): on a generic list
// it must sit inside a memtable key (GenericCompare steps back to the varint).
static const char *SeekKey(Iter *it, const char *ikey, size_t n, const char *memkey)
{
    if (it->list->order == Order::kBytewise)
        return ikey;
    if (memkey != nullptr)
        return memkey + Varint32Length(static_cast<uint32_t>(n));
    it->scratch.clear();
    PutVarint32(&it->scratch, static_cast<uint32_t>(n));
    it->scratch.append(ikey, n);
    return it->scratch.data() + (it->scratch.size() - n);
}

void IterSeek(Iter *it, const char *ikey, size_t n, const char *memkey)
{
    if (n < 8) { // not an internal key (RocksDB never passes one): the first entry
        (void)lsmt_skiplist_iter_seek_to_first(&it->it);
        return;
    }
    const char *k = SeekKey(it, ikey, n, memkey);
    (void)lsmt_skiplist_iter_seek(&it->it, k, n - 8, DecodeFixed64(ikey + n - 8) >> 8);
}

void IterSeekForPrev(Iter *it, const char *ikey, size_t n, const char *memkey)
{
    if (n < 8) {
        (void)lsmt_skiplist_iter_seek_to_last(&it->it);
        return;
    }
    const char *k = SeekKey(it, ikey, n, memkey);
    (void)lsmt_skiplist_iter_seek_for_prev(&it->it, k, n - 8, DecodeFixed64(ikey + n - 8) >> 8);
}

void IterNext(Iter *it)
{
    (void)lsmt_skiplist_iter_next(&it->it);
}
void IterPrev(Iter *it)
{
    (void)lsmt_skiplist_iter_prev(&it->it);
}

} // namespace core
} // namespace lsmt_rocksdb
