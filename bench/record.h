/* YCSB records as YCSB's RocksDB binding stores them (bench/record.c): a record of
 * `fields` fields "field0".."field<F-1>", each `field_len` bytes, serialized field after
 * field as
 *
 *     BE32(name length) ++ name ++ BE32(value length) ++ value
 *
 * (RocksDBClient.serializeValues). A YCSB update replaces one field: the binding reads
 * the record, deserializes it, puts the new field in and writes the whole record back;
 * ycsb_record_merge does that step. Not a library API.
 *
 * Thread safety: pure functions; the pattern buffer is the caller's. */
#ifndef LSMT_BENCH_RECORD_H
#define LSMT_BENCH_RECORD_H

#include <stddef.h>
#include <stdint.h>

typedef struct ycsb_record_shape {
    unsigned fields;  /* YCSB fieldcount, >= 1 (default 10) */
    size_t field_len; /* YCSB fieldlength, bytes (default 100) */
} ycsb_record_shape;

/* Bytes of a serialized record. */
size_t ycsb_record_size(const ycsb_record_shape *s);

/* A whole record for (key number n, stamp) into out (ycsb_record_size bytes). Field f's
 * value is pattern + ((n + stamp + f) & 0xff), field_len bytes: `pattern` holds at least
 * 256 + field_len bytes. */
void ycsb_record_build(const ycsb_record_shape *s, uint64_t n, uint64_t stamp,
                       const unsigned char *pattern, unsigned char *out);

/* YCSB's update through its RocksDB binding: `old` (old_len bytes, as read) with field
 * `field` replaced by pattern + (stamp & 0xff) (field_len bytes), or appended when the
 * record lacks it, serialized into out (room for ycsb_record_size + one field). Returns
 * the new length, or 0 when `old` does not parse. */
size_t ycsb_record_merge(const ycsb_record_shape *s, const unsigned char *old, size_t old_len,
                         unsigned field, uint64_t stamp, const unsigned char *pattern,
                         unsigned char *out);

/* Fields of a serialized record whose value is field_len bytes, or -1 when it does not
 * parse. A record that went through any number of merges still has `fields`. */
long ycsb_record_fields(const ycsb_record_shape *s, const unsigned char *rec, size_t len);

#endif
