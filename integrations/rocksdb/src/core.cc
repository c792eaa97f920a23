// The wrappers of core.h over lsmt's skip list.
//
// With LSMT_ROCKSDB_HAVE_ENCODED (lsmt's skip list has the ENCODED node format) each
// RocksDB entry is one lsmt node: Allocate reserves the node, MemTable::Add writes the
// entry into it, Insert links it. The key lsmt orders by is the user key inside the
// entry and the version its sequence number (SeqOf below), so with the bytewise order
// lsmt's fast paths see the user key itself.
//
// Without it (TEMPORARY, until the ENCODED format lands in the core) a shim over the
// key/value format does the same job with a copy: Allocate hands out a heap buffer and
// Insert copies the entry into a KV node (key = user key and version = sequence for the
// bytewise order; key = the whole length-prefixed internal key and version 0 for the
// generic order), value = the whole entry.
// The rep above cannot tell the difference except in speed and memory.
#include "core.h"

#include <climits>
#include <cstdlib>
#include <cstring>
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

void HintInit(Hint *h)
{
    lsmt_skiplist_hint_init(reinterpret_cast<lsmt_skiplist_hint *>(h->bytes));
}

static lsmt_skiplist_hint *AsHint(Hint *h)
{
    return h == nullptr ? nullptr : reinterpret_cast<lsmt_skiplist_hint *>(h->bytes);
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

// The lsmt version of a RocksDB entry: its sequence number, the tag's upper 56 bits.
// RocksDB 7.8's memtable comparator (CompareKeySeq) orders by (user key, sequence
// descending) and ignores the type byte, and its duplicate contract is on <key, seq>:
// two entries that differ only in type are the same entry for RocksDB (InsertKey must
// refuse the second), so lsmt must not see the type either.
static uint64_t SeqOf(uint64_t tag)
{
    return tag >> 8;
}

#ifdef LSMT_ROCKSDB_HAVE_ENCODED
// ======================================================================================
// lsmt's ENCODED node format
// ======================================================================================
struct List {
    lsmt_skiplist *sl;
    Order order;
    const KeyComparator *cmp;
};

// The generic order: lsmt hands us the user-key bytes inside an entry (or inside the
// memtable key a seek passed), which in memory are preceded by the minimal varint32 of
// klen + 8 and followed by the 8-byte tag; step back to the varint and let RocksDB's
// comparator order the two internal keys (user key by the user comparator, then
// sequence descending). It returns 0 only for an equal user key and sequence, which is
// exactly when lsmt's own tie-break (the version: the sequence) is equal too, so that
// tie-break never reorders anything and equal means LSMT_EXISTS, as RocksDB wants.
static int GenericCompare(void *ctx, const void *a, size_t alen, const void *b, size_t blen)
{
    const KeyComparator *cmp = static_cast<const KeyComparator *>(ctx);
    const char *as = static_cast<const char *>(a) - Varint32Length(static_cast<uint32_t>(alen + 8));
    const char *bs = static_cast<const char *>(b) - Varint32Length(static_cast<uint32_t>(blen + 8));
    return (*cmp)(as, bs);
}

lsmt_status ListCreate(lsmt_carena *arena, Order order, const KeyComparator *cmp,
                       size_t finger_bytes, List **out)
{
    if (order == Order::kGeneric && cmp == nullptr)
        return LSMT_INVALID;
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = arena;
    o.format = LSMT_SKIPLIST_FORMAT_ENCODED;
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

size_t ListMemoryBytes(const List *l)
{
    return lsmt_skiplist_memory_bytes(l->sl);
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

lsmt_status Insert(List *l, Hint *hint, Node *node)
{
    return lsmt_skiplist_node_insert(l->sl, AsHint(hint),
                                     reinterpret_cast<lsmt_skiplist_node *>(node));
}

bool Contains(const List *l, const char *memkey)
{
    const char *ukey;
    size_t ulen;
    uint64_t tag;
    SplitMemKey(memkey, &ukey, &ulen, &tag);
    return lsmt_skiplist_contains(l->sl, ukey, ulen, SeqOf(tag));
}

void IterInit(Iter *it, const List *l)
{
    it->list = l;
    lsmt_skiplist_iter_init(&it->it, l->sl);
}

bool IterValid(const Iter *it)
{
    return lsmt_skiplist_iter_valid(&it->it);
}

const char *IterEntry(const Iter *it)
{
    return static_cast<const char *>(
        lsmt_skiplist_node_value(lsmt_skiplist_iter_node(&it->it), nullptr));
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
    if (n < 8) { // not an internal key: nothing sorts at or after it in a defined way
        (void)lsmt_skiplist_iter_seek_to_first(&it->it);
        return;
    }
    const char *k = SeekKey(it, ikey, n, memkey);
    (void)lsmt_skiplist_iter_seek(&it->it, k, n - 8, SeqOf(DecodeFixed64(ikey + n - 8)));
}

void IterSeekForPrev(Iter *it, const char *ikey, size_t n, const char *memkey)
{
    if (n < 8) {
        (void)lsmt_skiplist_iter_seek_to_last(&it->it);
        return;
    }
    const char *k = SeekKey(it, ikey, n, memkey);
    (void)lsmt_skiplist_iter_seek_for_prev(&it->it, k, n - 8, SeqOf(DecodeFixed64(ikey + n - 8)));
}

void IterNext(Iter *it)
{
    (void)lsmt_skiplist_iter_next(&it->it);
}
void IterPrev(Iter *it)
{
    (void)lsmt_skiplist_iter_prev(&it->it);
}

#else
// ======================================================================================
// TEMPORARY shim over the key/value node format (see the top of this file)
// ======================================================================================
struct List {
    lsmt_skiplist *sl;
    Order order;
    const KeyComparator *cmp;
};

struct Node {
    size_t bytes;
    char buf[1];
};

// Generic shim lists store the whole memtable key as the lsmt key, so both sides are
// already length-prefixed internal keys.
static int ShimGenericCompare(void *ctx, const void *a, size_t, const void *b, size_t)
{
    const KeyComparator *cmp = static_cast<const KeyComparator *>(ctx);
    return (*cmp)(static_cast<const char *>(a), static_cast<const char *>(b));
}

lsmt_status ListCreate(lsmt_carena *arena, Order order, const KeyComparator *cmp,
                       size_t finger_bytes, List **out)
{
    if (order == Order::kGeneric && cmp == nullptr)
        return LSMT_INVALID;
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = arena;
    if (order == Order::kGeneric) {
        o.compare = ShimGenericCompare;
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

size_t ListMemoryBytes(const List *l)
{
    return lsmt_skiplist_memory_bytes(l->sl);
}

lsmt_status EntryAlloc(List *l, size_t bytes, Node **node, char **buf)
{
    (void)l;
    if (bytes == 0 || bytes > (size_t)1 << 32)
        return LSMT_INVALID;
    Node *n = static_cast<Node *>(std::malloc(offsetof(Node, buf) + bytes));
    if (n == nullptr)
        return LSMT_NOMEM;
    n->bytes = bytes;
    *node = n;
    *buf = n->buf;
    return LSMT_OK;
}

// insert_hint with the caller's hint, or plain insert (the thread's own splice).
static lsmt_status ShimInsert(List *l, Hint *hint, const char *key, size_t klen, uint64_t version,
                              const char *value, size_t vlen)
{
    if (hint != nullptr)
        return lsmt_skiplist_insert_hint(l->sl, AsHint(hint), key, klen, version, value, vlen);
    return lsmt_skiplist_insert(l->sl, key, klen, version, value, vlen);
}

lsmt_status Insert(List *l, Hint *hint, Node *node)
{
    const char *e = node->buf;
    uint32_t L = 0;
    const char *p = DecodeVarint32(e, e + node->bytes, &L);
    lsmt_status st;
    if (p == nullptr || L < 8 || L > static_cast<size_t>(e + node->bytes - p))
        st = LSMT_INVALID;
    else if (l->order == Order::kBytewise)
        st = ShimInsert(l, hint, p, L - 8, SeqOf(DecodeFixed64(p + L - 8)), e, node->bytes);
    else
        st = ShimInsert(l, hint, e, (size_t)(p - e) + L, 0, e, node->bytes);
    std::free(node);
    return st;
}

bool Contains(const List *l, const char *memkey)
{
    if (l->order == Order::kBytewise) {
        const char *ukey;
        size_t ulen;
        uint64_t tag;
        SplitMemKey(memkey, &ukey, &ulen, &tag);
        return lsmt_skiplist_contains(l->sl, ukey, ulen, SeqOf(tag));
    }
    uint32_t L = 0;
    const char *p = DecodeVarint32(memkey, memkey + 5, &L);
    if (p == nullptr)
        return false;
    return lsmt_skiplist_contains(l->sl, memkey, (size_t)(p - memkey) + L, 0);
}

void IterInit(Iter *it, const List *l)
{
    it->list = l;
    lsmt_skiplist_iter_init(&it->it, l->sl);
}

bool IterValid(const Iter *it)
{
    return lsmt_skiplist_iter_valid(&it->it);
}

const char *IterEntry(const Iter *it)
{
    return static_cast<const char *>(
        lsmt_skiplist_node_value(lsmt_skiplist_iter_node(&it->it), nullptr));
}

void IterSeekToFirst(Iter *it)
{
    (void)lsmt_skiplist_iter_seek_to_first(&it->it);
}
void IterSeekToLast(Iter *it)
{
    (void)lsmt_skiplist_iter_seek_to_last(&it->it);
}

static const char *ShimMemKey(Iter *it, const char *ikey, size_t n, const char *memkey, size_t *len)
{
    size_t v = Varint32Length(static_cast<uint32_t>(n));
    *len = v + n;
    if (memkey != nullptr)
        return memkey;
    it->scratch.clear();
    PutVarint32(&it->scratch, static_cast<uint32_t>(n));
    it->scratch.append(ikey, n);
    return it->scratch.data();
}

void IterSeek(Iter *it, const char *ikey, size_t n, const char *memkey)
{
    if (n < 8) {
        (void)lsmt_skiplist_iter_seek_to_first(&it->it);
        return;
    }
    if (it->list->order == Order::kBytewise) {
        (void)lsmt_skiplist_iter_seek(&it->it, ikey, n - 8, SeqOf(DecodeFixed64(ikey + n - 8)));
        return;
    }
    size_t len;
    const char *k = ShimMemKey(it, ikey, n, memkey, &len);
    (void)lsmt_skiplist_iter_seek(&it->it, k, len, 0);
}

void IterSeekForPrev(Iter *it, const char *ikey, size_t n, const char *memkey)
{
    if (n < 8) {
        (void)lsmt_skiplist_iter_seek_to_last(&it->it);
        return;
    }
    if (it->list->order == Order::kBytewise) {
        (void)lsmt_skiplist_iter_seek_for_prev(&it->it, ikey, n - 8,
                                               SeqOf(DecodeFixed64(ikey + n - 8)));
        return;
    }
    size_t len;
    const char *k = ShimMemKey(it, ikey, n, memkey, &len);
    (void)lsmt_skiplist_iter_seek_for_prev(&it->it, k, len, 0);
}

void IterNext(Iter *it)
{
    (void)lsmt_skiplist_iter_next(&it->it);
}
void IterPrev(Iter *it)
{
    (void)lsmt_skiplist_iter_prev(&it->it);
}
#endif

} // namespace core
} // namespace lsmt_rocksdb
