// LsmtRepFactory: options, the arena pool, the choice of order per memtable, and the
// registration of the "lsmt" nickname in RocksDB's default ObjectLibrary at load time.
//
// Options arrive three ways: LsmtRepOptions (NewLsmtRepFactory), our own string
// "lsmt:k=v;..." (ParseLsmtRepOptions) and RocksDB's Customizable machinery
// ("id=lsmt;k=v", ConfigureFromMap through the registered option table, then
// PrepareOptions validates). The pool is created at the first memtable, after RocksDB
// has configured the factory, and lives on in every rep (shared_ptr).
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include <rocksdb/convenience.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/object_registry.h>
#include <rocksdb/utilities/options_type.h>

#include "detect.h"
#include "lsmt/memtable.h"
#include "rep.h"

namespace lsmt_rocksdb
{

// ======================================================================================
// Options
// ======================================================================================
namespace
{

constexpr size_t kMaxArenaMib = 16383; // lsmt: at most 4 * (2^32 - 2) bytes
constexpr size_t kMaxShards = 256;
constexpr size_t kMaxIdle = 1024;
constexpr size_t kMaxFingerKib = 65536;

bool IsPow2(size_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

const std::unordered_map<std::string, ComparatorMode> &ComparatorModes()
{
    static const std::unordered_map<std::string, ComparatorMode> m = {
        {"auto", ComparatorMode::kAuto},
        {"generic", ComparatorMode::kGeneric},
        {"bytewise", ComparatorMode::kBytewise},
    };
    return m;
}

bool ParseSize(const std::string &v, size_t *out)
{
    if (v.empty() || v.size() > 19)
        return false;
    size_t r = 0;
    for (char c : v) {
        if (c < '0' || c > '9')
            return false;
        r = r * 10 + static_cast<size_t>(c - '0');
    }
    *out = r;
    return true;
}

bool ParseBool(const std::string &v, bool *out)
{
    if (v == "true" || v == "1") {
        *out = true;
        return true;
    }
    if (v == "false" || v == "0") {
        *out = false;
        return true;
    }
    return false;
}

void SetError(std::string *error, const std::string &msg)
{
    if (error != nullptr)
        *error = msg;
}

// One "key=value" of our own options string into *o.
bool SetOption(LsmtRepOptions *o, const std::string &key, const std::string &value,
               std::string *error)
{
    bool ok = true;
    if (key == "shards")
        ok = ParseSize(value, &o->shards);
    else if (key == "huge_pages")
        ok = ParseBool(value, &o->huge_pages);
    else if (key == "arena_mib")
        ok = ParseSize(value, &o->arena_mib);
    else if (key == "chunk_kib")
        ok = ParseSize(value, &o->chunk_kib);
    else if (key == "max_idle")
        ok = ParseSize(value, &o->max_idle);
    else if (key == "finger_kib")
        ok = ParseSize(value, &o->finger_kib);
    else if (key == "comparator") {
        auto it = ComparatorModes().find(value);
        ok = it != ComparatorModes().end();
        if (ok)
            o->comparator = it->second;
    } else {
        SetError(error, "lsmt: unknown option '" + key + "'");
        return false;
    }
    if (!ok)
        SetError(error, "lsmt: bad value '" + value + "' for option '" + key + "'");
    return ok;
}

} // namespace

bool ValidateOptions(const LsmtRepOptions &o, std::string *error)
{
    if (o.shards > kMaxShards) {
        SetError(error, "lsmt: shards must be in [0, 256]");
        return false;
    }
    if (o.arena_mib < 1 || o.arena_mib > kMaxArenaMib) {
        SetError(error, "lsmt: arena_mib must be in [1, 16383]");
        return false;
    }
    if (!IsPow2(o.chunk_kib) || o.chunk_kib < 4 || o.chunk_kib > 65536 ||
        o.chunk_kib > o.arena_mib * 1024) {
        SetError(error, "lsmt: chunk_kib must be a power of two in [4, 65536], at most the arena");
        return false;
    }
    if (o.max_idle > kMaxIdle) {
        SetError(error, "lsmt: max_idle must be in [0, 1024]");
        return false;
    }
    if (o.finger_kib > kMaxFingerKib) {
        SetError(error, "lsmt: finger_kib must be in [0, 65536]");
        return false;
    }
    if (o.comparator != ComparatorMode::kAuto && o.comparator != ComparatorMode::kGeneric &&
        o.comparator != ComparatorMode::kBytewise) {
        SetError(error, "lsmt: comparator must be auto, generic or bytewise");
        return false;
    }
    return true;
}

bool ParseLsmtRepOptions(const std::string &spec, LsmtRepOptions *out, std::string *error)
{
    if (out == nullptr) {
        SetError(error, "lsmt: null output");
        return false;
    }
    LsmtRepOptions o;
    std::string rest;
    if (spec == "lsmt" || spec == "LsmtRepFactory") {
        rest.clear();
    } else if (spec.compare(0, 5, "lsmt:") == 0) {
        rest = spec.substr(5);
    } else if (spec.compare(0, 8, "id=lsmt;") == 0 || spec == "id=lsmt") {
        rest = spec.size() > 8 ? spec.substr(8) : "";
    } else {
        SetError(error, "lsmt: an options string starts with 'lsmt', 'lsmt:' or 'id=lsmt'");
        return false;
    }
    size_t pos = 0;
    while (pos < rest.size()) {
        size_t end = rest.find(';', pos);
        if (end == std::string::npos)
            end = rest.size();
        std::string item = rest.substr(pos, end - pos);
        pos = end + 1;
        if (item.empty())
            continue;
        size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
            SetError(error, "lsmt: expected key=value, got '" + item + "'");
            return false;
        }
        if (!SetOption(&o, item.substr(0, eq), item.substr(eq + 1), error))
            return false;
    }
    if (!ValidateOptions(o, error))
        return false;
    *out = o;
    return true;
}

// ======================================================================================
// Pool
// ======================================================================================
std::shared_ptr<Pool> Pool::Create(const LsmtRepOptions &opts, std::string *error)
{
    if (!ValidateOptions(opts, error))
        return nullptr;
    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    po.arena.capacity = opts.arena_mib << 20;
    po.arena.shard_count = opts.shards;
    po.arena.chunk_size = opts.chunk_kib << 10;
    po.arena.huge_pages = opts.huge_pages && po.arena.capacity >= LSMT_MEMTABLE_HUGE_PAGES_MIN;
    po.max_idle = opts.max_idle;
    lsmt_arena_pool *p = nullptr;
    lsmt_status st = lsmt_arena_pool_create(&po, &p);
    if (st != LSMT_OK) {
        SetError(error, std::string("lsmt: arena pool: ") + lsmt_status_str(st));
        return nullptr;
    }
    size_t capacity = po.arena.capacity;
    // finger_kib of 4-byte entries over the arena's capacity (lsmt sizes the table as
    // capacity / finger_bytes entries).
    size_t finger_bytes = SIZE_MAX;
    if (opts.finger_kib > 0) {
        size_t entries = (opts.finger_kib << 10) / 4;
        finger_bytes = capacity / entries;
        if (finger_bytes == 0)
            finger_bytes = 1;
    }
    return std::shared_ptr<Pool>(new Pool(opts, p, capacity, finger_bytes));
}

Pool::~Pool()
{
    lsmt_arena_pool_destroy(pool_);
}

lsmt_status Pool::Checkout(lsmt_sharded_arena **out, bool *created)
{
    std::lock_guard<std::mutex> g(mu_);
    lsmt_arena_pool_stats ps;
    bool reuse = lsmt_arena_pool_stats_get(pool_, &ps) == LSMT_OK && ps.idle > 0;
    lsmt_status st = lsmt_arena_pool_checkout(pool_, out);
    if (st == LSMT_OK) {
        (reuse ? arenas_reused : arenas_created).fetch_add(1, std::memory_order_relaxed);
        *created = !reuse;
    }
    return st;
}

void Pool::GiveBack(lsmt_sharded_arena *a)
{
    std::lock_guard<std::mutex> g(mu_);
    // LSMT_OK (kept idle or destroyed beyond max_idle). Anything else means the arena
    // is not the pool's, which cannot happen here; destroying it is the safe answer.
    if (lsmt_arena_pool_give_back(pool_, a) != LSMT_OK)
        lsmt_sharded_arena_destroy(a);
}

void Pool::Fill(LsmtRepStats *o) const
{
    o->reps_created = reps_created.load(std::memory_order_relaxed);
    o->reps_bytewise = reps_bytewise.load(std::memory_order_relaxed);
    o->reps_generic = reps_generic.load(std::memory_order_relaxed);
    o->reps_fallback = reps_fallback.load(std::memory_order_relaxed);
    o->reps_live = reps_live.load(std::memory_order_relaxed);
    o->arenas_created = arenas_created.load(std::memory_order_relaxed);
    o->arenas_reused = arenas_reused.load(std::memory_order_relaxed);
    lsmt_arena_pool_stats ps;
    o->arenas_idle = lsmt_arena_pool_stats_get(pool_, &ps) == LSMT_OK ? ps.idle : 0;
    o->full_reports = full_reports.load(std::memory_order_relaxed);
    o->get_fallbacks = get_fallbacks.load(std::memory_order_relaxed);
}

// ======================================================================================
// Factory
// ======================================================================================
namespace
{

using rocksdb::InfoLogLevel;

const std::unordered_map<std::string, rocksdb::OptionTypeInfo> &OptionTable()
{
    using rocksdb::OptionType;
    using rocksdb::OptionTypeInfo;
    static const std::unordered_map<std::string, OptionTypeInfo> t = {
        {"shards", {offsetof(LsmtRepOptions, shards), OptionType::kSizeT}},
        {"huge_pages", {offsetof(LsmtRepOptions, huge_pages), OptionType::kBoolean}},
        {"arena_mib", {offsetof(LsmtRepOptions, arena_mib), OptionType::kSizeT}},
        {"chunk_kib", {offsetof(LsmtRepOptions, chunk_kib), OptionType::kSizeT}},
        {"max_idle", {offsetof(LsmtRepOptions, max_idle), OptionType::kSizeT}},
        {"finger_kib", {offsetof(LsmtRepOptions, finger_kib), OptionType::kSizeT}},
        {"comparator", OptionTypeInfo::Enum<ComparatorMode>(offsetof(LsmtRepOptions, comparator),
                                                            &ComparatorModes())},
    };
    return t;
}

class LsmtRepFactory final : public rocksdb::MemTableRepFactory
{
  public:
    explicit LsmtRepFactory(const LsmtRepOptions &o) : opts_(o)
    {
        RegisterOptions("LsmtRepOptions", &opts_, &OptionTable());
    }

    static const char *kClassName() { return "LsmtRepFactory"; }
    static const char *kNickName() { return "lsmt"; }
    const char *Name() const override { return kClassName(); }
    const char *NickName() const override { return kNickName(); }

    rocksdb::Status PrepareOptions(const rocksdb::ConfigOptions &config) override
    {
        std::string err;
        if (!lsmt_rocksdb::ValidateOptions(opts_, &err))
            return rocksdb::Status::InvalidArgument(err);
        return MemTableRepFactory::PrepareOptions(config);
    }

    using MemTableRepFactory::CreateMemTableRep;
    rocksdb::MemTableRep *CreateMemTableRep(const rocksdb::MemTableRep::KeyComparator &cmp,
                                            rocksdb::Allocator *allocator,
                                            const rocksdb::SliceTransform *transform,
                                            rocksdb::Logger *logger) override
    {
        std::string err;
        std::shared_ptr<Pool> pool = GetPool(&err);
        lsmt_sharded_arena *arena = nullptr;
        core::List *list = nullptr;
        lsmt_status st = LSMT_INVALID;
        core::Order order = core::Order::kGeneric;
        if (pool != nullptr) {
            pool->reps_created.fetch_add(1, std::memory_order_relaxed);
            order = ChooseOrder(cmp, logger);
            bool created = false;
            st = pool->Checkout(&arena, &created);
            uint64_t n = pool->reps_created.load(std::memory_order_relaxed);
            // The info LOG gets the pool's counters when an arena had to be mapped and
            // every 64th memtable (what bench/run_rocksdb.sh reads back).
            if (st == LSMT_OK && logger != nullptr && (created || n % 64 == 0))
                rocksdb::Log(InfoLogLevel::INFO_LEVEL, logger,
                             "lsmt: %" PRIu64 " memtables, arenas created %" PRIu64
                             ", reused %" PRIu64,
                             n, pool->arenas_created.load(std::memory_order_relaxed),
                             pool->arenas_reused.load(std::memory_order_relaxed));
            if (st == LSMT_OK) {
                st = core::ListCreate(arena, order, &cmp, pool->finger_bytes(), &list);
                if (st != LSMT_OK)
                    pool->GiveBack(arena);
            }
            if (st != LSMT_OK)
                err = std::string("lsmt: ") + lsmt_status_str(st);
        }
        if (st != LSMT_OK) {
            // CreateMemTableRep cannot fail (RocksDB uses the result at once); the safe
            // answer is RocksDB's own skip list, and the reason goes to the info LOG.
            if (pool != nullptr)
                pool->reps_fallback.fetch_add(1, std::memory_order_relaxed);
            if (logger != nullptr)
                rocksdb::Log(InfoLogLevel::WARN_LEVEL, logger,
                             "lsmt: this memtable uses RocksDB's skip list: %s", err.c_str());
            return fallback_.CreateMemTableRep(cmp, allocator, transform, logger);
        }
        (order == core::Order::kBytewise ? pool->reps_bytewise : pool->reps_generic)
            .fetch_add(1, std::memory_order_relaxed);
        return NewRep(std::move(pool), arena, list, cmp, allocator);
    }

    bool IsInsertConcurrentlySupported() const override { return true; }
    bool CanHandleDuplicatedKey() const override { return core::kRefusesSameKeyAndSeq; }

    void Stats(LsmtRepStats *out)
    {
        *out = LsmtRepStats();
        std::string err;
        std::shared_ptr<Pool> pool;
        {
            std::lock_guard<std::mutex> g(mu_);
            pool = pool_;
        }
        if (pool != nullptr)
            pool->Fill(out);
    }

  private:
    std::shared_ptr<Pool> GetPool(std::string *err)
    {
        std::lock_guard<std::mutex> g(mu_);
        if (pool_ == nullptr)
            pool_ = Pool::Create(opts_, err);
        return pool_;
    }

    core::Order ChooseOrder(const rocksdb::MemTableRep::KeyComparator &cmp, rocksdb::Logger *logger)
    {
        core::Order order = core::Order::kGeneric;
        Verdict v = Verdict::kNotVerified;
        if (opts_.comparator != ComparatorMode::kGeneric) {
            v = DetectBytewise(cmp, opts_.comparator == ComparatorMode::kBytewise);
            if (v == Verdict::kBytewise)
                order = core::Order::kBytewise;
        }
        // One INFO line per factory and outcome (a DB creates a memtable per flush).
        std::atomic<bool> &logged =
            order == core::Order::kBytewise ? logged_bytewise_ : logged_generic_;
        if (logger != nullptr && !logged.exchange(true, std::memory_order_relaxed))
            rocksdb::Log(InfoLogLevel::INFO_LEVEL, logger,
                         "lsmt: memtable order %s (comparator mode %d: %s)",
                         order == core::Order::kBytewise ? "bytewise (fast paths on user keys)"
                                                         : "generic (RocksDB's comparator)",
                         static_cast<int>(opts_.comparator), VerdictName(v));
        return order;
    }

    LsmtRepOptions opts_; // configured by RocksDB before the first memtable (RegisterOptions)
    std::mutex mu_;
    std::shared_ptr<Pool> pool_; // created at the first memtable
    rocksdb::SkipListFactory fallback_;
    std::atomic<bool> logged_bytewise_{false}, logged_generic_{false};
};

} // namespace

rocksdb::MemTableRepFactory *NewLsmtRepFactory(const LsmtRepOptions &opts, std::string *error)
{
    if (!ValidateOptions(opts, error))
        return nullptr;
    return new (std::nothrow) LsmtRepFactory(opts);
}

rocksdb::MemTableRepFactory *NewLsmtRepFactory(const std::string &spec, std::string *error)
{
    LsmtRepOptions o;
    if (!ParseLsmtRepOptions(spec, &o, error))
        return nullptr;
    return new (std::nothrow) LsmtRepFactory(o);
}

int RegisterLsmtRepFactory(rocksdb::ObjectLibrary &library, const std::string &)
{
    library.AddFactory<rocksdb::MemTableRepFactory>(
        rocksdb::ObjectLibrary::PatternEntry(LsmtRepFactory::kNickName(), true)
            .AnotherName(LsmtRepFactory::kClassName()),
        [](const std::string &, std::unique_ptr<rocksdb::MemTableRepFactory> *guard,
           std::string *) {
            guard->reset(new LsmtRepFactory(LsmtRepOptions()));
            return guard->get();
        });
    return 1;
}

bool GetLsmtRepStats(const rocksdb::MemTableRepFactory *factory, LsmtRepStats *out)
{
    if (factory == nullptr || out == nullptr)
        return false;
    auto *f = dynamic_cast<LsmtRepFactory *>(const_cast<rocksdb::MemTableRepFactory *>(factory));
    if (f == nullptr)
        return false;
    f->Stats(out);
    return true;
}

// Registration when the shared library is loaded (LD_PRELOAD, or linked): RocksDB's
// ObjectLibrary::Default() is a function-local static of librocksdb, which the dynamic
// loader initialises before us (it is our dependency).
namespace
{
[[maybe_unused]] const int kRegisteredAtLoad =
    RegisterLsmtRepFactory(*rocksdb::ObjectLibrary::Default(), "");
} // namespace

} // namespace lsmt_rocksdb
