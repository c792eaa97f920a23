// A minimal test harness for the C++ tests of integrations/rocksdb: named cases, CHECK
// macros that record failures (and the first few messages) without stopping the case,
// and a closing "N passed, N failed" line; the exit status is non-zero on any failure.
#ifndef LSMT_ROCKSDB_TEST_HARNESS_H
#define LSMT_ROCKSDB_TEST_HARNESS_H

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace harness
{

inline std::atomic<long> &failures()
{
    static std::atomic<long> f{0};
    return f;
}

inline void Fail(const char *file, int line, const std::string &what)
{
    static std::mutex mu;
    long n = failures().fetch_add(1) + 1;
    if (n <= 20) {
        std::lock_guard<std::mutex> g(mu);
        std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what.c_str());
    }
}

struct Case {
    const char *name;
    std::function<void()> fn;
};

// Runs the cases named on the command line (all when none), prints one line per case
// and the closing count.
inline int Run(const std::vector<Case> &cases, int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (const Case &c : cases) {
        bool selected = argc <= 1;
        for (int i = 1; i < argc; i++)
            selected = selected || std::string(argv[i]) == c.name;
        if (!selected)
            continue;
        long before = failures().load();
        std::printf("case %s ...\n", c.name);
        std::fflush(stdout);
        c.fn();
        bool ok = failures().load() == before;
        std::printf("case %s: %s\n", c.name, ok ? "ok" : "FAILED");
        std::fflush(stdout);
        (ok ? passed : failed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

// Scale of the randomized cases: LSMT_RB_TEST_SCALE (default 1; sanitizer runs may lower
// the work with 0.25 or raise it for a soak).
inline double Scale()
{
    const char *s = std::getenv("LSMT_RB_TEST_SCALE");
    double v = s != nullptr ? std::atof(s) : 1.0;
    return v > 0 ? v : 1.0;
}

} // namespace harness

#define CHECK(cond)                                     \
    do {                                                \
        if (!(cond))                                    \
            ::harness::Fail(__FILE__, __LINE__, #cond); \
    } while (0)

#define CHECK_MSG(cond, msg)                                                        \
    do {                                                                            \
        if (!(cond))                                                                \
            ::harness::Fail(__FILE__, __LINE__, std::string(#cond) + ": " + (msg)); \
    } while (0)

#define CHECK_OK(status)                                                                      \
    do {                                                                                      \
        auto _s = (status);                                                                   \
        if (!_s.ok())                                                                         \
            ::harness::Fail(__FILE__, __LINE__, std::string(#status) + ": " + _s.ToString()); \
    } while (0)

#endif
