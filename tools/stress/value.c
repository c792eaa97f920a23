/* memtable-stress keys and values: the encoding every check decodes.
 *
 * Design
 *   A key is "k" and 7 decimal digits, so bytewise order is numeric order. A value is
 *   self-describing, so a reader can tell a torn, misplaced or stale one without any
 *   other state:
 *       u32 key | u64 seq | u32 incarnation | u32 len | payload | u64 xxh3(seed = key)
 *   (host byte order; the length is a function of the sequence number, the payload is
 *   derived from it). Pure functions: any thread calls them at any time.
 */
#include "stress.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* "k" and 7 decimal digits: bytewise order == numeric order (keys < 10^7). */
void key_make(char *buf, uint32_t k)
{
    buf[0] = 'k';
    for (int i = KEY_LEN - 1; i >= 1; i--, k /= 10)
        buf[i] = (char)('0' + k % 10);
    buf[KEY_LEN] = 0;
}

int key_parse(const void *key, size_t klen, uint32_t *k)
{
    char tmp[KEY_LEN + 1];
    if (klen != KEY_LEN || ((const char *)key)[0] != 'k')
        return -1;
    memcpy(tmp, key, KEY_LEN);
    tmp[KEY_LEN] = 0;
    char *end;
    unsigned long v = strtoul(tmp + 1, &end, 10);
    if (*end != 0 || v >= C.keys)
        return -1;
    *k = (uint32_t)v;
    return 0;
}

static size_t value_len(uint64_t seq)
{
    uint64_t s = seq * 0x9e3779b97f4a7c15ull;
    return VAL_MIN + (size_t)((s >> 40) % (C.value_max - VAL_MIN + 1));
}

size_t value_make(uint8_t *buf, uint32_t key, uint64_t seq, uint32_t inc)
{
    uint32_t len = (uint32_t)value_len(seq);
    memcpy(buf, &key, 4);
    memcpy(buf + 4, &seq, 8);
    memcpy(buf + 12, &inc, 4);
    memcpy(buf + 16, &len, 4);
    for (uint32_t i = VAL_HDR; i < len - 8; i++)
        buf[i] = (uint8_t)(seq * 31 + i * 7 + key);
    uint64_t h = XXH3_64bits_withSeed(buf, len - 8, key);
    memcpy(buf + len - 8, &h, 8);
    return len;
}

/* Decode and check a value; inc == 0 means "any incarnation". Returns NULL when it is
 * intact and matches (key, seq, inc), else a description of what is wrong. */
const char *value_check(const void *v, size_t vlen, uint32_t key, uint64_t seq, uint32_t inc)
{
    const uint8_t *b = v;
    uint32_t k, i, len;
    uint64_t s, h;
    if (v == NULL || vlen < VAL_MIN)
        return "value too short";
    memcpy(&k, b, 4);
    memcpy(&s, b + 4, 8);
    memcpy(&i, b + 12, 4);
    memcpy(&len, b + 16, 4);
    memcpy(&h, b + vlen - 8, 8);
    if (len != vlen)
        return "length field differs from the value's length (torn or misplaced)";
    if (h != XXH3_64bits_withSeed(b, vlen - 8, k))
        return "checksum mismatch (torn value)";
    if (k != key)
        return "value belongs to another key (misplaced)";
    if (s != seq)
        return "value carries another sequence number (misplaced)";
    if (vlen != value_len(seq))
        return "length does not match the sequence number";
    if (inc != 0 && i != inc)
        return "value from another memtable incarnation (stale: before reset_all?)";
    return NULL;
}

/* The sequence number a value names (REQUIRES: at least VAL_MIN bytes). */
uint64_t value_seq(const void *v)
{
    uint64_t s;
    memcpy(&s, (const uint8_t *)v + 4, 8);
    return s;
}
