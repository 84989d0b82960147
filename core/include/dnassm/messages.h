// Informational messages on stderr ("dnassm: note: ...", "wrote ...", training logs): one place
// that --quiet silences. Errors are not messages: they are thrown (dnassm/error.h) and always
// reported.
#pragma once

namespace dnassm {

void set_quiet(bool quiet);
[[nodiscard]] bool quiet();

/// printf-style, to stderr unless quiet(); the caller writes the "dnassm ...:" prefix and newline.
void note(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace dnassm
