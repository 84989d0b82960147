// Options and plumbing shared by the model-running subcommands (embed, predict).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "dnassm/backend.h"
#include "dnassm/io/call_writer.h"
#include "dnassm/io/sequence_input.h"
#include "dnassm/model.h"
#include "dnassm/progress.h"
#include "dnassm/sequence_runner.h"
#include "dnassm/shard.h"
#include "dnassm/tokenizer.h"

namespace dnassm::app {

namespace po = boost::program_options;

struct CommonOptions {
    std::string model_dir, input, output, bed, device = "auto", progress = "auto", reference;
    std::vector<std::string> regions;
    RunOptions run;
    bool rc = false;
    int threads = 1;
    int min_mapq = 0;
    std::string require_flags = "0", exclude_flags = "0x900";
    bool keep_case = false;
    bool stranded = false;  // -R intervals on the '-' strand read reverse-complemented
    bool exact_tiling = false;
    bool bf16 = false;       // bfloat16 GEMM inputs (Backend::set_bf16_gemms)
    std::string output_fmt;  // -O: the output's format when its name does not say it
    std::string shard;       // --shard I/N
};

/// Which commands an option set is for: the sequence runs (embed, predict) take everything;
/// score reads windows of a reference FASTA it cuts itself, so it has no tiling (--chunk,
/// --window, --overlap, --no-tile, --exact-tiling) and no read filters (-q, -f, -F, -T).
enum class OptionsFor { kSequenceRuns, kVariantScoring };

/// Adds -m, -r, -R, -o, -O, -@, --device, --bf16, --rc, --progress, --keep-case, --shard and, for
/// sequence runs, the tiling options and read filters.
void add_common_options(po::options_description& desc,
                        CommonOptions& o,
                        OptionsFor what = OptionsFor::kSequenceRuns);
/// --threshold, --below, --merge-gap and --min-length (predict -o OUT.bed, call); `default_note`
/// says what --threshold is when not given.
void add_call_options(po::options_description& desc,
                      CallOptions& calls,
                      const std::string& default_note);

/// After writer.commit(): says on stderr that the BED file is empty when no base passed the
/// threshold ("dnassm COMMAND: OUTPUT: no base passed the threshold (TRACK >= X); ...").
void note_if_no_calls(const std::string& command,
                      const std::string& output,
                      const CallWriter& writer,
                      const CallOptions& calls,
                      const std::string& track);

/// The output's format as a file extension (".bedgraph", ".vcf.gz"): -O when given, else the
/// name's suffix, else, for standard output (-o -), `stdout_default` (empty: -O is required).
/// Standard output takes text formats only; Error(kUsage) otherwise.
[[nodiscard]] std::string output_type(const CommonOptions& o, const std::string& stdout_default);

/// --write-index (predict, score, call, merge), as samtools/bcftools: index each output once it
/// is written (dnassm/io/output_index.h).
void add_write_index_option(po::options_description& desc, bool& write_index);
/// --no-provenance (predict, merge, call, score), as samtools' --no-PG and bcftools'
/// --no-version: leave out the lines saying what produced the output (a bedGraph's or BED's "#"
/// lines, a VCF's ##dnassmVersion and ##dnassmCommand).
void add_provenance_option(po::options_description& desc, bool& no_provenance);
/// With --write-index: Error(kUsage) before any work unless every output can be indexed.
void check_indexable(bool write_index, const std::vector<std::string>& outputs);
/// With --write-index: indexes the committed outputs.
void write_indexes(bool write_index, const std::vector<std::string>& outputs);

/// "dnassm <subcommand> <arguments>" as given (argv starts at the subcommand), for provenance;
/// an argument a shell would split or expand is single-quoted, so the line can be run again.
[[nodiscard]] std::string command_line(int argc, char** argv);

/// Parses argv (after the subcommand) against `desc`, the positional arguments into `positional`
/// (at most `max_positional`; -1: any number). Returns false when --help was printed (usage and
/// options); `given`, when set, receives the parsed values.
bool parse_options(int argc,
                   char** argv,
                   const std::string& usage,
                   const po::options_description& desc,
                   std::vector<std::string>* positional = nullptr,
                   int max_positional = -1,
                   po::variables_map* given = nullptr);

/// parse_options for the model-running commands: the first positional argument is the input,
/// any after it are regions, as in `samtools view IN [REGION...]` (added to -r's; a file's name
/// there is Error(kUsage): one input per run). Returns false when --help was printed. `given`, when
/// set, receives the parsed values (to tell options given on the command line from defaults).
bool parse_command_line(int argc,
                        char** argv,
                        const std::string& usage,
                        po::options_description& desc,
                        CommonOptions& o,
                        po::variables_map* given = nullptr);

/// Everything a model-running command needs, opened and validated from the options.
struct Session {
    std::unique_ptr<Model> model;
    std::unique_ptr<Backend> backend;
    std::unique_ptr<SequenceInput> input;
    std::vector<Region> regions;  // empty = whole input
    Shard shard;                  // --shard (whole() when not given)
    RecordRange records;          // the shard's records (shard_sequence_records); default: all
    ProgressMode progress_mode = ProgressMode::kAuto;
    std::int64_t total_bases = 0;  // of the shard's records; 0 when unknown (reads)
    TokenizeStats stats;
    bool plan_noted = false;

    /// Whether the input is a table (a sequence,label CSV, a GenomicBenchmarks folder): rows,
    /// without reference intervals.
    [[nodiscard]] bool table() const { return input->format() == InputFormat::kTable; }
};

/// A table input (InputFormat::kTable) takes no -r/-R.
[[nodiscard]] Session open_session(const CommonOptions& o);

/// What produced an output (HDF5 attributes, a bedGraph's or BED's "#" lines): dnassm's version
/// and the command line, then, given a session, the model (path, family, fingerprint of its
/// weights) and the device it ran on.
[[nodiscard]] FileAttributes output_provenance(int argc, char** argv, const Session* s = nullptr);

/// The regions the command line asked for (-r/-R), else every contig of the input, whole.
[[nodiscard]] std::vector<Region> asked_regions(const Session& s);

/// --shard over the input's records (embed, a classifier's predict): sets s.records to the
/// shard's block (counting reads in a first pass) and s.total_bases to its bases.
void shard_sequence_records(Session& s, const CommonOptions& o);

/// Tokenizes one record, counting its bases in s.stats; invalid characters are an error naming
/// the input and record (a table's by row).
void tokenize(Session& s,
              const CommonOptions& o,
              const SequenceRecord& rec,
              std::vector<std::int32_t>& ids);

/// The run options of the command line (--window on a streaming model tiles it).
[[nodiscard]] RunOptions run_options(const Session& s, const CommonOptions& o);

/// Runs the model over one sequence and calls on_rows(offset, rows {n, D}, n) in order. With
/// --rc the output at each position is the mean of the forward pass and of the reverse-complement
/// pass read back in forward coordinates (both held in memory for the region).
/// `run`, when given, replaces run_options(s, o) (e.g. a chained chunk's resume and save).
void run_per_base(Session& s,
                  const CommonOptions& o,
                  const std::vector<std::int32_t>& ids,
                  Progress* progress,
                  const std::function<void(std::int64_t, const float*, std::int64_t)>& on_rows,
                  const RunOptions* run = nullptr);

/// Says once on stderr how long inputs are handled (tiling), the first time it applies.
void note_plan(Session& s, const CommonOptions& o, std::int64_t L);

/// Error(kInput) unless the input gave some sequence (`records` > 0); for reads, it names the
/// filters that may have dropped them all.
void require_records(const Session& s, const CommonOptions& o, std::int64_t records);

/// Prints, once, how many records without bases were left out and how many lowercase and IUPAC
/// bases were seen.
void report_input_stats(const Session& s, const CommonOptions& o);

}  // namespace dnassm::app
