/* Key shapes of WORKLOADS.md ("Key shapes"), shared by memtable-bench, skiplist-bench and
 * the bench tests. key_S(i) for a shape S, i >= 0, all unique (dbbench16: i < 2N), compared
 * bytewise; W6's ascending keys per shape. Not a library API.
 *
 *   random16   16 B   BE64(splitmix64(i)) ++ BE64(i)                       (= key(i))
 *   ycsb       5-24 B "user" ++ decimal(fnv64(i)), YCSB's hashed key name
 *   dbbench16  16 B   BE64(v) ++ "00000000", v = 2 ((i mod N) 2654435761 mod N) + i / N
 *   prefix8    24 B   BE64(0x0000002A00000001) ++ key(i)
 *   long128    128 B  96 x 'k' ++ key(i) ++ key(i)
 *
 * W6 (fillseq) keys: BE64(0) ++ BE64(i) after the shape's shared prefix (prefix8: 24 B,
 * long128: 112 B, the others 16 B).
 *
 * Thread safety: pure functions of their arguments. */
#ifndef LSMT_BENCH_KEYS_H
#define LSMT_BENCH_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest key bench_key writes (random16 padded by --key-size). */
#define BENCH_KEY_MAX 4096

typedef enum bench_key_shape {
    BENCH_KEY_RANDOM16 = 0,
    BENCH_KEY_YCSB,
    BENCH_KEY_DBBENCH16,
    BENCH_KEY_PREFIX8,
    BENCH_KEY_LONG128,
    BENCH_KEY_SHAPES_
} bench_key_shape;

/* A shape with its parameters. */
typedef struct bench_keys {
    bench_key_shape shape;
    uint64_t n;  /* N: dbbench16's modulus (>= 1); unused by the other shapes */
    size_t size; /* random16 only: > 16 pads key(i) with zero bytes to this size */
} bench_keys;

/* "random16", "ycsb", ... */
const char *bench_key_shape_name(bench_key_shape s);
/* The shape named `name`; 0, or -1 for an unknown name. */
int bench_key_shape_parse(const char *name, bench_key_shape *out);

/* key_S(i) into buf (BENCH_KEY_MAX bytes); returns its length. */
size_t bench_key(const bench_keys *k, uint64_t i, unsigned char *buf);
/* W6's i-th ascending key into buf; returns its length. */
size_t bench_seq_key(const bench_keys *k, uint64_t i, unsigned char *buf);
/* Whether key_S(i) is distinct from key_S(j) for every other j (false only for dbbench16
 * with i >= 2N). */
bool bench_key_unique(const bench_keys *k, uint64_t i);

/* splitmix64 (WORKLOADS.md): a bijection on 64-bit integers with good mixing. */
static inline uint64_t bench_splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* WORKLOADS.md's probe(t): the t-th lookup target in [0, n). */
static inline uint64_t bench_probe(uint64_t t, uint64_t n)
{
    return bench_splitmix64(t ^ 0xABCDEFull) % n;
}

#endif
