// lsmt_rocksdb: lsmt's lock-free skip list as a RocksDB memtable (MemTableRepFactory).
//
// Two ways in:
//   - Link it and set the factory:
//         options.memtable_factory.reset(lsmt_rocksdb::NewLsmtRepFactory());
//   - Load liblsmt_rocksdb.so into a process (LD_PRELOAD, or link it): at load it
//     registers the nickname "lsmt" in rocksdb::ObjectLibrary::Default(), so anything
//     that resolves memtable factories by name finds it:
//         db_bench --memtablerep=lsmt
//         db_bench --memtablerep='id=lsmt;shards=4;arena_mib=1024'
//         options string: memtable_factory={id=lsmt;huge_pages=true}
//
// Every memtable RocksDB creates gets one lsmt skip list over one lsmt sharded arena
// checked out of the factory's arena pool; the arena is given back (reset in place, pages
// kept) when RocksDB deletes the memtable after its flush, so rotating memtables makes no
// mmap/munmap in steady state.
//
// Thread safety: the factory may be shared by any number of DBs and column families and
// called from any thread; a memtable supports RocksDB's full contract (concurrent
// inserts with allow_concurrent_memtable_write, readers beside writers).
#ifndef LSMT_ROCKSDB_H
#define LSMT_ROCKSDB_H

#include <cstddef>
#include <cstdint>
#include <string>

#include <rocksdb/memtablerep.h>

#if defined(__GNUC__)
#define LSMT_ROCKSDB_API __attribute__((visibility("default")))
#else
#define LSMT_ROCKSDB_API
#endif

namespace rocksdb
{
class ObjectLibrary;
}

namespace lsmt_rocksdb
{

// How a memtable picks its key order.
enum class ComparatorMode : int {
    // Default. The lsmt bytewise order (fast paths on the user key) only when the column
    // family's user comparator is proven to be rocksdb::BytewiseComparator() (README:
    // "How the comparator is detected"); any other comparator gets the generic order.
    kAuto = 0,
    // Always the generic order: every comparison calls RocksDB's key comparator.
    kGeneric = 1,
    // The caller asserts the user comparator orders like BytewiseComparator() (for a
    // RocksDB version whose layout the detection does not know). The behavioural probe
    // still runs and falls back to the generic order when it disagrees; a comparator
    // that agrees on the probe but not elsewhere would corrupt the DB: use with care.
    kBytewise = 2,
};

// Factory options. The option-string names are in brackets.
struct LsmtRepOptions {
    // [shards] Shards of each memtable's arena: writer threads that allocate without
    // contention. 0 = the CPU count. Range [0, 256].
    size_t shards = 0;
    // [huge_pages] madvise(MADV_HUGEPAGE) on each arena of at least 64 MiB (arena_mib;
    // LSMT_MEMTABLE_HUGE_PAGES_MIN, the rule of lsmt_memtable_options.huge_pages): fewer
    // TLB misses and faults on large memtables, up to 2 MiB more resident memory per
    // arena, and a first-touch fault zeroes 2 MiB at once. Default true, as the core
    // library's memtables.
    bool huge_pages = true;
    // [arena_mib] Address space reserved for each memtable's arena, in MiB: the hard
    // limit of one memtable. Reserved with MAP_NORESERVE, so it costs no memory until
    // touched (but counts toward the commit limit under vm.overcommit_memory=2).
    // When a memtable reaches arena_mib minus 1/8, the rep reports itself full so that
    // RocksDB switches to a new memtable whatever write_buffer_size says. Range
    // [1, 16383] (lsmt links are 32-bit offsets in 4-byte units: 16 GiB at most).
    size_t arena_mib = 4096;
    // [chunk_kib] Bytes (KiB) a shard takes from the arena at a time; a power of two in
    // [4, 65536]. Default 256.
    size_t chunk_kib = 256;
    // [max_idle] Reset arenas the pool keeps for the next memtables. Default 4; range
    // [0, 1024]. Each idle arena keeps its touched pages until it is reused.
    size_t max_idle = 4;
    // [finger_kib] Size of each bytewise memtable's finger table (searches start next to
    // their key), KiB; 0 = none. Default 128 (32 Ki ranges of the key space).
    size_t finger_kib = 128;
    // [comparator] auto | generic | bytewise (see ComparatorMode).
    ComparatorMode comparator = ComparatorMode::kAuto;
};

// A factory with `opts`. Returns nullptr (and a reason in *error when not null) for
// options out of range. The caller owns the result (hand it to a shared_ptr).
LSMT_ROCKSDB_API rocksdb::MemTableRepFactory *NewLsmtRepFactory(const LsmtRepOptions &opts = {},
                                                                std::string *error = nullptr);

// A factory from an options string: "lsmt", "lsmt:<key>=<value>;<key>=<value>..." or
// RocksDB's "id=lsmt;<key>=<value>;..." (keys as in LsmtRepOptions). nullptr and
// *error for an unknown key or a bad value.
LSMT_ROCKSDB_API rocksdb::MemTableRepFactory *NewLsmtRepFactory(const std::string &spec,
                                                                std::string *error = nullptr);

// Parse an options string as NewLsmtRepFactory(spec) does, without creating anything.
LSMT_ROCKSDB_API bool ParseLsmtRepOptions(const std::string &spec, LsmtRepOptions *out,
                                          std::string *error = nullptr);

// Register the "lsmt" nickname (and the class name "LsmtRepFactory") in `library`.
// Loading liblsmt_rocksdb.so does this for ObjectLibrary::Default() already; a program
// that links the static library calls it itself. Returns the number of factories
// registered (RocksDB's RegistrarFunc convention). Registering twice is harmless.
LSMT_ROCKSDB_API int RegisterLsmtRepFactory(rocksdb::ObjectLibrary &library,
                                            const std::string &arg = "");

// Counters of a factory (monotonic since its creation, except the *_live ones).
struct LsmtRepStats {
    uint64_t reps_created = 0;   // memtables created
    uint64_t reps_bytewise = 0;  // ... with the bytewise order
    uint64_t reps_generic = 0;   // ... with the generic order
    uint64_t reps_fallback = 0;  // ... as RocksDB's own skip list (lsmt could not get an
                                 //     arena: the failure is in RocksDB's info LOG)
    uint64_t reps_live = 0;      // lsmt memtables not yet deleted
    uint64_t arenas_created = 0; // arenas mapped (a checkout that found no idle one)
    uint64_t arenas_reused = 0;  // checkouts served by a reset idle arena
    uint64_t arenas_idle = 0;    // idle arenas in the pool now
    uint64_t full_reports = 0;   // times a memtable reported itself full (arena_mib)
    uint64_t get_fallbacks = 0;  // Gets that used RocksDB's generic Get path
};

// Fill *out from `factory` when it is an lsmt factory; false otherwise.
LSMT_ROCKSDB_API bool GetLsmtRepStats(const rocksdb::MemTableRepFactory *factory,
                                      LsmtRepStats *out);

} // namespace lsmt_rocksdb

#endif
