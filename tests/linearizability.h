/* A linearizability checker for histories of memtable operations (tests only).
 *
 * A history is a set of completed operations, each with an invocation time `call` and a
 * response time `ret` (call < ret, from one global clock) and what it returned. The
 * checker decides whether some total order of the operations (1) respects real time:
 * an operation that returned before another was invoked comes first, and (2) is a
 * legal run of the sequential specification below. The search is Wing & Gong's,
 * with Lowe's memoisation: a partial linearization is identified by the SET of
 * operations already placed (the specification's state is a function of that set,
 * because gets do not change the state and writes commute: see the spec), so a set seen
 * once is never explored again. Linearizability is local (Herlihy & Wing), so the
 * history is partitioned by key and each key is checked on its own.
 *
 * Range deletes (LIN_RDEL) touch several keys at once. The checker projects one onto
 * every key of the history it covers (key <= k < key_end) and checks each key's
 * projection on its own. That is a NECESSARY condition for the multi-key history to be
 * linearizable, not a sufficient one: a history where key a needs the range delete
 * placed before some operation and key b needs it placed after it passes. It catches
 * every anomaly a single get can show (a get reads one key), which is what the
 * memtable's gets promise.
 *
 * Sequential specification of one key of a memtable (a multi-version map):
 *   state: a set V of versions (seq, type, value); initially empty.
 *   PUT(seq, value) -> LSMT_OK     legal iff no version with `seq` is in V; adds it.
 *                   -> LSMT_EXISTS legal iff a version with `seq` is in V; no change.
 *                   -> any other status: the write failed (FULL, FROZEN, BUSY...):
 *                      legal, no change ("a failed write leaves no trace").
 *   DEL(seq)        as PUT, adding a tombstone.
 *   RDEL(seq)       (projected: the range covers the key) state also holds a set R of
 *                   range tombstones (begin, seq), apart from V (a range tombstone may
 *                   share its seq with a point version: lsmt/range_del.h R2):
 *                   -> LSMT_OK legal iff no (begin, seq) in R; adds it;
 *                   -> LSMT_EXISTS legal iff (begin, seq) in R; no change;
 *                   -> any other status: failed, legal, no change.
 *   GET(snapshot)   let v = the version of V with the largest seq <= snapshot and
 *                   r = the largest seq <= snapshot in R: if r exists and (no v or
 *                   r > v.seq) -> LSMT_DELETED with r (R3: a range tombstone hides
 *                   versions strictly below its seq; the get reports the tombstone's
 *                   seq). Otherwise: no v -> LSMT_NOT_FOUND; a tombstone ->
 *                   LSMT_DELETED with v.seq; a put -> LSMT_OK with v.seq and v.value.
 *                   Anything else is illegal.
 *
 * Limits: at most LIN_MAX_OPS_PER_KEY operations per key (the placed set is a bitmask);
 * the search is exponential only in the number of mutually concurrent operations, which
 * short histories keep small. A per-check budget of explored states bounds the time;
 * exhausting it is reported as LIN_UNKNOWN, never as a verdict. */
#ifndef LSMT_TESTS_LINEARIZABILITY_H
#define LSMT_TESTS_LINEARIZABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIN_MAX_OPS_PER_KEY 64
/* lin_op.seq_out of a GET whose call reports no sequence: any matches. */
#define LIN_SEQ_ANY         UINT64_MAX

typedef enum lin_kind { LIN_PUT, LIN_DEL, LIN_GET, LIN_RDEL } lin_kind;

typedef struct lin_op {
    uint32_t key; /* partition: operations on different keys never interact; RDEL: the
                   * range's begin */
    lin_kind kind;
    uint64_t seq;     /* PUT/DEL/RDEL: the write's sequence number; GET: the snapshot */
    uint64_t value;   /* PUT: the value written (an id); GET returning OK: value read */
    int status;       /* the lsmt_status the call returned */
    uint64_t seq_out; /* GET returning OK or DELETED: sequence of the version read, or
                       * LIN_SEQ_ANY when the call reports none (multi_get) */
    uint64_t call;    /* invocation time */
    uint64_t ret;     /* response time; call < ret */
    uint32_t thread;  /* who ran it (diagnostics only) */
    /* RDEL only: the range is the keys k with key <= k < key_end (key < key_end, else
     * LIN_BAD_HISTORY); it belongs to the partition of every such key that has an
     * operation in the history. Keys are compared as numbers, so a test must number
     * its keys in the memtable comparator's order. Other kinds: ignored (0). */
    uint32_t key_end;
} lin_op;

typedef enum lin_verdict {
    LIN_OK = 0,      /* linearizable */
    LIN_VIOLATION,   /* no linearization exists: `key` names the offending partition */
    LIN_UNKNOWN,     /* search budget exhausted or a partition too large (no verdict) */
    LIN_BAD_HISTORY, /* malformed input (call >= ret, unknown kind, empty RDEL range) */
} lin_verdict;

typedef struct lin_report {
    lin_verdict verdict;
    uint32_t key;           /* the first key that failed (VIOLATION/UNKNOWN/BAD_HISTORY) */
    size_t keys_checked;    /* partitions examined */
    size_t states_explored; /* total search nodes over all partitions */
} lin_report;

/* Check `n` operations (any order; not modified). `budget` bounds the states explored
 * per key (0 = 1,000,000). Returns the verdict, also stored in *report (may be NULL). */
lin_verdict lin_check(const lin_op *ops, size_t n, size_t budget, lin_report *report);

/* Print `ops` of `key` (with the RDELs covering it) ordered by call time, one per line,
 * to stderr (diagnostics). */
void lin_dump_key(const lin_op *ops, size_t n, uint32_t key);

#endif
