/* The finger table's ranges (finger.h): which range of the table a key falls in, learned
 * from the list's own keys so that keys sharing a long prefix -- "user" + digits, a
 * counter padded with zeros, a table id, 96 bytes of path -- still spread over the whole
 * table.
 *
 * Until the list is large enough to need the table (SAMPLE_MIN keys on level 1), no key
 * has a range and every search starts at the head. Every insert of a node of height >=
 * ARM_NODE_HEIGHT (one in 256) tries to arm it, and the first that finds enough keys
 * does, once per reset epoch (finger_arm):
 *  - P = the prefix every key of the list shares then (the lcp of its first and last
 *    keys, at most FINGER_PREFIX_MAX bytes), D its length;
 *  - for the positions D, D + 1, ... (at most FINGER_POS of them) how often each byte
 *    value occurs there among the list's level-1 keys, from a walk over level 1.
 * A key that does not start with P has no range (its searches start at the head: it is
 * still found, just without the table's help). A key that does is placed as arithmetic
 * coding places a message: g(k) starts as the whole interval [0, 2^64); at each position
 * the interval is cut into one piece per byte value, in byte order, as wide as that
 * value's share of the sample there (where the sample is too thin to measure shares,
 * DENSE_MIN, equal for every value between the least and the greatest seen), and k's
 * byte picks its piece. The key's end stops the cutting (g = the interval's start), as
 * does an interval narrower than a sixteenth of a range; range(k) = g(k) * finger_n /
 * 2^64. Each range then holds about the same share of the list's keys, however unevenly
 * they use their bytes: YCSB's first digit is each of 1-8 four times as often as 9, and
 * pieces of equal width per value seen would leave most of 9's ranges empty and the
 * others fuller, so the walks from their finger nodes longer. A value with no share has
 * an empty piece (at the start of the next value's), which also stops the cutting.
 * When D = 0 and position 0 took most byte values (random keys), the pieces are nearly
 * equal and the map is flat instead: range(k) = (k's first 4 bytes, big-endian, zero
 * padded) * finger_n / 2^32, the same spread without the tables. A padded prefix is
 * monotone in the key, so the flat map keeps invariant F too; only where searches start
 * (speed) depends on the choice, made once when the map is armed.
 *
 * Invariant F needs range() monotone: k1 < k2 implies range(k1) <= range(k2). Up to the
 * first position where they differ both keys narrow the same interval [lo, lo + w) the
 * same way (and stop at the same point, if they stop before it). There k1 ends, and g(k1)
 * = lo <= g(k2); or k1's byte is below k2's, and k1's piece [lo + a1, lo + e1) ends at or
 * before k2's starts (pieces are cut at floor(w * cum / 2^32) for a cumulative share cum
 * that grows with the byte), and whatever happens after it, g(k1) stays in its piece
 * (or at its start when the piece is empty), so g(k1) <= lo + e1 <= lo + a2 <= g(k2).
 * Scaling by a constant keeps the order.
 *
 * Ranges are learned once: keys that later fall outside what was learned (a prefix P no
 * longer shared, byte values never seen) still map monotonically but can crowd into a
 * few ranges, so a search's walk from a finger node is bounded (search.h,
 * FINGER_WALK_MAX) and falls back to the head: a stale table costs a few steps, never
 * a long walk.
 *
 * The map is written once, by the arming insert (the one whose CAS took the state from
 * EMPTY to ARMING, and only once its sample is large enough), before the release store
 * that sets ARMED; searches load the state with acquire and only then read the map. */
#include <stdlib.h>

#include "skiplist/finger.h"

/* Keys of level 1 sampled for the byte values (a level-1 walk at arming time): at least
 * SAMPLE_MIN, or arming waits for a later tall insert. */
#define SAMPLE_MIN 1024
#define SAMPLE_MAX 8192

enum { MAP_EMPTY = 0, MAP_ARMING = 1, MAP_ARMED = 2 };

/* 128-bit products for the scaling (GCC and clang on 64-bit targets). */
__extension__ typedef unsigned __int128 u128;

struct finger_map {
    /* MAP_EMPTY -> MAP_ARMING (acquire CAS by the arming insert) -> MAP_ARMED (release
     * store), or back to MAP_EMPTY (release store) when its sample is too small; back
     * to MAP_EMPTY from ARMED only at reset, with no call in flight. */
    _Atomic uint32_t state;
    uint32_t plen; /* D */
    /* The keys share no prefix and their first bytes take (nearly) every value: the
     * pieces are then (nearly) equal, so range(k) is taken from k's first 4 bytes
     * (zero padded) scaled to finger_n -- monotone as well, spread alike, and with no
     * table to read (random keys, the common case, map most cheaply). */
    bool flat;
    uint64_t wmin; /* an interval narrower than this (a sixteenth of a range) stops */
    unsigned char prefix[FINGER_PREFIX_MAX];
    /* P's bytes 0..7 and 8..15 as big-endian words (load_prefix), and masks of the ones
     * P has (D of them): prefix_shared's first 16 bytes */
    uint64_t pword[2], pmask[2];
    /* cum[j][v]: the share of the sample whose byte at position D + j is below v, in
     * units of 2^-32 (capped at 2^32 - 1), so value v's piece is [cum[j][v],
     * cum[j][v + 1]): nondecreasing in v, empty for a value the sample never held */
    uint32_t cum[FINGER_POS][257];
};

finger_map *finger_map_create(void)
{
    return calloc(1, sizeof(finger_map));
}

void finger_map_destroy(finger_map *fm)
{
    free(fm);
}

size_t finger_map_bytes(void)
{
    return sizeof(finger_map);
}

void finger_map_clear(finger_map *fm)
{
    /* relaxed: reset runs with no other call in flight (skiplist.h) */
    atomic_store_explicit(&fm->state, MAP_EMPTY, memory_order_relaxed);
}

/* Does the key (klen >= D bytes; w0, w1 its first two words) start with P? Its first 16
 * bytes against P's as two masked words (the prefix of most keys that share one --
 * "user", a table id, a counter's zero bytes -- fits in them: no call to memcmp), the
 * rest byte by byte. */
static inline bool prefix_shared(const finger_map *fm, const unsigned char *key, uint64_t w0,
                                 uint64_t w1)
{
    if (((w0 ^ fm->pword[0]) & fm->pmask[0]) != 0 || ((w1 ^ fm->pword[1]) & fm->pmask[1]) != 0)
        return false;
    return fm->plen <= 16 || memcmp(key + 16, fm->prefix + 16, fm->plen - 16) == 0;
}

uint32_t finger_key_range(const lsmt_skiplist *sl, const unsigned char *key, size_t klen,
                          uint64_t w0, uint64_t w1)
{
    LSMT_ASSERT(w0 == load_prefix(key, klen) &&
                w1 == (klen > 8 ? load_prefix(key + 8, klen - 8) : 0));
    const finger_map *fm = sl->finger_map;
    /* acquire: pairs with finger_arm's release store; the map below is then complete */
    if (atomic_load_explicit(&fm->state, memory_order_acquire) != MAP_ARMED)
        return FINGER_NONE;
    if (fm->flat) {
        uint64_t w = w0 >> 32; /* the first 4 bytes, zero padded */
        return (uint32_t)(w * sl->finger_n >> 32);
    }
    size_t d = fm->plen;
    if (klen < d || !prefix_shared(fm, key, w0, w1))
        return FINGER_NONE;
    /* narrow [lo, lo + w) position by position; lo + w <= 2^64 - 1 throughout, as a
     * piece ends at most at floor(w * (2^32 - 1) / 2^32) */
    uint64_t lo = 0, w = UINT64_MAX;
    size_t n = klen - d < FINGER_POS ? klen - d : FINGER_POS; /* positions D, D + 1, ... */
    const unsigned char *p = key + d;
    for (size_t j = 0; j < n && w >= fm->wmin; j++) {
        const uint32_t *c = &fm->cum[j][p[j]];
        uint64_t a = (uint64_t)(((u128)w * c[0]) >> 32), e = (uint64_t)(((u128)w * c[1]) >> 32);
        lo += a;
        w = e - a;
    }
    return (uint32_t)(((u128)lo * sl->finger_n) >> 64);
}

/* ---- arming --------------------------------------------------------------------------- */

/* How often each byte value occurs at each position, over the sampled keys: 4 KiB, on
 * the arming insert's stack (an insert allocates nothing but its node). */
typedef struct sample {
    uint16_t count[FINGER_POS][256];
} sample;
_Static_assert(SAMPLE_MAX <= UINT16_MAX, "a count holds the whole sample");

static void sample_add(sample *s, const unsigned char *key, size_t klen, size_t d)
{
    for (size_t j = 0; j < FINGER_POS && d + j < klen; j++)
        s->count[j][key[d + j]]++;
}

/* A position whose values the sample holds this many times each on average gets pieces
 * as wide as their counts (which then err by about an eighth). A sparser one gets one
 * equal piece per value from the least to the greatest seen, seen or not: random bytes,
 * of which a sample of a few thousand keys holds each value a few times and misses some;
 * pieces cut by such counts would make some ranges several times as full as others, and
 * the keys of a missed value would all fall on one point. */
#define DENSE_MIN 64

/* Fill position j's cumulative shares from the sample; returns the number of distinct
 * values the sample holds there. */
static uint32_t position_fill(finger_map *fm, const sample *s, uint32_t j)
{
    const uint16_t *count = s->count[j];
    uint64_t total = 0;
    uint32_t distinct = 0;
    unsigned vmin = 256, vmax = 0;
    for (unsigned v = 0; v < 256; v++) {
        total += count[v];
        if (count[v] != 0) {
            distinct++;
            vmin = v < vmin ? v : vmin;
            vmax = v;
        }
    }
    bool dense = total >= (uint64_t)DENSE_MIN * distinct;
    /* weight of the values below v, of them all */
    uint64_t below = 0, sum = dense ? total : distinct != 0 ? vmax - vmin + 1 : 0;
    for (unsigned v = 0; v <= 256; v++) {
        /* no key reached position j: every piece is empty (the cutting stops there) */
        uint64_t c = sum != 0 ? (below << 32) / sum : 0;
        fm->cum[j][v] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
        if (v < 256)
            below += dense ? count[v] : v >= vmin && v <= vmax;
    }
    return distinct;
}

/* After arming: note the nodes of height FINGER_MIN_HEIGHT already on level 1 (a node
 * that can be seen at its top level is linked at every level, as invariant F needs);
 * taller ones are noted by their own inserts, or not at all (a missing entry only means
 * a search starts further back). */
static void finger_note_level1(lsmt_skiplist *sl)
{
    for (const char *y = next_node(sl, link_load_acquire(head_of(sl), 1)); y != NULL;
         y = next_node(sl, link_load_acquire(y, 1))) {
        if (node_height(y) != FINGER_MIN_HEIGHT)
            continue;
        skey k;
        skey_of_node(sl, &k, y);
        finger_note(sl, y, &k, FINGER_MIN_HEIGHT);
    }
}

/* Give an arming attempt back: too few keys yet; a later tall insert retries. */
static void finger_arm_abandon(finger_map *fm)
{
    /* release: an abandoning insert writes none of the map, but the next arming insert's
     * acquire CAS then orders its map writes after everything this one did */
    atomic_store_explicit(&fm->state, MAP_EMPTY, memory_order_release);
}

/* Arm the table when level 1 holds SAMPLE_MIN keys. Walks level 1 (as a search does: it
 * only reads) and level 0's two ends. The map is written only once the sample is known
 * to be large enough, by the one insert whose CAS took the state to MAP_ARMING. */
static void finger_arm(lsmt_skiplist *sl)
{
    finger_map *fm = sl->finger_map;
    uint32_t expect = MAP_EMPTY;
    /* CAS, acquire on success: this insert alone writes the map from here on, after any
     * earlier attempt that abandoned (release in finger_arm_abandon). Fails when another
     * insert is arming or has armed: nothing to do. */
    if (!atomic_compare_exchange_strong_explicit(&fm->state, &expect, MAP_ARMING,
                                                 memory_order_acquire, memory_order_relaxed))
        return;
    const char *first = next_node(sl, link_load_acquire(head_of(sl), 0));
    const char *last = find_last(sl);
    if (first == NULL || last == head_of(sl)) {
        finger_arm_abandon(fm);
        return;
    }
    size_t d = key_lcp(node_key(first), node_klen(first), node_key(last), node_klen(last));
    if (d > FINGER_PREFIX_MAX)
        d = FINGER_PREFIX_MAX;
    sample s;
    memset(&s, 0, sizeof s);
    size_t taken = 0;
    for (const char *x = head_of(sl); taken < SAMPLE_MAX;) {
        const char *y = next_node(sl, link_load_acquire(x, 1));
        if (y == NULL)
            break;
        sample_add(&s, node_key(y), node_klen(y), d);
        taken++;
        x = y;
    }
    if (taken < SAMPLE_MIN) {
        finger_arm_abandon(fm);
        return;
    }
    memcpy(fm->prefix, node_key(first), d);
    fm->plen = (uint32_t)d;
    for (size_t w = 0; w < 2; w++) {
        size_t in = d > 8 * w ? d - 8 * w : 0; /* P's bytes in word w */
        in = in < 8 ? in : 8;
        fm->pword[w] = in != 0 ? load_prefix(fm->prefix + 8 * w, in) : 0;
        fm->pmask[w] = in != 0 ? ~(uint64_t)0 << (8 * (8 - in)) : 0;
    }
    uint32_t distinct0 = position_fill(fm, &s, 0);
    for (uint32_t j = 1; j < FINGER_POS; j++)
        position_fill(fm, &s, j);
    fm->wmin = (UINT64_MAX / sl->finger_n) >> 4;
    /* flat: no shared prefix and at least 3/4 of the byte values seen at position 0 (a
     * sample of SAMPLE_MIN random keys misses a few); 32 bits resolve 16 keys per range
     * at FINGER_MAX ranges, as the pieces do. Either map is monotone: only the spread
     * (speed) depends on the choice. */
    _Static_assert(FINGER_MAX << 4 <= (size_t)1 << 32, "a flat range reads 4 bytes");
    fm->flat = d == 0 && distinct0 > 192;
    /* release: publishes the map to every finger_key_range that acquires the state */
    atomic_store_explicit(&fm->state, MAP_ARMED, memory_order_release);
    finger_note_level1(sl);
}

void finger_arm_slow(lsmt_skiplist *sl)
{
    /* relaxed: a hint; finger_arm's CAS decides */
    if (atomic_load_explicit(&sl->finger_map->state, memory_order_relaxed) == MAP_EMPTY)
        finger_arm(sl);
}
