// BED6 calls from a per-base track (see dnassm/io/call_writer.h).
#include "dnassm/io/call_writer.h"

#include "dnassm/error.h"

#include "comment_lines.h"

namespace dnassm {

CallWriter::CallWriter(const std::string& path, CallOptions options)
    : file_(path, true),
      out_(file_.stream()),
      name_(options.name.empty() ? "call" : options.name),
      finder_(options, [this](const Call& c) { write(c); }) {}

void CallWriter::add_spans(const std::string& contig,
                           std::int64_t start,
                           std::int64_t span,
                           const float* values,
                           std::int64_t n) {
    if (n > 0) any_ = true;
    finder_.add_spans(contig, start, span, values, n);
}

void CallWriter::write(const Call& c) {
    out_ << c.contig << '\t' << c.beg << '\t' << c.end << '\t' << name_ << '\t' << c.score
         << "\t.\n";
    ++calls_;
    called_bases_ += c.end - c.beg;
}

void CallWriter::describe(const FileAttributes& attributes) {
    DNASSM_CHECK(!any_, ErrorKind::kInternal,
                 file_.path() + ": BED calls are described before their values");
    write_comment_lines(out_, attributes);
}

void CallWriter::commit() {
    finder_.finish();
    file_.commit();
}

}  // namespace dnassm
