// Sequence files through SequenceInput (FASTA/FASTQ/SAM sniffing and parsing) and the tokenizer.
#include "dnassm/io/sequence_input.h"
#include "dnassm/tokenizer.h"

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string path = dnassm::fuzz::temp_file(data, size, ".seq");
    return dnassm::fuzz::guarded([&] {
        auto in = dnassm::SequenceInput::open(path);
        dnassm::CharTokenizer tok(true);
        std::vector<std::int32_t> ids;
        dnassm::TokenizeStats stats;
        in->for_each({}, [&](dnassm::SequenceRecord& r) { tok.encode(r.seq, ids, stats, r.name); });
    });
}
