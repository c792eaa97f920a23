// Internal: the arena pool a factory shares with its memtables, and the memtable rep.
#ifndef LSMT_ROCKSDB_REP_H
#define LSMT_ROCKSDB_REP_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <rocksdb/memtablerep.h>

#include "core.h"
#include "lsmt_rocksdb.h"

namespace lsmt_rocksdb
{

// The arenas of one factory. Every rep holds a shared_ptr to it, so the pool outlives
// the factory when RocksDB deletes the factory before its last memtable.
//
// Thread safety: every member function may be called from any thread.
class Pool
{
  public:
    // nullptr and *error for options out of range or a pool that cannot be created.
    static std::shared_ptr<Pool> Create(const LsmtRepOptions &opts, std::string *error);
    ~Pool();
    Pool(const Pool &) = delete;
    Pool &operator=(const Pool &) = delete;

    // An arena for a new memtable (reset, pages possibly still faulted in); *created
    // tells whether it had to be mapped (no idle arena).
    lsmt_status Checkout(lsmt_sharded_arena **out, bool *created);
    // Take back a memtable's arena (REQUIRES: no allocation from it in flight).
    void GiveBack(lsmt_sharded_arena *a);

    const LsmtRepOptions &options() const { return opts_; }
    size_t capacity() const { return capacity_; }
    size_t finger_bytes() const { return finger_bytes_; }
    void Fill(LsmtRepStats *out) const;

    // Counters (relaxed: statistics only, read by GetLsmtRepStats).
    std::atomic<uint64_t> reps_created{0}, reps_bytewise{0}, reps_generic{0}, reps_fallback{0},
        reps_live{0}, arenas_created{0}, arenas_reused{0}, full_reports{0}, get_fallbacks{0};

  private:
    Pool(const LsmtRepOptions &opts, lsmt_arena_pool *p, size_t capacity, size_t finger_bytes)
        : opts_(opts), pool_(p), capacity_(capacity), finger_bytes_(finger_bytes)
    {
    }
    const LsmtRepOptions opts_;
    lsmt_arena_pool *const pool_;
    const size_t capacity_;
    const size_t finger_bytes_;
    std::mutex mu_; // makes "was an idle arena there?" and the checkout one step
};

// Check opts against the documented ranges; false and *error when out of range.
bool ValidateOptions(const LsmtRepOptions &opts, std::string *error);

// A memtable over `arena` (taken over: given back to `pool` when the rep is deleted)
// and `list` (destroyed with it). cmp must outlive the rep (RocksDB's MemTable owns both).
rocksdb::MemTableRep *NewRep(std::shared_ptr<Pool> pool, lsmt_sharded_arena *arena,
                             core::List *list, const rocksdb::MemTableRep::KeyComparator &cmp,
                             rocksdb::Allocator *allocator);

} // namespace lsmt_rocksdb

#endif
