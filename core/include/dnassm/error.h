// dnassm::Error — the one exception type of the project.
//
// Every failure that a user can cause (bad file, bad region, bad option, corrupt model) is thrown
// as an Error with a kind; the CLI maps kinds to exit codes (usage -> 2, everything else -> 1) and
// prints what() as one line. Messages name the file (or region, or option) and the problem.
#pragma once

#include <stdexcept>
#include <string>

namespace dnassm {

enum class ErrorKind {
    kUsage,     // bad command line or option value
    kInput,     // malformed or inconsistent input data (FASTA, BAM, BED, regions)
    kModel,     // bad model directory, config or weights
    kResource,  // I/O failure, missing file, unwritable output, out of memory
    kInternal,  // a bug or an unexpected library failure
};

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    [[nodiscard]] ErrorKind kind() const noexcept { return kind_; }

  private:
    ErrorKind kind_;
};

[[noreturn]] void throw_error(ErrorKind kind, const std::string& message);

}  // namespace dnassm

/// Throws dnassm::Error(kind, message) unless cond holds.
#define DNASSM_CHECK(cond, kind, message)                  \
    do {                                                   \
        if (!(cond)) ::dnassm::throw_error(kind, message); \
    } while (0)

/// Internal invariant: a failure is a bug in dnassm, reported with file:line.
#define DNASSM_ASSERT(cond)                                                                 \
    do {                                                                                    \
        if (!(cond))                                                                        \
            ::dnassm::throw_error(::dnassm::ErrorKind::kInternal,                           \
                                  std::string("internal error: ") + #cond + " failed at " + \
                                      __FILE__ + ":" + std::to_string(__LINE__));           \
    } while (0)
