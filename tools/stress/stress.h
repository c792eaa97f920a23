/* memtable-stress: a torture test of lsmt_memtable inside a small engine model.
 * This header is internal to the tool (tools/stress/); docs/RELIABILITY.md describes
 * the tool for its users.
 *
 * Design
 *   The tool plays a storage engine: one ACTIVE memtable takes the writes, FROZEN
 *   ("immutable") memtables wait for their flush, flushed memtables are reset_all'd and
 *   kept in a free list for reuse (or destroyed, their arena going back to an
 *   lsmt_arena_pool). All of this runs at once:
 *     writers    puts, deletes and write batches; sequence numbers from one counter
 *                (writer.c)
 *     readers    engine reads (active, then frozen newest first, then the "SST") with
 *                get and multi_get at the latest or an older snapshot (reader.c)
 *     iterators  bounded scans of one memtable: seek/next forward, seek_for_prev/prev
 *                backward, internal and snapshot kinds (scan.c)
 *     rotation   freeze the active memtable, install a fresh one, flush-iterate the
 *                frozen one, reset_all it and return it to the free list (rotation.c)
 *     probe      gets and iterators on ANY memtable, with no engine lock, so they race
 *                with freeze and reset_all (they check only what the API promises then)
 *                (probe.c)
 *
 *   The engine's view (which memtable is active, the frozen list) is guarded by a
 *   writer-preferring rwlock: writers, readers and iterators hold it shared for one
 *   operation, the rotation takes it exclusively only to install a memtable and to
 *   retire a flushed one. So freeze, the flush iteration and every memtable call run
 *   concurrently with the others; only the view switch is atomic (engine.c).
 *
 * Values (value.c)
 *   Every value encodes its key id, its sequence number, the INCARNATION of the
 *   memtable it was written to (a counter bumped each time a memtable is installed as
 *   active, so a value from before a reset_all is recognised) and its length, then a
 *   payload derived from the sequence number, then an xxh3 checksum of all of it:
 *       u32 key | u64 seq | u32 incarnation | u32 len | payload | u64 xxh3(seed = key)
 *   The length is a function of the sequence number. A torn, misplaced or stale value
 *   fails the decode.
 *
 * Expected state (oracle.c; as RocksDB's db_stress): per key, under a mutex, a ring of
 *   its latest RING versions in sequence order, each PENDING (write in flight),
 *   COMMITTED (the call returned LSMT_OK), FAILED (it returned an error: must leave no
 *   trace) or FLUSHED (its memtable was flushed: it now lives in the "SST", which this
 *   model serves from the ring). A write registers PENDING and takes its sequence number
 *   under the key's mutex, so a key's ring is ordered by sequence. A read computes,
 *   before it starts, the newest COMMITTED/FLUSHED version at its snapshot (what it MUST
 *   at least see) and judges the answer afterwards (an in-flight write may or may not be
 *   seen). Versions older than the ring make a check unjudgeable: it is then skipped and
 *   counted, never guessed.
 *
 * Invariants checked (each violation prints a diagnostic; the exit status is then 1):
 *   V1 read-your-writes: a read at snapshot s sees a version >= the newest version
 *      <= s committed before it started.
 *   V2 monotonic reads: a reader never sees an older version than it saw before at a
 *      snapshot that covers both.
 *   V3 a snapshot never shows a version above its sequence number.
 *   V4 values are intact: key, sequence, incarnation, length and checksum agree; the
 *      version exists and did not fail; its type matches (OK <-> put, DELETED <-> delete).
 *   V5 iteration is strictly ordered, stays inside its bounds and never misses a
 *      version (internal) / a visible key (snapshot) committed before it started.
 *   V6 the flush iterator of a frozen memtable yields exactly the acknowledged writes.
 *   V7 after reset_all the memtable is empty: nothing read comes from before it.
 *   V8 statuses are the documented ones (e.g. a write to a frozen memtable is FROZEN,
 *      a unique sequence number is never EXISTS, validate is OK).
 *
 * The rest of the tool: options.c (flags, defaults, the printed configuration),
 * report.c (violations and the summary), inject.c (fault and yield injection),
 * selftest.c (the sabotage that proves the checks can fail), main.c (setup, the run,
 * the final flush, teardown).
 */
#ifndef LSMT_TOOLS_STRESS_H
#define LSMT_TOOLS_STRESS_H

#include "lsmt/memtable.h"
#include "lsmt/range_del.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MAX_THREADS    16
#define NSLOTS         4 /* memtables: 1 active, up to MAX_IMM frozen, the rest spare */
#define MAX_IMM        2
#define RING           64 /* versions kept per key in the expected-state table */
#define KEY_LEN        8
#define VAL_HDR        20 /* key, seq, incarnation, len */
#define VAL_MIN        (VAL_HDR + 8)
#define MAX_BATCH      40 /* > 32: the duplicate check's chunk, so a batch can span two */
#define MAX_VIOLATIONS 20

/* ---- configuration (options.c) ---------------------------------------------------------- */
typedef struct config {
    unsigned writers, readers, iterators, probes;
    unsigned keys;
    double duration; /* seconds; 0 = until --ops */
    uint64_t ops;    /* total operations; 0 = until --duration */
    uint64_t seed;
    size_t buffer; /* write_buffer_size of each memtable */
    size_t value_max;
    uint64_t seq_base; /* first sequence number */
    double rotate_ms;  /* rotate at least this often (plus whenever should_flush) */
    int yield;         /* yield injection: sched_yield in race windows */
    double fault_rate; /* fault injection: probability that a map/discard fails */
    int verbose;
    int sabotage;   /* self-test: 1 lost write, 2 stale value, 3 skipped reset */
    int hash_index; /* --hash-index: memtables of slots 0 and 3 with the hash index */
    /* fraction of writer ops that are range deletes (range.c) */
    double delete_range;
} config;

/* Written by options_parse before any thread starts; read-only afterwards. */
extern config C;

/* Parses argv into C and validates it. Returns -1 to run, else the exit status (0 for
 * --help, 2 for a usage error; the usage was printed). */
int options_parse(int argc, char **argv);
/* Prints the configuration, the seed and the `repeat:` command line. */
void options_print(const char *argv0);

/* ---- counters (per thread, summed at the end by report.c) ------------------------------- */
typedef struct counters {
    uint64_t puts, deletes, batches, batch_records, write_full, write_frozen, write_nomem;
    uint64_t gets, multigets, found, deleted, not_found, sst_hits, unjudged;
    uint64_t iters, iter_steps, probe_gets, probe_iters, probe_busy;
    uint64_t rotations, resets, reset_busy, flushed_entries, destroyed, create_nomem;
    uint64_t range_deletes;
} counters;

/* ---- global run state (main.c) ---------------------------------------------------------- */
extern _Atomic int g_stop;          /* relaxed: a stop request; threads just finish soon */
extern _Atomic uint64_t g_seq_next; /* relaxed: hands out distinct numbers; ordering of the
                                     * expected state comes from the key mutexes */
extern _Atomic uint64_t g_ops;      /* relaxed: approximate progress for --ops */

static inline int stopping(void)
{
    return atomic_load_explicit(&g_stop, memory_order_relaxed);
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- random numbers ------------------------------------------------------------------- */
static inline uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint64_t rnd(uint64_t *s, uint64_t n)
{
    return n ? splitmix(s) % n : 0;
}

/* --yield: a sched_yield in one race window of four (the tool's own windows; inject.c
 * has the one inside the skip list). */
static inline void maybe_yield(uint64_t *rs)
{
    if (C.yield && rnd(rs, 4) == 0)
        sched_yield();
}

/* ---- violations and the summary (report.c) ----------------------------------------------- */
/* Prints "VIOLATION [who] ..." and counts it; MAX_VIOLATIONS of them stop the run. */
void violation(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int violations(void);

/* ---- keys and values (value.c) ------------------------------------------------------------ */
void key_make(char *buf, uint32_t k);
int key_parse(const void *key, size_t klen, uint32_t *k);
size_t value_make(uint8_t *buf, uint32_t key, uint64_t seq, uint32_t inc);
const char *value_check(const void *v, size_t vlen, uint32_t key, uint64_t seq, uint32_t inc);
uint64_t value_seq(const void *v);

/* ---- expected state (oracle.c) ------------------------------------------------------------ */
enum { V_PENDING = 1, V_COMMITTED, V_FAILED, V_FLUSHED };
/* ver.type of a key's version written by a range delete (range.c): read as a tombstone,
 * never shown by an internal iterator. */
#define VT_RANGE 2
extern const char *const state_name[];

typedef struct ver {
    uint64_t seq;
    uint32_t inc;  /* incarnation of the memtable it was written to */
    uint8_t type;  /* lsmt_entry_type */
    uint8_t state; /* V_* */
} ver;

typedef struct khist {
    pthread_mutex_t mu;
    uint64_t appended; /* versions ever appended; ring[(appended - 1) % RING] is newest */
    ver ring[RING];
} khist;

extern khist *g_hist; /* C.keys entries; each under its own mu */

static inline size_t hist_len(const khist *h)
{
    return h->appended < RING ? h->appended : RING;
}
/* i-th retained version, 0 = oldest. */
static inline ver *hist_at(khist *h, size_t i)
{
    return &h->ring[(h->appended - hist_len(h) + i) % RING];
}
ver *hist_find(khist *h, uint64_t seq);
int hist_truncated(khist *h, uint64_t s, uint32_t min_inc);
ver *hist_newest(khist *h, uint64_t s, unsigned mask, uint32_t inc);

void oracle_init(void);
void oracle_destroy(void);
/* REQUIRES: keys[0..n) distinct and ascending. Returns 0 (nothing registered) when a
 * ring slot to reuse is still PENDING, else 1 with *first the first of n sequence
 * numbers, registered PENDING for keys[i] at *first + i. */
int oracle_register(const uint32_t *keys, const uint8_t *types, unsigned n, uint32_t inc,
                    uint64_t *first);
/* The outcome of the write registered at first: COMMITTED when st is LSMT_OK, else FAILED. */
void oracle_settle(const uint32_t *keys, unsigned n, uint64_t first, lsmt_status st);

/* ---- the engine (engine.c) ---------------------------------------------------------------- */
typedef struct ack {
    uint64_t seq;
    uint32_t key;
    uint32_t type;
} ack;
typedef struct ack_vec {
    ack *v;
    size_t n, cap;
} ack_vec;

enum { S_EMPTY = 0, S_FREE, S_ACTIVE, S_FROZEN };

typedef struct slot {
    lsmt_memtable *mt; /* written under life_mu (and the engine lock); probes read
                        * it under life_mu */
    pthread_mutex_t life_mu;
    uint32_t inc;              /* incarnation while ACTIVE/FROZEN; engine lock */
    int state;                 /* S_*; engine lock */
    ack_vec acks[MAX_THREADS]; /* acknowledged writes per writer; the writer appends
                                * holding the engine lock shared, the rotation reads
                                * them after retiring the memtable exclusively */
    /* acknowledged range deletes (ack.key = lo, ack.type = n), the same way (range.c) */
    ack_vec racks[MAX_THREADS];
} slot;

typedef struct engine {
    pthread_rwlock_t lock;
    slot slots[NSLOTS];
    int active;
    int imm[MAX_IMM]; /* frozen memtables, newest first */
    int nimm;
    uint32_t inc_counter;
    lsmt_arena_pool *pool;
    pthread_mutex_t rot_mu; /* with rot_cv: writers nudge the rotation thread */
    pthread_cond_t rot_cv;
    int rot_wanted;
    pthread_cond_t installed_cv; /* with rot_mu: broadcast when a memtable is installed */
    uint32_t installed_inc;      /* rot_mu: incarnation of the newest active memtable */
} engine;

extern engine E;

/* The engine view a reader or iterator works on (copied under the shared lock). */
typedef struct view {
    int n;
    int slot[1 + MAX_IMM];
    uint32_t inc[1 + MAX_IMM];
    lsmt_memtable *mt[1 + MAX_IMM];
} view;

/* Creates the pool (with the faulty backing when --fault-rate) and the first active
 * memtable. Returns 0, or 2 after printing why. */
int engine_init(void);
void engine_destroy(void);
lsmt_status slot_create(int i);
/* A writer asks the rotation thread for a rotation. */
void nudge_rotation(void);
/* A writer refused by memtable `inc` (FULL, FROZEN) asks for a rotation and waits, a few
 * milliseconds at most, for a newer memtable. */
void wait_rotation(uint32_t inc);
/* The rotation thread: wait up to 2 ms for a nudge; returns whether there was one. */
int rotation_wait(void);
/* The rotation thread: memtable `inc` is now active (wakes wait_rotation). */
void rotation_installed(uint32_t inc);
/* REQUIRES: the engine lock held (shared is enough). */
void view_take(view *v);
uint64_t pick_snapshot(uint64_t *rs);

/* ---- threads ------------------------------------------------------------------------------ */
typedef struct thr {
    pthread_t th;
    unsigned idx; /* index among its kind */
    uint64_t rs;
    counters c;
    uint64_t *last_seen; /* readers: V2 */
    char name[24];
} thr;

/* writer.c: count a write refused with FULL, FROZEN (both wait for the rotation) or
 * NOMEM and return true; false for any other status. */
bool writer_refused(thr *t, lsmt_status st, uint32_t inc);

/* report.c: prints the summary of the threads' counters (summed); returns the number of
 * violations. */
int report_summary(const thr *th, unsigned nthr, double elapsed);

void *writer_main(void *arg);   /* writer.c */
void *reader_main(void *arg);   /* reader.c */
void *iterator_main(void *arg); /* scan.c */
void *probe_main(void *arg);    /* probe.c */
void *rotation_main(void *arg); /* rotation.c */
/* range.c: one range delete (a writer op); the flush check of a frozen memtable's range
 * deletes (V6); mark them FLUSHED and empty the logs (under the exclusive lock). */
void range_op(thr *t);
void range_flush_check(thr *t, slot *sl, lsmt_memtable *mt, uint32_t inc);
void range_retire(slot *sl);
/* Flush the oldest frozen memtable (V6, V7); the rotation thread, or main once the
 * others are joined. */
void flush_oldest(thr *t);

/* ---- iterator entries (scan.c; the probe and the flush read them too) ---------------------- */
typedef struct seen {
    uint32_t key;
    uint64_t seq;
    uint8_t type;
} seen;

/* Order of (key asc, seq desc), the memtable's: <0, 0, >0. */
int ent_cmp(uint32_t k1, uint64_t s1, uint32_t k2, uint64_t s2);
/* Reads the valid iterator's entry into *out, checking it (V4; V3 for a snapshot
 * iterator at snap; inc 0 = any incarnation). Returns 0 when it is unusable. */
int iter_read(thr *t, lsmt_memtable_iter *it, uint32_t inc, int snapshot_kind, uint64_t snap,
              seen *out);
/* An internal iterator over all of mt (the probe, the flush check, the reset check). */
lsmt_status iter_internal(lsmt_memtable *mt, lsmt_memtable_iter **it);

/* ---- fault and yield injection (inject.c) ------------------------------------------------- */
/* Installs the hooks --yield and --fault-rate ask for, and the faulty backing into the
 * pool's options. Before any thread starts. */
void inject_setup(lsmt_arena_pool_options *po);
uint64_t inject_faults(void);
uint64_t inject_carve_faults(void);
/* A --fault-rate run that injected nothing proved nothing: reported as a violation. */
void inject_check_coverage(void);

/* ---- self-tests (selftest.c) -------------------------------------------------------------- */
bool selftest_claim_lost_write(uint64_t *rs);
bool selftest_stale_value(uint64_t *rs, uint32_t inc);
bool selftest_skip_reset(uint64_t resets);

#endif
