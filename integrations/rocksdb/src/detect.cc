// Bytewise detection (the checks are explained in detect.h).
#include "detect.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <typeinfo>
#include <vector>

#include <rocksdb/comparator.h>
#include <rocksdb/version.h>

#include "core.h"

// Check 3's anchor: RocksDB's exported vtable of InternalKeyComparator, as a weak
// reference so a build where it does not exist still loads (the check then fails).
// The symbol is the Itanium-mangled name for namespace `rocksdb`; with another
// ROCKSDB_NAMESPACE it is simply absent and detection says "not verified".
extern "C" __attribute__((weak)) const char _ZTVN7rocksdb21InternalKeyComparatorE[];

namespace lsmt_rocksdb
{

#define LSMT_RB_STR2(x) #x
#define LSMT_RB_STR(x)  LSMT_RB_STR2(x)

namespace
{

// Check 1: the layout of checks 3-4 was read off RocksDB 7.8 (MemTable::KeyComparator =
// { vptr, InternalKeyComparator { vptr, UserComparatorWrapper { const Comparator * } } }).
constexpr bool kLayoutVerified = ROCKSDB_MAJOR == 7 && ROCKSDB_MINOR == 8;

// Check 2: the mangled name of ROCKSDB_NAMESPACE::MemTable::KeyComparator.
std::string ExpectedTypeName()
{
    std::string ns = LSMT_RB_STR(ROCKSDB_NAMESPACE);
    return "N" + std::to_string(ns.size()) + ns + "8MemTable13KeyComparatorE";
}

const void *WordAt(const void *obj, size_t off)
{
    const void *w;
    std::memcpy(&w, static_cast<const char *>(obj) + off, sizeof w);
    return w;
}

// One probe entry: a memtable key (varint32 L, user key, 8-byte LE tag).
std::string Entry(const std::string &ukey, uint64_t seq, unsigned type)
{
    std::string e;
    core::PutVarint32(&e, static_cast<uint32_t>(ukey.size() + 8));
    e += ukey;
    uint64_t tag = (seq << 8) | type;
    for (int i = 0; i < 8; i++)
        e.push_back(static_cast<char>((tag >> (8 * i)) & 0xff));
    return e;
}

int Sign(int x)
{
    return (x > 0) - (x < 0);
}

} // namespace

bool ProbeBytewise(const rocksdb::MemTableRep::KeyComparator &cmp)
{
    const std::string nul(1, '\0');
    // Groups in ascending order of RocksDB's memtable order with a bytewise user
    // comparator: user key bytewise, then sequence DESCENDING; the type byte is ignored
    // (entries of one group differ only in type and must compare equal). Every entry
    // must compare below every entry of a later group.
    const std::vector<std::vector<std::string>> groups = {
        {Entry("", 9, 1)},
        {Entry("", 3, 1), Entry("", 3, 0)},
        {Entry(nul, 1, 1)},
        {Entry(nul + nul, 1, 1)},
        {Entry("\x01", 1, 1)},
        {Entry("A", 1, 1)},
        {Entry("A" + nul, 1, 1)},
        {Entry("AB", 1, 1)},
        {Entry("B", 1ull << 40, 1)},
        {Entry("B", 7, 2), Entry("B", 7, 1), Entry("B", 7, 0), Entry("B", 7, 0x16)},
        {Entry("B", 6, 0xff)},
        {Entry("B", 0, 1)},
        {Entry("Ba", 1, 1)},
        {Entry("\x7f", 1, 1)},
        {Entry("\x80", 1, 1)}, // memcmp is unsigned: 0x80 after 0x7f
        {Entry("\xfe\xff", 1, 1)},
        {Entry("\xff", (1ull << 56) - 1, 1)},
        {Entry("\xff", 1, 1)},
        {Entry("\xff" + nul, 1, 1)},
        {Entry(std::string(300, '\xff'), 1, 1)}, // a two-byte length prefix
    };
    for (size_t gi = 0; gi < groups.size(); gi++) {
        for (size_t gj = 0; gj < groups.size(); gj++) {
            const int want = Sign((gi > gj) - (gi < gj));
            for (const std::string &a : groups[gi]) {
                for (const std::string &b : groups[gj]) {
                    if (Sign(cmp(a.data(), b.data())) != want)
                        return false;
                    // the (entry, internal-key Slice) overload must agree
                    uint32_t L = 0;
                    const char *k = core::DecodeVarint32(b.data(), b.data() + b.size(), &L);
                    if (k == nullptr || Sign(cmp(a.data(), rocksdb::Slice(k, L))) != want)
                        return false;
                }
            }
        }
    }
    return true;
}

Verdict DetectBytewise(const rocksdb::MemTableRep::KeyComparator &cmp, bool trust_identity)
{
    if (!trust_identity) {
        if (!kLayoutVerified)
            return Verdict::kNotVerified; // check 1
        static const std::string expected = ExpectedTypeName();
        if (std::strcmp(typeid(cmp).name(), expected.c_str()) != 0)
            return Verdict::kNotVerified; // check 2
        // Check 2 guarantees the object is a MemTable::KeyComparator; its layout has at
        // least {vptr, InternalKeyComparator} and check 3 confirms the latter starts
        // with a vptr, so it is at least 24 bytes and the reads below stay inside it.
        const char *ikc_vtable = _ZTVN7rocksdb21InternalKeyComparatorE;
        if (ikc_vtable == nullptr)
            return Verdict::kNotVerified;
        // Itanium ABI: an object's vptr points 2 words into its vtable (past the offset
        // to top and the type_info pointer).
        if (WordAt(&cmp, sizeof(void *)) != ikc_vtable + 2 * sizeof(void *))
            return Verdict::kNotVerified; // check 3
        if (WordAt(&cmp, 2 * sizeof(void *)) !=
            static_cast<const void *>(rocksdb::BytewiseComparator()))
            return Verdict::kNotVerified; // check 4
    }
    return ProbeBytewise(cmp) ? Verdict::kBytewise : Verdict::kProbeDisagrees; // check 5
}

const char *VerdictName(Verdict v)
{
    switch (v) {
    case Verdict::kBytewise:
        return "bytewise";
    case Verdict::kNotVerified:
        return "not verified as bytewise";
    case Verdict::kProbeDisagrees:
        return "probe disagrees with bytewise";
    }
    return "?";
}

} // namespace lsmt_rocksdb
