/* Key shapes (keys.h): each writes WORKLOADS.md's bytes, nothing else. */
#include "bench/keys.h"

#include <string.h>

#include "bench/ycsb.h"

static const char *const k_names[BENCH_KEY_SHAPES_] = {"random16", "ycsb", "dbbench16", "prefix8",
                                                       "long128"};

const char *bench_key_shape_name(bench_key_shape s)
{
    return (unsigned)s < BENCH_KEY_SHAPES_ ? k_names[s] : "?";
}

int bench_key_shape_parse(const char *name, bench_key_shape *out)
{
    for (int s = 0; s < BENCH_KEY_SHAPES_; s++)
        if (name != NULL && strcmp(name, k_names[s]) == 0) {
            *out = (bench_key_shape)s;
            return 0;
        }
    return -1;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int b = 7; b >= 0; b--) {
        p[b] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

/* key(i) = BE64(splitmix64(i)) ++ BE64(i) */
static void random16(unsigned char *p, uint64_t i)
{
    put_be64(p, bench_splitmix64(i));
    put_be64(p + 8, i);
}

#define PREFIX8_ID   0x0000002A00000001ull
#define LONG_PREFIX  96
#define YCSB_NEG_MIN "-9223372036854775808"

/* "user" ++ decimal: YCSB's buildKeyName (hashed order, zeropadding 1). Java's Math.abs
 * leaves Long.MIN_VALUE negative: that one key is "user-9223372036854775808". */
static size_t ycsb_key(unsigned char *p, uint64_t i)
{
    memcpy(p, "user", 4);
    if (ycsb_fnv64_raw(i) == (uint64_t)1 << 63) {
        memcpy(p + 4, YCSB_NEG_MIN, sizeof YCSB_NEG_MIN - 1);
        return 4 + sizeof YCSB_NEG_MIN - 1;
    }
    char d[20];
    size_t nd = 0;
    uint64_t a = ycsb_fnvhash64(i);
    do {
        d[nd++] = (char)('0' + a % 10);
        a /= 10;
    } while (a != 0);
    for (size_t j = 0; j < nd; j++)
        p[4 + j] = (unsigned char)d[nd - 1 - j];
    return 4 + nd;
}

size_t bench_key(const bench_keys *k, uint64_t i, unsigned char *buf)
{
    switch (k->shape) {
    case BENCH_KEY_YCSB:
        return ycsb_key(buf, i);
    case BENCH_KEY_DBBENCH16: {
        uint64_t n = k->n ? k->n : 1;
        __extension__ typedef unsigned __int128 u128;
        uint64_t perm = (uint64_t)((u128)(i % n) * 2654435761u % n);
        put_be64(buf, 2 * perm + i / n);
        memset(buf + 8, '0', 8);
        return 16;
    }
    case BENCH_KEY_PREFIX8:
        put_be64(buf, PREFIX8_ID);
        random16(buf + 8, i);
        return 24;
    case BENCH_KEY_LONG128:
        memset(buf, 'k', LONG_PREFIX);
        random16(buf + LONG_PREFIX, i);
        random16(buf + LONG_PREFIX + 16, i);
        return 128;
    case BENCH_KEY_RANDOM16:
    default: {
        random16(buf, i);
        size_t len = k->size > 16 ? (k->size < BENCH_KEY_MAX ? k->size : BENCH_KEY_MAX) : 16;
        memset(buf + 16, 0, len - 16);
        return len;
    }
    }
}

size_t bench_seq_key(const bench_keys *k, uint64_t i, unsigned char *buf)
{
    size_t pre = 0;
    if (k->shape == BENCH_KEY_PREFIX8) {
        put_be64(buf, PREFIX8_ID);
        pre = 8;
    } else if (k->shape == BENCH_KEY_LONG128) {
        memset(buf, 'k', LONG_PREFIX);
        pre = LONG_PREFIX;
    }
    put_be64(buf + pre, 0);
    put_be64(buf + pre + 8, i);
    return pre + 16;
}

bool bench_key_unique(const bench_keys *k, uint64_t i)
{
    return k->shape != BENCH_KEY_DBBENCH16 || i / (k->n ? k->n : 1) < 2;
}
