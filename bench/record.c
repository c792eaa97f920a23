/* YCSB records in the RocksDB binding's layout (record.h). Field names are "field%u";
 * lengths are big-endian 32-bit, as Java's ByteBuffer.putInt writes them. */
#include "bench/record.h"

#include <string.h>

/* "field<f>" into buf (16 bytes); returns its length. Hand-written: it runs for every
 * field of every record built, where snprintf would cost more than the memtable call. */
static size_t name_of(unsigned f, char *buf)
{
    char d[10];
    size_t n = 0;
    do {
        d[n++] = (char)('0' + f % 10);
        f /= 10;
    } while (f != 0);
    memcpy(buf, "field", 5);
    for (size_t i = 0; i < n; i++)
        buf[5 + i] = d[n - 1 - i];
    return 5 + n;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One serialized field at out; returns its length. */
static size_t put_field(unsigned char *out, const char *name, size_t nlen, const unsigned char *v,
                        size_t vlen)
{
    put_be32(out, (uint32_t)nlen);
    memcpy(out + 4, name, nlen);
    put_be32(out + 4 + nlen, (uint32_t)vlen);
    memcpy(out + 8 + nlen, v, vlen);
    return 8 + nlen + vlen;
}

size_t ycsb_record_size(const ycsb_record_shape *s)
{
    size_t total = 0;
    char name[16];
    for (unsigned f = 0; f < s->fields; f++)
        total += 8 + name_of(f, name) + s->field_len;
    return total;
}

void ycsb_record_build(const ycsb_record_shape *s, uint64_t n, uint64_t stamp,
                       const unsigned char *pattern, unsigned char *out)
{
    char name[16];
    for (unsigned f = 0; f < s->fields; f++) {
        size_t nl = name_of(f, name);
        out += put_field(out, name, nl, pattern + ((n + stamp + f) & 0xff), s->field_len);
    }
}

size_t ycsb_record_merge(const ycsb_record_shape *s, const unsigned char *old, size_t old_len,
                         unsigned field, uint64_t stamp, const unsigned char *pattern,
                         unsigned char *out)
{
    char name[16];
    size_t nl = name_of(field, name), pos = 0, w = 0;
    int replaced = 0;
    while (pos < old_len) {
        if (old_len - pos < 4)
            return 0;
        size_t kl = get_be32(old + pos);
        if (old_len - pos - 4 < kl + 4)
            return 0;
        const unsigned char *k = old + pos + 4;
        size_t vl = get_be32(old + pos + 4 + kl);
        if (old_len - pos - 8 - kl < vl)
            return 0;
        const unsigned char *v = k + kl + 4;
        if (kl == nl && memcmp(k, name, nl) == 0) {
            w += put_field(out + w, name, nl, pattern + (stamp & 0xff), s->field_len);
            replaced = 1;
        } else {
            w += put_field(out + w, (const char *)k, kl, v, vl);
        }
        pos += 8 + kl + vl;
    }
    if (!replaced)
        w += put_field(out + w, name, nl, pattern + (stamp & 0xff), s->field_len);
    return w;
}

long ycsb_record_fields(const ycsb_record_shape *s, const unsigned char *rec, size_t len)
{
    size_t pos = 0;
    long n = 0;
    while (pos < len) {
        if (len - pos < 4)
            return -1;
        size_t kl = get_be32(rec + pos);
        if (len - pos - 4 < kl + 4)
            return -1;
        size_t vl = get_be32(rec + pos + 4 + kl);
        if (len - pos - 8 - kl < vl || vl != s->field_len)
            return -1;
        pos += 8 + kl + vl;
        n++;
    }
    return n;
}
