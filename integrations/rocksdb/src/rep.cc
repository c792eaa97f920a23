// LsmtRep: RocksDB's MemTableRep over one lsmt skip list and one lsmt arena.
//
// Design
//  - Allocate reserves the entry's lsmt node (one arena allocation); MemTable::Add
//    writes RocksDB's entry encoding into it; Insert* links it. The node IS the entry:
//    key() of an iterator and the pointer Get's callback receives are the entry's first
//    byte, as RocksDB's own skip list gives them.
//  - Inserts of every kind go through lsmt's CAS insert, which is safe beside other
//    inserts and readers, so Insert and InsertConcurrently are the same call, and each
//    thread's own lsmt splice serves as its hint (RocksDB's hints: see InsertWithHint).
//    A duplicate (same user key and sequence, whatever the type byte) is refused, never
//    linked: InsertKey* returns false, RocksDB's <key, seq> contract
//    (CanHandleDuplicatedKey, core.h kRefusesSameKeyAndSeq).
//  - ApproximateMemoryUsage is the bytes the arena handed out, so RocksDB's
//    write_buffer_size trigger sees what the memtable holds; near the arena's capacity
//    it reports "full" so RocksDB switches memtables before Allocate can fail.
//
// Concurrency: the rep adds no shared mutable state of its own beyond a relaxed flag
// (full_reported_); everything else is lsmt's (skiplist.h's thread-safety table).
//
// Arena full: Allocate cannot report an error (it returns the buffer the caller writes
// into). With the full report above this needs a single write group larger than 1/8 of
// arena_mib; then Allocate throws std::bad_alloc, which is what RocksDB's own arena does
// when memory cannot be had (README: "What is not supported").
#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <random>
#include <unordered_set>

#include <rocksdb/slice.h>

#include "rep.h"

namespace rocksdb
{
class Arena;
class Logger;
} // namespace rocksdb

// RocksDB's Arena::AllocateAligned (exported by librocksdb; rocksdb::Arena is not in
// the installed headers). GetIterator must place its iterator in the Arena it is given:
// the caller then runs only the destructor. Called as the member function it is (the
// Itanium ABI passes `this` first).
extern "C" char *lsmt_rocksdb_arena_allocate_aligned(
    rocksdb::Arena *arena, size_t bytes, size_t huge_page_size,
    rocksdb::Logger *log) __asm__("_ZN7rocksdb5Arena15AllocateAlignedEmmPNS_6LoggerE");

namespace lsmt_rocksdb
{
namespace
{

using rocksdb::KeyHandle;
using rocksdb::MemTableRep;
using rocksdb::Slice;

// What ApproximateMemoryUsage reports once the arena is nearly full: more than any
// write_buffer_size RocksDB accepts (64 GiB), far from overflowing the sums it is added to.
constexpr size_t kFullUsage = static_cast<size_t>(1) << 62;
// ApproximateNumEntries counts exactly up to this many entries (then returns the count
// so far; RocksDB caps the estimate at the memtable's entry count anyway).
constexpr uint64_t kCountCap = static_cast<uint64_t>(1) << 20;

class LsmtIterator final : public MemTableRep::Iterator
{
  public:
    explicit LsmtIterator(const core::List *l) { core::IterInit(&it_, l); }
    bool Valid() const override { return core::IterValid(&it_); }
    const char *key() const override { return core::IterEntry(&it_); }
    void Next() override { core::IterNext(&it_); }
    void Prev() override { core::IterPrev(&it_); }
    void Seek(const Slice &ikey, const char *memkey) override
    {
        core::IterSeek(&it_, ikey.data(), ikey.size(), memkey);
    }
    void SeekForPrev(const Slice &ikey, const char *memkey) override
    {
        core::IterSeekForPrev(&it_, ikey.data(), ikey.size(), memkey);
    }
    void SeekToFirst() override { core::IterSeekToFirst(&it_); }
    void SeekToLast() override { core::IterSeekToLast(&it_); }

  private:
    core::Iter it_;
};

// The three pointers at the start of a rocksdb::LookupKey (db/dbformat.h, not installed):
// start of the memtable key, start of the internal key, end. Unchanged since LevelDB;
// checked on every use (the varint between the first two must encode the distance
// between the last two), and Get falls back to RocksDB's generic path when the check
// fails. A LookupKey is always larger than three pointers (its inline buffer follows).
bool ReadLookupKey(const rocksdb::LookupKey &k, const char **memkey, const char **ikey,
                   size_t *ilen)
{
    const char *w[3];
    std::memcpy(w, &k, sizeof w);
    if (w[0] == nullptr || w[1] <= w[0] || w[1] - w[0] > 5 || w[2] < w[1] + 8)
        return false;
    uint32_t L = 0;
    if (core::DecodeVarint32(w[0], w[1], &L) != w[1] || static_cast<size_t>(w[2] - w[1]) != L)
        return false;
    *memkey = w[0];
    *ikey = w[1];
    *ilen = L;
    return true;
}

class LsmtRep final : public MemTableRep
{
  public:
    LsmtRep(std::shared_ptr<Pool> pool, lsmt_sharded_arena *arena, core::List *list,
            const KeyComparator &cmp, rocksdb::Allocator *allocator)
        : MemTableRep(allocator), pool_(std::move(pool)), arena_(arena), list_(list), cmp_(cmp),
          full_at_(pool_->capacity() - pool_->capacity() / 8)
    {
    }

    ~LsmtRep() override
    {
        // RocksDB deletes a rep only when nothing reads or writes it any more.
        core::ListDestroy(list_);
        pool_->GiveBack(arena_);
        pool_->reps_live.fetch_sub(1, std::memory_order_relaxed);
    }

    KeyHandle Allocate(const size_t len, char **buf) override
    {
        core::Node *node = nullptr;
        lsmt_status st = core::EntryAlloc(list_, len, &node, buf);
        if (st != LSMT_OK)
            throw std::bad_alloc(); // see the top of this file: "Arena full"
        return node;
    }

    // ---- inserts: all are lsmt's thread-safe insert --------------------------------
    void Insert(KeyHandle handle) override { (void)InsertKey(handle); }
    bool InsertKey(KeyHandle handle) override { return Link(handle); }
    void InsertConcurrently(KeyHandle handle) override { (void)InsertKey(handle); }
    bool InsertKeyConcurrently(KeyHandle handle) override { return Link(handle); }

    // Hints: RocksDB keeps ONE hint slot per prefix (insert_with_hint_prefix_extractor)
    // or per memtable and write batch (memtable_insert_hint_per_batch) and passes it to
    // whichever of the memtable's two reps the entry goes to: this one, or the range
    // deletion rep, which is always RocksDB's own skip list. A hint made by one is then
    // read by the other as its own format (RocksDB's splice and lsmt's differ in layout
    // and size: memory corruption either way). So lsmt never creates, reads or writes a
    // hint: it inserts through the calling thread's own splice, which gives a batch or a
    // run of clustered keys from one thread the same O(log distance) cost a hint would.
    void InsertWithHint(KeyHandle handle, void **) override { (void)Link(handle); }
    bool InsertKeyWithHint(KeyHandle handle, void **) override { return Link(handle); }
    void InsertWithHintConcurrently(KeyHandle handle, void **) override { (void)Link(handle); }
    bool InsertKeyWithHintConcurrently(KeyHandle handle, void **) override { return Link(handle); }

    bool Contains(const char *key) const override { return core::Contains(list_, key); }

    // Nothing to do: lsmt needs no freeze for readers, and the arena goes back to the
    // pool when RocksDB deletes the rep (after the flush, once no reader holds it).
    void MarkReadOnly() override {}
    void MarkFlushed() override {}

    void Get(const rocksdb::LookupKey &k, void *callback_args,
             bool (*callback_func)(void *arg, const char *entry)) override
    {
        const char *memkey, *ikey;
        size_t ilen;
        if (!ReadLookupKey(k, &memkey, &ikey, &ilen)) {
            pool_->get_fallbacks.fetch_add(1, std::memory_order_relaxed);
            MemTableRep::Get(k, callback_args, callback_func);
            return;
        }
        core::Iter it;
        core::IterInit(&it, list_);
        for (core::IterSeek(&it, ikey, ilen, memkey);
             core::IterValid(&it) && callback_func(callback_args, core::IterEntry(&it));
             core::IterNext(&it)) {
        }
    }

    uint64_t ApproximateNumEntries(const Slice &start_ikey, const Slice &end_ikey) override
    {
        core::Iter it;
        core::IterInit(&it, list_);
        uint64_t n = 0;
        for (core::IterSeek(&it, start_ikey.data(), start_ikey.size(), nullptr);
             core::IterValid(&it) && n < kCountCap; core::IterNext(&it)) {
            if (cmp_(core::IterEntry(&it), end_ikey) >= 0)
                break;
            n++;
        }
        return n;
    }

    // A uniform sample without repeats: reservoir sampling over one scan (O(entries)).
    void UniqueRandomSample(const uint64_t num_entries, const uint64_t target_sample_size,
                            std::unordered_set<const char *> *entries) override
    {
        if (entries == nullptr)
            return;
        entries->clear();
        if (target_sample_size == 0)
            return;
        std::vector<const char *> sample;
        sample.reserve(static_cast<size_t>(std::min<uint64_t>(target_sample_size, num_entries)));
        std::mt19937_64 rng(reinterpret_cast<uintptr_t>(this) ^
                            static_cast<uint64_t>(pool_->reps_created.load()) *
                                0x9e3779b97f4a7c15ull);
        core::Iter it;
        core::IterInit(&it, list_);
        uint64_t seen = 0;
        for (core::IterSeekToFirst(&it); core::IterValid(&it); core::IterNext(&it), seen++) {
            if (sample.size() < target_sample_size) {
                sample.push_back(core::IterEntry(&it));
            } else {
                uint64_t j = std::uniform_int_distribution<uint64_t>(0, seen)(rng);
                if (j < target_sample_size)
                    sample[static_cast<size_t>(j)] = core::IterEntry(&it);
            }
        }
        entries->insert(sample.begin(), sample.end());
    }

    // The bytes handed out by the arena (entries, plus any hint kept in it): what the
    // memtable holds, counted as it grows, so write_buffer_size triggers the flush at
    // the same fill as with RocksDB's skip list (whose arena blocks are counted whole).
    // Fixed per-memtable overheads are not counted: the finger table (finger_kib) and
    // the unused tail of each shard's current chunk (at most shards * chunk_kib), as
    // RocksDB does not count its own fixed structures; counting them would make a small
    // write buffer flush at its first entry. Near the arena's capacity (by carved bytes,
    // which bound what can still be allocated) it reports "full" instead.
    size_t ApproximateMemoryUsage() override
    {
        lsmt_sharded_arena_stats st;
        if (lsmt_sharded_arena_stats_get(arena_, &st) != LSMT_OK)
            return 0;
        if (st.bytes_reserved >= full_at_) {
            // relaxed: a statistic; counted once per memtable
            if (!full_reported_.exchange(true, std::memory_order_relaxed))
                pool_->full_reports.fetch_add(1, std::memory_order_relaxed);
            return kFullUsage;
        }
        return st.bytes_allocated;
    }

    Iterator *GetIterator(rocksdb::Arena *arena) override
    {
        if (arena == nullptr)
            return new LsmtIterator(list_);
        void *mem = lsmt_rocksdb_arena_allocate_aligned(arena, sizeof(LsmtIterator), 0, nullptr);
        return new (mem) LsmtIterator(list_);
    }

  private:
    bool Link(KeyHandle handle)
    {
        lsmt_status st = core::Insert(list_, static_cast<core::Node *>(handle));
        return st == LSMT_OK;
    }

    const std::shared_ptr<Pool> pool_;
    lsmt_sharded_arena *const arena_;
    core::List *const list_;
    const KeyComparator &cmp_;
    const size_t full_at_;
    std::atomic<bool> full_reported_{false};
};

} // namespace

rocksdb::MemTableRep *NewRep(std::shared_ptr<Pool> pool, lsmt_sharded_arena *arena,
                             core::List *list, const rocksdb::MemTableRep::KeyComparator &cmp,
                             rocksdb::Allocator *allocator)
{
    pool->reps_live.fetch_add(1, std::memory_order_relaxed);
    return new LsmtRep(std::move(pool), arena, list, cmp, allocator);
}

} // namespace lsmt_rocksdb
