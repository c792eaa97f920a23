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
 *  - for the positions D, D + 1, ... (at most FINGER_POS of them) the sorted set of the
 *    byte values the list's level-1 keys hold there, from a walk over level 1.
 * A key that does not start with P has no range (its searches start at the head: it is
 * still found, just without the table's help). A key that does maps, position by
 * position, each byte to a digit: 1 + its rank among the values seen there, 0 for the
 * key's end; an unseen byte takes the digit of the largest seen value below it (0 below
 * all of them) and turns every later digit into its maximum. The digits read as one
 * mixed-radix number g(k), and range(k) = g(k) * finger_n / G, G the product of the
 * radices. When D = 0 and position 0 took most byte values (random keys), ranks are
 * nearly the bytes themselves and the map is flat instead: range(k) = (k's first 4 bytes,
 * big-endian, zero padded) * finger_n / 2^32, the same spread without the digit tables.
 * A padded prefix is monotone in the key, so the flat map keeps invariant F too; only
 * where searches start (speed) depends on the choice, made once when the map is armed.
 *
 * Invariant F needs range() monotone: k1 < k2 implies range(k1) <= range(k2). Take the
 * first position where they differ: digits before it are equal; there k1's byte is
 * below k2's (or k1 ended). A seen byte's digit is above every smaller byte's digit; an
 * unseen byte shares its digit only with the largest seen value below it, and then
 * carries maximal later digits, so it is not below any key with that seen value, nor
 * above any key with a larger byte. Hence g(k1) <= g(k2), and scaling by a constant
 * keeps the order. Ranks make keys whose bytes take few values (digits) spread as well
 * as random bytes do.
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

/* A byte's digit at one position: (digit << 1) | 1 when the value was not seen (later
 * digits are then at their maximum). */
typedef uint16_t digit_t;

struct finger_map {
    /* MAP_EMPTY -> MAP_ARMING (acquire CAS by the arming insert) -> MAP_ARMED (release
     * store), or back to MAP_EMPTY (release store) when its sample is too small; back
     * to MAP_EMPTY from ARMED only at reset, with no call in flight. */
    _Atomic uint32_t state;
    uint32_t plen; /* D */
    uint32_t npos; /* positions D .. D + npos - 1 give digits */
    /* The keys share no prefix and their first bytes take (nearly) every value: ranks are
     * then (nearly) the bytes themselves, so range(k) is taken from k's first 4 bytes
     * (zero padded) scaled to finger_n -- monotone as well, spread alike, and with no
     * digit table to read (random keys, the common case, map most cheaply). */
    bool flat;
    uint64_t scale;  /* G > finger_n: floor(finger_n * 2^64 / G), range = g * scale >> 64 */
    uint64_t stride; /* G <= finger_n: range = g * stride, stride = finger_n / G */
    uint64_t weight[FINGER_POS]; /* the product of the radices after position j */
    unsigned char prefix[FINGER_PREFIX_MAX];
    digit_t digit[FINGER_POS][256];
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

uint32_t finger_key_range(const lsmt_skiplist *sl, const unsigned char *key, size_t klen)
{
    const finger_map *fm = sl->finger_map;
    /* acquire: pairs with finger_arm's release store; the map below is then complete */
    if (atomic_load_explicit(&fm->state, memory_order_acquire) != MAP_ARMED)
        return FINGER_NONE;
    if (fm->flat) {
        uint32_t w = 0; /* the first 4 bytes, big-endian, zero padded */
        if (LSMT_LIKELY(klen >= 4))
            memcpy(&w, key, 4);
        else if (klen > 0)
            memcpy(&w, key, klen);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w = __builtin_bswap32(w);
#endif
        return (uint32_t)((uint64_t)w * sl->finger_n >> 32);
    }
    size_t d = fm->plen;
    if (klen < d || (d != 0 && memcmp(key, fm->prefix, d) != 0))
        return FINGER_NONE;
    /* g = sum of digit_j * weight_j; an unseen byte adds weight_j - 1 (every later digit
     * at its maximum) and ends the sum, as does the key's end (later digits 0) */
    uint64_t g = 0;
    size_t n = klen - d < fm->npos ? klen - d : fm->npos;
    const unsigned char *p = key + d;
    for (size_t j = 0; j < n; j++) {
        digit_t c = fm->digit[j][p[j]];
        g += (uint64_t)(c >> 1) * fm->weight[j];
        if (c & 1) {
            g += fm->weight[j] - 1;
            break;
        }
    }
    if (fm->stride != 0)
        return (uint32_t)(g * fm->stride);
    return (uint32_t)(((u128)g * fm->scale) >> 64);
}

/* ---- arming --------------------------------------------------------------------------- */

/* The byte values seen at each position, as bitmaps. */
typedef struct seen {
    uint64_t bits[FINGER_POS][4];
} seen;

static void seen_add(seen *s, const unsigned char *key, size_t klen, size_t d)
{
    for (size_t j = 0; j < FINGER_POS && d + j < klen; j++) {
        unsigned v = key[d + j];
        s->bits[j][v >> 6] |= (uint64_t)1 << (v & 63);
    }
}

/* Fill position j's digits from the values seen there; returns its radix (1 + the
 * number of values seen). */
static uint32_t position_fill(finger_map *fm, const seen *s, uint32_t j)
{
    uint32_t rank = 0; /* seen values below v so far */
    for (unsigned v = 0; v < 256; v++) {
        bool hit = (s->bits[j][v >> 6] >> (v & 63)) & 1;
        if (hit)
            rank++;
        /* seen: 1 + rank among the seen (rank counts v itself); unseen: the digit of the
         * largest seen value below (0 below all), later digits maximal */
        fm->digit[j][v] = hit ? (digit_t)(rank << 1) : (digit_t)(rank << 1 | 1u);
    }
    return rank + 1;
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
    seen s;
    memset(&s, 0, sizeof s);
    size_t taken = 0;
    for (const char *x = head_of(sl); taken < SAMPLE_MAX;) {
        const char *y = next_node(sl, link_load_acquire(x, 1));
        if (y == NULL)
            break;
        seen_add(&s, node_key(y), node_klen(y), d);
        taken++;
        x = y;
    }
    if (taken < SAMPLE_MIN) {
        finger_arm_abandon(fm);
        return;
    }
    memcpy(fm->prefix, node_key(first), d);
    fm->plen = (uint32_t)d;
    /* positions while they still add resolution: G up to 16 values per range */
    uint32_t radix[FINGER_POS];
    u128 g = 1;
    uint32_t j = 0;
    for (; j < FINGER_POS && g < ((u128)sl->finger_n << 4); j++) {
        radix[j] = position_fill(fm, &s, j);
        g *= radix[j];
    }
    /* flat: no shared prefix and at least 3/4 of the byte values seen at position 0 (a
     * sample of SAMPLE_MIN random keys misses a few); 32 bits resolve 16 keys per range
     * at FINGER_MAX ranges, as the digits do. Either map is monotone: only the spread
     * (speed) depends on the choice. */
    _Static_assert(FINGER_MAX << 4 <= (size_t)1 << 32, "a flat range reads 4 bytes");
    fm->flat = d == 0 && j > 0 && radix[0] > 192;
    uint64_t w = 1; /* g < 2^(26 + 8 + 9): the weights fit */
    for (uint32_t i = j; i-- > 0;) {
        fm->weight[i] = w;
        w *= radix[i];
    }
    fm->npos = j;
    /* both monotone in g and below finger_n for g < G */
    fm->stride = g <= sl->finger_n ? (uint64_t)(sl->finger_n / g) : 0;
    fm->scale = fm->stride ? 0 : (uint64_t)(((u128)sl->finger_n << 64) / g);
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
