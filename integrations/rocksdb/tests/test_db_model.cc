// lsmt inside RocksDB, through RocksDB's public API only.
//
// Every randomized case drives two databases with the same operations -- one whose
// memtables are lsmt's (NewLsmtRepFactory), one with RocksDB's SkipListFactory -- and a
// std::map model, and checks that all three agree: gets, full scans, bounded iterators
// walked both ways with direction changes, reads at snapshots, after close and reopen
// (WAL replay into lsmt memtables). Write buffers are small so that dozens of memtables
// rotate and flush while the operations run. The property checked is exact equality of
// what the user reads; a memtable that loses, reorders, duplicates or resurrects an
// entry makes the lsmt DB differ from the model and from the skip-list DB.
//
// Cases: bytewise (the fast order), reverse (ReverseBytewiseComparator: the generic
// order), custom (a user comparator that orders bytewise but is not the singleton:
// must take the generic order), hints (memtable_insert_with_hint_prefix_extractor),
// threads (concurrent writers with allow_concurrent_memtable_write and per-batch hints,
// a scanning reader beside them), mempurge (RocksDB's MemPurge samples memtables with
// UniqueRandomSample), full (a 1 MiB arena under a large write buffer: the
// rep must make RocksDB rotate), stats_range (ApproximateNumEntries), options (option
// strings, CreateFromString, bad input).
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/comparator.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/utilities/object_registry.h>
#include <rocksdb/utilities/transaction_db.h>
#include <rocksdb/write_batch.h>

#include "harness.h"
#include "lsmt_rocksdb.h"

using rocksdb::DB;
using rocksdb::Options;
using rocksdb::ReadOptions;
using rocksdb::Slice;
using rocksdb::Status;
using rocksdb::WriteBatch;
using rocksdb::WriteOptions;

namespace
{

// ---- merge operator: comma-joined operands (order-sensitive, so a reordered operand
// shows) --------------------------------------------------------------------------
class ConcatOperator : public rocksdb::AssociativeMergeOperator
{
  public:
    bool Merge(const Slice &, const Slice *existing, const Slice &value, std::string *out,
               rocksdb::Logger *) const override
    {
        out->clear();
        if (existing != nullptr) {
            out->assign(existing->data(), existing->size());
            out->push_back(',');
        }
        out->append(value.data(), value.size());
        return true;
    }
    const char *Name() const override { return "lsmt.test.Concat"; }
};

// A user comparator that orders exactly like BytewiseComparator() but is another object:
// detection must not take it for the singleton.
class MyBytewise : public rocksdb::Comparator
{
  public:
    int Compare(const Slice &a, const Slice &b) const override { return a.compare(b); }
    const char *Name() const override { return "lsmt.test.MyBytewise"; }
    void FindShortestSeparator(std::string *, const Slice &) const override {}
    void FindShortSuccessor(std::string *) const override {}
};

struct ModelLess {
    const rocksdb::Comparator *c;
    bool operator()(const std::string &a, const std::string &b) const
    {
        return c->Compare(a, b) < 0;
    }
};
using Model = std::map<std::string, std::string, ModelLess>;

std::string TempDir(const char *tag)
{
    const char *base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base != nullptr ? base : "/tmp") + "/lsmt-rocksdb-" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    char *d = mkdtemp(buf.data());
    if (d == nullptr)
        std::abort();
    return d;
}

void RemoveDir(const std::string &d)
{
    (void)!std::system(("rm -rf '" + d + "'").c_str());
}

long Ops(long base)
{
    return static_cast<long>(static_cast<double>(base) * harness::Scale());
}

// Memtables the randomized cases rotate at least (24 at scale 1: "dozens").
uint64_t MinMemtables()
{
    return std::max<uint64_t>(4, static_cast<uint64_t>(24 * harness::Scale()));
}

// ---- the two databases -----------------------------------------------------------------
struct Config {
    const rocksdb::Comparator *cmp = rocksdb::BytewiseComparator();
    size_t write_buffer = 64 << 10;
    bool hint_extractor = false;
    // DeleteRange in the workload. Off with hint_extractor: RocksDB 7.8 itself passes
    // one prefix's hint to both the point and the range-deletion skip list of a memtable
    // and fails an assertion (seen with SkipListFactory alone).
    bool range_deletes = true;
    // RocksDB's experimental MemPurge: a flush samples the memtable through
    // UniqueRandomSample to decide whether to rewrite it into a new memtable.
    bool mempurge = false;
    // RocksDB's memtable_protection_bytes_per_key: MemTable::Add appends the checksum
    // bytes to each entry and verifies them on reads, so the rep stores and returns them
    // as opaque entry bytes (core.h). lsmt's own protection_bytes_per_key is a
    // memtable option the rep does not use: RocksDB's covers it.
    uint32_t protection_bytes = 0;
    std::string lsmt_spec = "lsmt:arena_mib=64";
};

class Pair
{
  public:
    explicit Pair(const Config &cfg, const char *tag) : cfg_(cfg), dir_(TempDir(tag))
    {
        std::string err;
        factory_.reset(lsmt_rocksdb::NewLsmtRepFactory(cfg.lsmt_spec, &err));
        CHECK_MSG(factory_ != nullptr, err);
        Open();
    }
    ~Pair()
    {
        Close();
        RemoveDir(dir_);
    }

    Options MakeOptions(bool lsmt) const
    {
        Options o;
        o.create_if_missing = true;
        o.comparator = cfg_.cmp;
        o.merge_operator = std::make_shared<ConcatOperator>();
        o.write_buffer_size = cfg_.write_buffer;
        o.max_write_buffer_number = 4;
        o.target_file_size_base = 256 << 10;
        o.max_bytes_for_level_base = 1 << 20;
        o.level0_file_num_compaction_trigger = 4;
        o.allow_concurrent_memtable_write = true;
        if (cfg_.mempurge)
            o.experimental_mempurge_threshold = 1.0;
        o.memtable_protection_bytes_per_key = cfg_.protection_bytes;
        if (cfg_.hint_extractor)
            o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(2));
        if (lsmt)
            o.memtable_factory = factory_;
        else
            o.memtable_factory = std::make_shared<rocksdb::SkipListFactory>();
        return o;
    }

    void Open()
    {
        CHECK_OK(DB::Open(MakeOptions(true), dir_ + "/lsmt", &lsmt_));
        CHECK_OK(DB::Open(MakeOptions(false), dir_ + "/skip", &skip_));
    }
    void Close()
    {
        delete lsmt_;
        delete skip_;
        lsmt_ = skip_ = nullptr;
    }
    void Reopen()
    {
        Close();
        Open();
    }

    DB *lsmt() { return lsmt_; }
    DB *skip() { return skip_; }
    const std::shared_ptr<rocksdb::MemTableRepFactory> &factory() const { return factory_; }
    lsmt_rocksdb::LsmtRepStats Stats() const
    {
        lsmt_rocksdb::LsmtRepStats s;
        CHECK(lsmt_rocksdb::GetLsmtRepStats(factory_.get(), &s));
        return s;
    }

  private:
    Config cfg_;
    std::string dir_;
    std::shared_ptr<rocksdb::MemTableRepFactory> factory_;
    DB *lsmt_ = nullptr;
    DB *skip_ = nullptr;
};

// ---- model operations -------------------------------------------------------------------
void ModelMerge(Model *m, const std::string &k, const std::string &v)
{
    auto it = m->find(k);
    if (it == m->end())
        (*m)[k] = v;
    else
        it->second += "," + v;
}

void ModelDeleteRange(Model *m, const std::string &b, const std::string &e)
{
    auto lo = m->lower_bound(b);
    auto hi = m->lower_bound(e);
    if (m->key_comp()(b, e))
        m->erase(lo, hi);
}

// Read one key from a DB, as "<absent>" or the value.
std::string Read(DB *db, const std::string &k, const rocksdb::Snapshot *snap = nullptr)
{
    ReadOptions ro;
    ro.snapshot = snap;
    std::string v;
    Status s = db->Get(ro, k, &v);
    if (s.IsNotFound())
        return "<absent>";
    if (!s.ok())
        return "<error " + s.ToString() + ">";
    return v;
}

std::string ModelRead(const Model &m, const std::string &k)
{
    auto it = m.find(k);
    return it == m.end() ? "<absent>" : it->second;
}

using KV = std::vector<std::pair<std::string, std::string>>;

KV Scan(DB *db, const rocksdb::Snapshot *snap = nullptr)
{
    ReadOptions ro;
    ro.snapshot = snap;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    KV out;
    for (it->SeekToFirst(); it->Valid(); it->Next())
        out.emplace_back(it->key().ToString(), it->value().ToString());
    CHECK_OK(it->status());
    return out;
}

KV ModelScan(const Model &m)
{
    return KV(m.begin(), m.end());
}

// Walk a bounded iterator of `db` and the model side by side: forward from the start,
// backward from the end, a Seek and a SeekForPrev, then a random walk of Next/Prev.
void CheckBoundedIterators(DB *db, const Model &m, const std::string &lo, const std::string &hi,
                           std::mt19937_64 &rng, const rocksdb::Snapshot *snap, const char *who)
{
    ReadOptions ro;
    ro.snapshot = snap;
    Slice los(lo), his(hi);
    ro.iterate_lower_bound = &los;
    ro.iterate_upper_bound = &his;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    const auto &less = m.key_comp();
    std::vector<std::pair<std::string, std::string>> want;
    for (auto i = m.lower_bound(lo); i != m.end() && less(i->first, hi); ++i)
        want.push_back(*i);
    // forward
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
        CHECK_MSG(n < want.size() && it->key().ToString() == want[n].first &&
                      it->value().ToString() == want[n].second,
                  std::string(who) + " forward");
        if (n >= want.size())
            break;
    }
    CHECK_MSG(n == want.size(), std::string(who) + " forward count");
    // backward
    n = want.size();
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
        CHECK_MSG(n > 0 && it->key().ToString() == want[n - 1].first,
                  std::string(who) + " backward");
        if (n == 0)
            break;
        n--;
    }
    CHECK_MSG(n == 0, std::string(who) + " backward count");
    if (want.empty())
        return;
    // seek, seek-for-prev and a random walk from a random position
    size_t pos = rng() % want.size();
    it->Seek(want[pos].first);
    CHECK_MSG(it->Valid() && it->key().ToString() == want[pos].first, std::string(who) + " seek");
    it->SeekForPrev(want[pos].first);
    CHECK_MSG(it->Valid() && it->key().ToString() == want[pos].first,
              std::string(who) + " seek_for_prev");
    long p = static_cast<long>(pos);
    for (int step = 0; step < 24 && it->Valid(); step++) {
        if (rng() & 1) {
            it->Next();
            p++;
        } else {
            it->Prev();
            p--;
        }
        bool in = p >= 0 && p < static_cast<long>(want.size());
        CHECK_MSG(it->Valid() == in, std::string(who) + " walk validity");
        if (in && it->Valid())
            CHECK_MSG(it->key().ToString() == want[static_cast<size_t>(p)].first &&
                          it->value().ToString() == want[static_cast<size_t>(p)].second,
                      std::string(who) + " walk");
    }
    CHECK_OK(it->status());
}

// ---- the randomized single-writer workload -----------------------------------------------
struct Snap {
    const rocksdb::Snapshot *l, *s;
    Model m;
};

std::string Key(std::mt19937_64 &rng, int space)
{
    char b[32];
    std::snprintf(b, sizeof b, "k%05d", static_cast<int>(rng() % static_cast<unsigned>(space)));
    return b;
}

std::string Value(std::mt19937_64 &rng, uint64_t op)
{
    std::string v = "v" + std::to_string(op) + "-";
    v.append(static_cast<size_t>(rng() % 120), static_cast<char>('a' + rng() % 26));
    return v;
}

void CheckEverything(Pair &p, const Model &m, std::mt19937_64 &rng, const Config &cfg)
{
    KV want = ModelScan(m);
    CHECK_MSG(Scan(p.lsmt()) == want, "lsmt DB full scan != model");
    CHECK_MSG(Scan(p.skip()) == want, "skip-list DB full scan != model");
    for (int i = 0; i < 40; i++) {
        std::string k = Key(rng, 3000);
        std::string w = ModelRead(m, k);
        CHECK_MSG(Read(p.lsmt(), k) == w, "lsmt get " + k);
        CHECK_MSG(Read(p.skip(), k) == w, "skip get " + k);
    }
    for (int i = 0; i < 4; i++) {
        std::string a = Key(rng, 3000), b = Key(rng, 3000);
        if (cfg.cmp->Compare(a, b) > 0)
            std::swap(a, b);
        CheckBoundedIterators(p.lsmt(), m, a, b, rng, nullptr, "lsmt");
        CheckBoundedIterators(p.skip(), m, a, b, rng, nullptr, "skip");
    }
}

void RunRandom(const Config &cfg, const char *tag, uint64_t seed, long ops)
{
    Pair p(cfg, tag);
    Model m(ModelLess{cfg.cmp});
    std::vector<Snap> snaps;
    std::mt19937_64 rng(seed);
    WriteOptions wo;
    const int space = 3000;
    for (long op = 0; op < ops; op++) {
        unsigned r = static_cast<unsigned>(rng() % 100);
        std::string k = Key(rng, space);
        if (r < 40) {
            std::string v = Value(rng, static_cast<uint64_t>(op));
            CHECK_OK(p.lsmt()->Put(wo, k, v));
            CHECK_OK(p.skip()->Put(wo, k, v));
            m[k] = v;
        } else if (r < 50) {
            CHECK_OK(p.lsmt()->Delete(wo, k));
            CHECK_OK(p.skip()->Delete(wo, k));
            m.erase(k);
        } else if (r < 55) {
            // SingleDelete lives on its own keys ("s...", between the "k..." keys' ranges
            // in both orders), which only ever alternate Put and SingleDelete: RocksDB
            // forbids mixing it with Delete or Merge on a key (and says so as Corruption).
            char sb[16];
            std::snprintf(sb, sizeof sb, "s%05d", static_cast<int>(rng() % 500));
            std::string sk = sb;
            if (m.count(sk) == 0) {
                std::string v = Value(rng, static_cast<uint64_t>(op));
                CHECK_OK(p.lsmt()->Put(wo, sk, v));
                CHECK_OK(p.skip()->Put(wo, sk, v));
                m[sk] = v;
            } else {
                CHECK_OK(p.lsmt()->SingleDelete(wo, sk));
                CHECK_OK(p.skip()->SingleDelete(wo, sk));
                m.erase(sk);
            }
        } else if (r < 70) {
            std::string v = "m" + std::to_string(op);
            CHECK_OK(p.lsmt()->Merge(wo, k, v));
            CHECK_OK(p.skip()->Merge(wo, k, v));
            ModelMerge(&m, k, v);
        } else if (r < 72 && cfg.range_deletes) {
            std::string e = Key(rng, space);
            if (cfg.cmp->Compare(k, e) > 0)
                std::swap(k, e);
            CHECK_OK(p.lsmt()->DeleteRange(wo, p.lsmt()->DefaultColumnFamily(), k, e));
            CHECK_OK(p.skip()->DeleteRange(wo, p.skip()->DefaultColumnFamily(), k, e));
            ModelDeleteRange(&m, k, e);
        } else if (r < 82) {
            // a batch: several ops, some on the same key (one sequence each)
            WriteBatch b;
            int n = 2 + static_cast<int>(rng() % 8);
            for (int i = 0; i < n; i++) {
                std::string bk = (rng() % 3 == 0) ? k : Key(rng, space);
                unsigned t = static_cast<unsigned>(rng() % 3);
                std::string v = "b" + std::to_string(op) + "." + std::to_string(i);
                if (t == 0) {
                    CHECK_OK(b.Put(bk, v));
                    m[bk] = v;
                } else if (t == 1) {
                    CHECK_OK(b.Delete(bk));
                    m.erase(bk);
                } else {
                    CHECK_OK(b.Merge(bk, v));
                    ModelMerge(&m, bk, v);
                }
            }
            WriteBatch b2(b);
            CHECK_OK(p.lsmt()->Write(wo, &b));
            CHECK_OK(p.skip()->Write(wo, &b2));
        } else if (r < 97) {
            std::string w = ModelRead(m, k);
            CHECK_MSG(Read(p.lsmt(), k) == w, "lsmt get " + k + " at op " + std::to_string(op));
            CHECK_MSG(Read(p.skip(), k) == w, "skip get " + k);
        } else if (r < 99) {
            if (snaps.size() < 4) {
                snaps.push_back(Snap{p.lsmt()->GetSnapshot(), p.skip()->GetSnapshot(), m});
            } else {
                Snap &s = snaps[rng() % snaps.size()];
                KV want = ModelScan(s.m);
                CHECK_MSG(Scan(p.lsmt(), s.l) == want, "lsmt snapshot scan");
                CHECK_MSG(Scan(p.skip(), s.s) == want, "skip snapshot scan");
                for (int i = 0; i < 10; i++) {
                    std::string sk = Key(rng, space);
                    CHECK_MSG(Read(p.lsmt(), sk, s.l) == ModelRead(s.m, sk), "lsmt snapshot get");
                }
                std::string a = Key(rng, space), bnd = Key(rng, space);
                if (cfg.cmp->Compare(a, bnd) > 0)
                    std::swap(a, bnd);
                CheckBoundedIterators(p.lsmt(), s.m, a, bnd, rng, s.l, "lsmt@snapshot");
                p.lsmt()->ReleaseSnapshot(s.l);
                p.skip()->ReleaseSnapshot(s.s);
                s = snaps.back();
                snaps.pop_back();
            }
        } else {
            CheckEverything(p, m, rng, cfg);
        }
        if (op == ops / 3 || op == 2 * ops / 3) {
            for (Snap &s : snaps) {
                p.lsmt()->ReleaseSnapshot(s.l);
                p.skip()->ReleaseSnapshot(s.s);
            }
            snaps.clear();
            p.Reopen(); // the active memtables come back from the WAL, into lsmt
            CheckEverything(p, m, rng, cfg);
        }
    }
    for (Snap &s : snaps) {
        p.lsmt()->ReleaseSnapshot(s.l);
        p.skip()->ReleaseSnapshot(s.s);
    }
    CheckEverything(p, m, rng, cfg);
    lsmt_rocksdb::LsmtRepStats st = p.Stats();
    std::printf("  %s: %" PRIu64 " memtables (%" PRIu64 " bytewise, %" PRIu64 " generic, %" PRIu64
                " fallback), arenas created %" PRIu64 ", reused %" PRIu64 "\n",
                tag, st.reps_created, st.reps_bytewise, st.reps_generic, st.reps_fallback,
                st.arenas_created, st.arenas_reused);
    CHECK_MSG(st.reps_created >= MinMemtables(), "the workload should rotate dozens of memtables");
    CHECK(st.reps_fallback == 0);
    CHECK(st.get_fallbacks == 0);
    // steady state: arenas are recycled, not mapped per memtable
    CHECK_MSG(st.arenas_created <= 12, "arenas created: " + std::to_string(st.arenas_created));
    if (cfg.cmp == rocksdb::BytewiseComparator()) {
        CHECK(st.reps_bytewise == st.reps_created && st.reps_generic == 0);
    } else {
        CHECK(st.reps_generic == st.reps_created && st.reps_bytewise == 0);
    }
}

// ---- concurrent writers ---------------------------------------------------------------------
void RunThreads()
{
    Config cfg;
    Pair p(cfg, "threads");
    const int kWriters = 4;
    const long per = Ops(6000);
    std::vector<Model> models(kWriters, Model(ModelLess{cfg.cmp}));
    std::atomic<bool> stop{false};
    std::atomic<long> scans{0};
    // A reader scanning the lsmt DB while the writers run: keys strictly ascending and
    // every value well formed (never a torn or foreign entry).
    std::thread reader([&] {
        while (!stop.load(std::memory_order_acquire)) {
            std::unique_ptr<rocksdb::Iterator> it(p.lsmt()->NewIterator(ReadOptions()));
            std::string prev;
            bool first = true;
            for (it->SeekToFirst(); it->Valid(); it->Next()) {
                std::string k = it->key().ToString();
                CHECK_MSG(first || k > prev, "concurrent scan out of order");
                CHECK_MSG(k.size() == 7 && k[0] == 't', "concurrent scan: bad key " + k);
                prev = k;
                first = false;
            }
            CHECK_OK(it->status());
            scans.fetch_add(1);
        }
    });
    std::vector<std::thread> ws;
    for (int t = 0; t < kWriters; t++) {
        ws.emplace_back([&, t] {
            std::mt19937_64 rng(1000 + t);
            Model &m = models[t];
            for (long op = 0; op < per; op++) {
                char kb[16];
                std::snprintf(kb, sizeof kb, "t%d-%04d", t, static_cast<int>(rng() % 2000));
                std::string k = kb;
                unsigned r = static_cast<unsigned>(rng() % 10);
                WriteOptions wo;
                wo.memtable_insert_hint_per_batch = (t % 2) == 1;
                if (r < 5) {
                    std::string v = Value(rng, static_cast<uint64_t>(op));
                    CHECK_OK(p.lsmt()->Put(wo, k, v));
                    CHECK_OK(p.skip()->Put(wo, k, v));
                    m[k] = v;
                } else if (r < 6) {
                    CHECK_OK(p.lsmt()->Delete(wo, k));
                    CHECK_OK(p.skip()->Delete(wo, k));
                    m.erase(k);
                } else if (r < 7) {
                    std::string v = std::to_string(op);
                    CHECK_OK(p.lsmt()->Merge(wo, k, v));
                    CHECK_OK(p.skip()->Merge(wo, k, v));
                    ModelMerge(&m, k, v);
                } else {
                    WriteBatch b;
                    for (int i = 0; i < 8; i++) {
                        std::snprintf(kb, sizeof kb, "t%d-%04d", t, static_cast<int>(rng() % 2000));
                        std::string v = "b" + std::to_string(op) + "." + std::to_string(i);
                        CHECK_OK(b.Put(kb, v));
                        m[kb] = v;
                    }
                    WriteBatch b2(b);
                    CHECK_OK(p.lsmt()->Write(wo, &b));
                    CHECK_OK(p.skip()->Write(wo, &b2));
                }
                // read-your-writes through the memtables
                CHECK_MSG(Read(p.lsmt(), k) == ModelRead(m, k), "read-your-writes " + k);
            }
        });
    }
    for (auto &w : ws)
        w.join();
    stop.store(true, std::memory_order_release);
    reader.join();
    Model all(ModelLess{cfg.cmp});
    for (auto &m : models)
        all.insert(m.begin(), m.end());
    KV want = ModelScan(all);
    CHECK_MSG(Scan(p.lsmt()) == want, "lsmt DB after concurrent writers != model");
    CHECK_MSG(Scan(p.skip()) == want, "skip DB after concurrent writers != model");
    p.Reopen();
    CHECK_MSG(Scan(p.lsmt()) == want, "lsmt DB after reopen != model");
    lsmt_rocksdb::LsmtRepStats st = p.Stats();
    std::printf("  threads: %" PRIu64 " memtables, %ld concurrent scans\n", st.reps_created,
                scans.load());
    CHECK(st.reps_created >= MinMemtables());
    CHECK(st.reps_bytewise == st.reps_created);
}

// ---- a memtable larger than its arena: the rep must make RocksDB rotate -------------------
void RunFull()
{
    Config cfg;
    cfg.write_buffer = 64 << 20;                     // RocksDB alone would never flush here
    cfg.lsmt_spec = "lsmt:arena_mib=1;chunk_kib=64"; // but 1 MiB arenas fill up
    Pair p(cfg, "full");
    Model m(ModelLess{cfg.cmp});
    std::mt19937_64 rng(7);
    WriteOptions wo;
    const long n = 40000; // not scaled: 1 MiB arenas must fill several times
    for (long i = 0; i < n; i++) {
        std::string k = Key(rng, 100000);
        std::string v(100, static_cast<char>('a' + i % 26));
        CHECK_OK(p.lsmt()->Put(wo, k, v));
        CHECK_OK(p.skip()->Put(wo, k, v));
        m[k] = v;
    }
    CHECK_MSG(Scan(p.lsmt()) == ModelScan(m), "full: lsmt DB != model");
    lsmt_rocksdb::LsmtRepStats st = p.Stats();
    std::printf("  full: %" PRIu64 " memtables, %" PRIu64 " full reports\n", st.reps_created,
                st.full_reports);
    CHECK(st.full_reports >= 2);
    CHECK(st.reps_created >= 3);
}

// ---- ApproximateNumEntries through GetApproximateMemTableStats -------------------------------
void RunStatsRange()
{
    Config cfg;
    cfg.write_buffer = 256 << 20; // everything stays in the memtable
    Pair p(cfg, "stats");
    WriteOptions wo;
    for (int i = 0; i < 5000; i++) {
        char kb[16];
        std::snprintf(kb, sizeof kb, "k%05d", i * 2);
        CHECK_OK(p.lsmt()->Put(wo, kb, "v"));
    }
    uint64_t count = 0, size = 0;
    rocksdb::Range r("k01000", "k02000"); // k01000 .. k01998: 500 keys
    p.lsmt()->GetApproximateMemTableStats(p.lsmt()->DefaultColumnFamily(), r, &count, &size);
    CHECK_MSG(count == 500, "approximate count " + std::to_string(count));
    rocksdb::Range none("x", "y");
    p.lsmt()->GetApproximateMemTableStats(p.lsmt()->DefaultColumnFamily(), none, &count, &size);
    CHECK(count == 0);
}

// ---- options strings and bad input -----------------------------------------------------------
void RunOptions()
{
    using lsmt_rocksdb::LsmtRepOptions;
    LsmtRepOptions o;
    std::string err;
    CHECK(lsmt_rocksdb::ParseLsmtRepOptions("lsmt", &o, &err));
    CHECK(o.shards == 0 && o.arena_mib == 4096 && o.huge_pages);
    CHECK(lsmt_rocksdb::ParseLsmtRepOptions(
        "lsmt:shards=3;huge_pages=false;arena_mib=128;chunk_kib=64;max_idle=2;finger_kib=0;"
        "comparator=generic",
        &o, &err));
    CHECK(o.shards == 3 && !o.huge_pages && o.arena_mib == 128 && o.chunk_kib == 64 &&
          o.max_idle == 2 && o.finger_kib == 0 &&
          o.comparator == lsmt_rocksdb::ComparatorMode::kGeneric);
    CHECK(lsmt_rocksdb::ParseLsmtRepOptions("id=lsmt;shards=2", &o, &err) && o.shards == 2);
    // bad input: a reason, nothing created
    const char *bad[] = {"lsmt:shards=x",
                         "lsmt:nosuch=1",
                         "lsmt:arena_mib=0",
                         "lsmt:arena_mib=16384",
                         "lsmt:chunk_kib=3",
                         "lsmt:shards=257",
                         "lsmt:huge_pages=yes",
                         "lsmt:comparator=no",
                         "skip_list",
                         "lsmt:shards",
                         "lsmt:=1",
                         "",
                         "lsmt:chunk_kib=4096;arena_mib=1"};
    for (const char *b : bad) {
        err.clear();
        CHECK_MSG(lsmt_rocksdb::NewLsmtRepFactory(std::string(b), &err) == nullptr, b);
        CHECK_MSG(!err.empty(), b);
    }
    CHECK(lsmt_rocksdb::ParseLsmtRepOptions("lsmt", nullptr, &err) == false);
    LsmtRepOptions badopt;
    badopt.arena_mib = 0;
    CHECK(lsmt_rocksdb::NewLsmtRepFactory(badopt, &err) == nullptr);
    CHECK(!lsmt_rocksdb::GetLsmtRepStats(nullptr, nullptr));
    rocksdb::SkipListFactory skip;
    lsmt_rocksdb::LsmtRepStats st;
    CHECK(!lsmt_rocksdb::GetLsmtRepStats(&skip, &st));

    // Through RocksDB's own resolution (what db_bench --memtablerep does).
    rocksdb::ConfigOptions co;
    co.ignore_unsupported_options = false;
    co.ignore_unknown_options = false;
    std::unique_ptr<rocksdb::MemTableRepFactory> f;
    CHECK_OK(rocksdb::MemTableRepFactory::CreateFromString(co, "lsmt", &f));
    CHECK(f != nullptr && std::string(f->Name()) == "LsmtRepFactory");
    CHECK(f != nullptr && f->IsInsertConcurrentlySupported());
    CHECK_OK(rocksdb::MemTableRepFactory::CreateFromString(co, "LsmtRepFactory", &f));
    CHECK_OK(rocksdb::MemTableRepFactory::CreateFromString(
        co, "id=lsmt;shards=2;arena_mib=256;comparator=generic", &f));
    CHECK(f != nullptr && lsmt_rocksdb::GetLsmtRepStats(f.get(), &st));
    CHECK(!rocksdb::MemTableRepFactory::CreateFromString(co, "id=lsmt;nosuch=1", &f).ok());
    CHECK(!rocksdb::MemTableRepFactory::CreateFromString(co, "id=lsmt;arena_mib=0", &f).ok());
    // RocksDB splits any string with '=' into options before looking up the id, so the
    // "lsmt:k=v" spelling reaches no factory through CreateFromString (README).
    CHECK(!rocksdb::MemTableRepFactory::CreateFromString(co, "lsmt:shards=2", &f).ok());

    // A column-family options string.
    rocksdb::ColumnFamilyOptions cfo;
    CHECK_OK(rocksdb::GetColumnFamilyOptionsFromString(
        co, rocksdb::ColumnFamilyOptions(), "memtable_factory={id=lsmt;shards=1}", &cfo));
    CHECK(cfo.memtable_factory != nullptr &&
          std::string(cfo.memtable_factory->Name()) == "LsmtRepFactory");
}

// ---- transactions: every write policy, including the seq_per_batch ones (WritePrepared,
// WriteUnprepared), which write one key twice under one sequence number and rely on the
// memtable refusing the second <key, seq> whatever its type (core.h) ---------------------
void TransactionRound(rocksdb::TransactionDB *db)
{
    std::unique_ptr<rocksdb::Transaction> tx(db->BeginTransaction(WriteOptions()));
    CHECK_OK(tx->Put("k", "v1"));
    CHECK_OK(tx->Delete("k"));
    CHECK_OK(tx->Put("j", "a"));
    CHECK_OK(tx->Put("j", "b"));
    CHECK_OK(tx->Put("i", "x"));
    CHECK_OK(tx->Commit());
    std::string v;
    CHECK(db->Get(ReadOptions(), "k", &v).IsNotFound());
    CHECK_OK(db->Get(ReadOptions(), "j", &v));
    CHECK(v == "b");
    CHECK_OK(db->Get(ReadOptions(), "i", &v));
    CHECK(v == "x");
    // a second transaction over the same keys, then a scan: the memtable keeps one
    // visible version per key
    tx.reset(db->BeginTransaction(WriteOptions()));
    CHECK_OK(tx->Delete("j"));
    CHECK_OK(tx->Put("k", "v2"));
    CHECK_OK(tx->Put("k", "v3"));
    CHECK_OK(tx->Commit());
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ReadOptions()));
    std::string seen;
    for (it->SeekToFirst(); it->Valid(); it->Next())
        seen += it->key().ToString() + "=" + it->value().ToString() + ";";
    CHECK_OK(it->status());
    CHECK_MSG(seen == "i=x;k=v3;", seen);
}

void RunTransactions()
{
    std::string dir = TempDir("txn");
    Options o;
    o.create_if_missing = true;
    o.memtable_factory.reset(lsmt_rocksdb::NewLsmtRepFactory());
    CHECK(o.memtable_factory->CanHandleDuplicatedKey());
    int n = 0;
    for (auto policy :
         {rocksdb::TxnDBWritePolicy::WRITE_COMMITTED, rocksdb::TxnDBWritePolicy::WRITE_PREPARED,
          rocksdb::TxnDBWritePolicy::WRITE_UNPREPARED}) {
        rocksdb::TransactionDBOptions t;
        t.write_policy = policy;
        rocksdb::TransactionDB *db = nullptr;
        CHECK_OK(rocksdb::TransactionDB::Open(o, t, dir + "/p" + std::to_string(n++), &db));
        if (db != nullptr)
            TransactionRound(db);
        delete db;
    }
    RemoveDir(dir);
}

} // namespace

int main(int argc, char **argv)
{
    // What the shared library does at load, for this statically linked test.
    lsmt_rocksdb::RegisterLsmtRepFactory(*rocksdb::ObjectLibrary::Default());
    std::vector<harness::Case> cases = {
        {"bytewise", [] { RunRandom(Config(), "bytewise", 11, Ops(30000)); }},
        {"reverse",
         [] {
             Config c;
             c.cmp = rocksdb::ReverseBytewiseComparator();
             RunRandom(c, "reverse", 12, Ops(30000));
         }},
        {"custom",
         [] {
             static MyBytewise mine;
             Config c;
             c.cmp = &mine;
             RunRandom(c, "custom", 13, Ops(30000));
         }},
        {"hints",
         [] {
             Config c;
             c.hint_extractor = true;
             c.range_deletes = false;
             RunRandom(c, "hints", 14, Ops(30000));
         }},
        {"mempurge",
         [] {
             Config c;
             c.mempurge = true;
             RunRandom(c, "mempurge", 15, Ops(30000));
         }},
        {"protection",
         [] {
             Config c;
             c.protection_bytes = 8;
             RunRandom(c, "protection", 16, Ops(30000));
         }},
        {"threads", RunThreads},
        {"full", RunFull},
        {"stats_range", RunStatsRange},
        {"options", RunOptions},
        {"transactions", RunTransactions},
    };
    return harness::Run(cases, argc, argv);
}
