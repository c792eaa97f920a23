/* Internal helpers shared by every module (never installed).
 *
 * LSMT_ASSERT checks internal invariants in debug builds only (LSMT_DEBUG); it is
 * never used on caller input, which gets a status code instead. */
#ifndef LSMT_COMMON_INTERNAL_H
#define LSMT_COMMON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LSMT_CACHE_LINE 64

#define LSMT_LIKELY(x)   __builtin_expect(!!(x), 1)
#define LSMT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#if defined(LSMT_DEBUG)
#include <stdio.h>
#include <stdlib.h>
/* Debug builds only: a broken internal invariant is a bug in lsmt itself. */
#define LSMT_ASSERT(cond)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "lsmt: internal invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
                    __LINE__);                                                                \
            abort();                                                                          \
        }                                                                                     \
    } while (0)
#else
#define LSMT_ASSERT(cond) ((void)0)
#endif

/* Thread-local storage for the library's hot paths. initial-exec avoids the
 * __tls_get_addr call that the default model costs inside a shared library. */
#define LSMT_TLS _Thread_local __attribute__((tls_model("initial-exec")))

/* Overflow-checked size arithmetic: return nonzero on overflow. */
static inline int lsmt_add_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out);
}
static inline int lsmt_mul_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

static inline int lsmt_is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Round `x` up to the power of two `align`; returns 0 on overflow (callers check). */
static inline size_t lsmt_align_up(size_t x, size_t align)
{
    size_t r;
    if (lsmt_add_overflow(x, align - 1, &r))
        return 0;
    return r & ~(align - 1);
}

/* lsmt_copy_key's middle cases: len bytes (w <= len <= 2w) as two overlapping copies of
 * w bytes, the first and the last w; with w a constant, two loads and two stores. */
static inline void lsmt_copy_two_(unsigned char *d, const unsigned char *s, size_t len, size_t w)
{
    unsigned char a[8], b[8];
    memcpy(a, s, w);
    memcpy(b, s + len - w, w);
    memcpy(d, a, w);
    memcpy(d + len - w, b, w);
}

/* memcpy for a key: up to 16 bytes (most keys) inline, as two overlapping words; longer
 * ones through memcpy. A variable-length memcpy is a call into libc and its size
 * dispatch, ~25 instructions on every write (callgrind, fillseq). */
static inline void lsmt_copy_key(void *dst, const void *src, size_t len)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (len > 16)
        memcpy(d, s, len);
    else if (len >= 8)
        lsmt_copy_two_(d, s, len, 8);
    else if (len >= 4)
        lsmt_copy_two_(d, s, len, 4);
    else
        for (size_t i = 0; i < len; i++)
            d[i] = s[i];
}

#endif
