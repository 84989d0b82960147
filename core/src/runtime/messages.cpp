#include "dnassm/messages.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace dnassm {

namespace {
std::atomic<bool> g_quiet{false};
}

void set_quiet(bool q) { g_quiet = q; }

bool quiet() { return g_quiet; }

void note(const char* format, ...) {
    if (g_quiet) return;
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
}

}  // namespace dnassm
