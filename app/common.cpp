#include "common.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/gff.h"
#include "dnassm/io/input_file.h"
#include "dnassm/io/output_index.h"
#include "dnassm/io/writers.h"
#include "dnassm/messages.h"
#include "dnassm/stream_state.h"
#include "dnassm/thread_pool.h"

namespace dnassm::app {

void add_common_options(po::options_description& desc, CommonOptions& o, OptionsFor what) {
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("model,m", po::value(&o.model_dir)->required(), "model directory (config.json + model.safetensors), or a model's name ('dnassm info' lists them)")
        ("output,o", po::value(&o.output)->required(), "output file; - for standard output (text formats)")
        ("output-fmt,O", po::value(&o.output_fmt),
         "output format when the file name does not say it, e.g. with -o -: bedgraph, bed, tsv, vcf "
         "(also bw, npy, h5, vcf.gz, bcf for files)")
        ("region,r", po::value(&o.regions)->composing(),
         "region chr, chr:beg or chr:beg-end (1-based, samtools syntax), or * (the unplaced "
         "reads of a BAM/CRAM); repeatable")
        ("regions-file,R", po::value(&o.bed),
         "BED file of regions (0-based half-open), or a GFF3/GTF annotation: one region per gene, "
         "named by it")
        ("threads,@", po::value(&o.threads)->default_value(1), "worker threads")
        ("device", po::value(&o.device)->default_value("auto"),
         "auto (CUDA when usable, else cpu), cpu, cpu-ref or cuda[:N]")
        ("bf16", po::bool_switch(&o.bf16),
         "matrix products take bfloat16 inputs with fp32 sums (tensor cores on a GPU; emulated, "
         "and no faster, on the CPU); outputs then differ from fp32 in the third digit")
        ("rc", po::bool_switch(&o.rc),
         "average per-base outputs of the sequence and of its reverse complement (mapped back to "
         "forward coordinates)")
        ("progress", po::value(&o.progress)->default_value("auto"), "auto, bar, json or none (on stderr)")
        ("keep-case", po::bool_switch(&o.keep_case),
         "do not upper-case soft-masked bases (reference tokenizer: lowercase -> [UNK])")
        ("shard", po::value(&o.shard),
         "I/N: run the I-th of N shares of the job (array jobs, workflows): predict's tracks take "
         "the I-th of N equal pieces of the regions' bases (gather with dnassm merge); records "
         "(embed, score, classifiers) the I-th of N consecutive blocks, so the outputs "
         "concatenated in shard order are the unsharded output");
    if (what == OptionsFor::kVariantScoring) return;
    desc.add_options()
        ("stranded", po::bool_switch(&o.stranded),
         "read -R intervals whose strand (BED column 6) is '-' as their reverse complement, named "
         "chr:beg-end(-), as bedtools getfasta -s does (per-sequence outputs: embed, tables)")
        ("chunk", po::value(&o.run.chunk)->default_value(65536),
         "bases per streamed chunk (Mamba: state is carried across chunks)")
        ("window", po::value(&o.run.window)->default_value(0),
         "tile inputs into windows of N bases (default: the model's limit, e.g. HyenaDNA l_max); "
         "given for a streaming model, tiles it instead of streaming")
        ("overlap", po::value(&o.run.overlap)->default_value(-1),
         "bases of context on each side of a window's kept part (default: window/8)")
        ("no-tile", po::bool_switch(&o.run.no_tile), "refuse inputs longer than the model allows")
        ("exact-tiling", po::bool_switch(&o.exact_tiling),
         "truncate HyenaDNA's long filters so every output depends only on the --overlap bases "
         "before it: tiled output is then independent of --window (but differs from the full model)")
        ("min-mapq,q", po::value(&o.min_mapq)->default_value(0), "SAM/BAM/CRAM: skip reads with MAPQ below this")
        ("require-flags,f", po::value(&o.require_flags)->default_value("0"),
         "SAM/BAM/CRAM: keep reads with all these flags")
        ("exclude-flags,F", po::value(&o.exclude_flags)->default_value("0x900"),
         "SAM/BAM/CRAM: skip reads with any of these flags (default: secondary, supplementary)")
        ("reference,T", po::value(&o.reference),
         "reference FASTA of a CRAM, or of a GenomicBenchmarks folder's interval lists");
    // clang-format on
}

void add_call_options(po::options_description& desc,
                      CallOptions& calls,
                      const std::string& default_note) {
    // clang-format off
    desc.add_options()
        ("threshold", po::value(&calls.threshold), ("call bases whose value is >= this " + default_note).c_str())
        ("below", po::bool_switch(&calls.below), "call bases whose value is <= --threshold instead")
        ("merge-gap", po::value(&calls.merge_gap)->default_value(0),
         "join calls at most this many bases apart (as bedtools merge -d)")
        ("min-length", po::value(&calls.min_length)->default_value(1),
         "drop calls shorter than this many bases (after joining)");
    // clang-format on
}

void note_if_no_calls(const std::string& command,
                      const std::string& output,
                      const CallWriter& writer,
                      const CallOptions& calls,
                      const std::string& track) {
    if (writer.calls() > 0) return;
    note("dnassm %s: %s: no base passed the threshold (%s%s%g); the BED %s empty\n",
         command.c_str(), output == "-" ? "standard output" : output.c_str(),
         track.empty() ? "" : (track + " ").c_str(), calls.below ? "<= " : ">= ", calls.threshold,
         output == "-" ? "output is" : "file is");
}

void add_write_index_option(po::options_description& desc, bool& write_index) {
    desc.add_options()("write-index", po::bool_switch(&write_index),
                       "index the output once written, as samtools/bcftools: .tbi for .bed.gz, "
                       ".bedgraph.gz and .vcf.gz, .csi for .bcf");
}

void add_provenance_option(po::options_description& desc, bool& no_provenance) {
    desc.add_options()("no-provenance", po::bool_switch(&no_provenance),
                       "leave out the lines that say what produced the output (dnassm's version, "
                       "the command, the model: '#' lines atop a bedGraph or BED, ##dnassm lines "
                       "in a VCF), for readers that take every line for data");
}

void check_indexable(bool write_index, const std::vector<std::string>& outputs) {
    if (!write_index) return;
    for (const std::string& out : outputs) {
        DNASSM_CHECK(out != "-", ErrorKind::kUsage,
                     "--write-index: standard output cannot be indexed; give a file name");
        DNASSM_CHECK(!AtomicFile::written_in_place(out), ErrorKind::kUsage,
                     "--write-index: " + out +
                         " is not a file (a device or pipe) and cannot be indexed; give a file "
                         "name");
        DNASSM_CHECK(indexable_output(out), ErrorKind::kUsage,
                     out +
                         ": --write-index indexes .bed.gz, .bedgraph.gz, .vcf.gz and .bcf "
                         "outputs (compressed by the name's .gz)");
    }
}

void write_indexes(bool write_index, const std::vector<std::string>& outputs) {
    if (!write_index) return;
    for (const std::string& out : outputs) write_output_index(out);
}

std::string command_line(int argc, char** argv) {
    const auto plain = [](unsigned char c) {
        return std::isalnum(c) ||
               std::string_view("_-./:=,+@%^").find(static_cast<char>(c)) != std::string_view::npos;
    };
    std::string line = "dnassm";
    for (int i = 0; i < argc; ++i) {
        const std::string_view arg = argv[i];
        line += ' ';
        if (!arg.empty() && std::all_of(arg.begin(), arg.end(), plain)) {
            line += arg;
            continue;
        }
        line += '\'';
        for (const char c : arg) {
            if (c == '\'')
                line += "'\\''";  // close the quotes, an escaped quote, reopen
            else
                line += c;
        }
        line += '\'';
    }
    return line;
}

FileAttributes output_provenance(int argc, char** argv, const Session* s) {
    FileAttributes a = {{"dnassm_version", DNASSM_VERSION}, {"command", command_line(argc, argv)}};
    if (s) {
        a.insert(a.end(), {{"model", s->model->info().path},
                           {"model_family", s->model->info().family},
                           {"model_fingerprint", model_fingerprint(*s->model)},
                           {"device", s->backend->name()}});
    }
    return a;
}

std::string output_type(const CommonOptions& o, const std::string& stdout_default) {
    std::string type;
    if (!o.output_fmt.empty()) {
        type = o.output_fmt;
        std::transform(type.begin(), type.end(), type.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (type.front() != '.') type.insert(type.begin(), '.');
        DNASSM_CHECK(type == ".vcf.gz" || !gz_name(type), ErrorKind::kUsage,
                     "-O " + o.output_fmt +
                         ": a text output is compressed by its file name (-o OUT" + type +
                         "); to standard output, pipe it through bgzip");
    } else if (o.output == "-") {
        DNASSM_CHECK(!stdout_default.empty(), ErrorKind::kUsage,
                     "-o -: give the format of standard output with -O");
        type = stdout_default;
    } else {
        type = file_extension(o.output);
    }
    static const char* const kText[] = {".bedgraph", ".bg", ".bed", ".tsv", ".vcf"};
    if (o.output_fmt.empty() && type == ".gz") {
        // "x.bed.gz": text, BGZF-compressed (AtomicFile); .vcf.gz is HTSlib's own.
        type = text_extension(o.output);
        DNASSM_CHECK(std::find(std::begin(kText), std::end(kText), type) != std::end(kText),
                     ErrorKind::kUsage,
                     o.output + ": a .gz name compresses text output (bedgraph, bed, tsv, vcf)" +
                         (type.empty() ? "" : "; " + type.substr(1) + " is not text"));
        if (type == ".vcf") type = ".vcf.gz";
    }
    DNASSM_CHECK(
        o.output != "-" || std::find(std::begin(kText), std::end(kText), type) != std::end(kText),
        ErrorKind::kUsage,
        "-o -: standard output takes text formats (bedgraph, bed, tsv, vcf), not " +
            type.substr(1) + "; give a file name");
    return type;
}

// The option a mistyped or misremembered one most likely meant ("window" -> "score-window",
// "treshold" -> "threshold", "rc-average" -> "rc"); empty when none is close. A short option
// ("-x") is one letter: nothing is close to it.
static std::string closest_option(const po::options_description& all, std::string given) {
    if (given.size() <= 2 && given.rfind("--", 0) != 0) return {};
    given.erase(0, given.find_first_not_of('-'));
    std::string best;
    // Edits allowed: one in a short name, two in a longer one; more is a different word.
    size_t best_cost = given.size() <= 4 ? 2 : 3;
    for (const auto& option : all.options()) {
        const std::string& name = option->long_name();
        if (name.empty() || name == "positional") continue;
        size_t cost = 0;
        const bool part = given.size() >= 3 && name.find(given) != std::string::npos;
        const bool more = given.rfind(name, 0) == 0 ||
                          (name.size() >= 4 && given.find(name) != std::string::npos);
        if (part || more) {
            cost = 1;  // a part of the name, or the name with more
        } else {
            std::vector<size_t> row(name.size() + 1);  // Levenshtein distance, one row at a time
            for (size_t j = 0; j <= name.size(); ++j) row[j] = j;
            for (size_t i = 1; i <= given.size(); ++i) {
                size_t diagonal = row[0];
                row[0] = i;
                for (size_t j = 1; j <= name.size(); ++j) {
                    const size_t up = row[j];
                    row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                                       diagonal + (given[i - 1] == name[j - 1] ? 0 : 1)});
                    diagonal = up;
                }
            }
            cost = row[name.size()];
        }
        if (cost < best_cost) {
            best_cost = cost;
            best = name;
        }
    }
    return best;
}

bool parse_options(int argc,
                   char** argv,
                   const std::string& usage,
                   const po::options_description& desc,
                   std::vector<std::string>* positional,
                   int max_positional,
                   po::variables_map* given) {
    po::options_description general("general options");
    general.add_options()("quiet", po::bool_switch(),
                          "no notes, summaries or progress on stderr (errors only; an explicit "
                          "--progress still reports)");
    po::options_description all;
    all.add(desc).add(general);
    po::positional_options_description pos;
    if (positional) {
        all.add_options()("positional", po::value(positional));
        pos.add("positional", max_positional);
    }
    // A command alone ("dnassm embed"), as samtools answers it: how it is used, not the first
    // missing option (info alone lists the models).
    const bool needs_arguments =
        std::any_of(desc.options().begin(), desc.options().end(),
                    [](const auto& option) { return option->semantic()->is_required(); });
    if (argc <= 1 && needs_arguments)
        throw Error(ErrorKind::kUsage, "usage: " + usage.substr(0, usage.find('\n')) +
                                           " (all options: 'dnassm " + argv[0] + " --help')");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    } catch (const po::unknown_option& e) {
        const std::string meant = closest_option(all, e.get_option_name());
        if (meant.empty()) throw;
        throw Error(ErrorKind::kUsage, std::string(e.what()) + " (did you mean --" + meant + "?)");
    }
    if (vm.count("help")) {
        // One column for both groups, a space wider than Boost's own: its longest option is
        // otherwise followed by one space, and help2man (the man pages) needs two to tell an
        // option from its description.
        const unsigned column =
            std::max(desc.get_option_column_width(), general.get_option_column_width()) + 1;
        std::cout << "Usage: " << usage << "\n\n";
        desc.print(std::cout, column);
        std::cout << "\n";
        general.print(std::cout, column);
        std::cout << "\n";
        return false;
    }
    po::notify(vm);
    set_quiet(vm["quiet"].as<bool>());
    if (given) *given = vm;
    return true;
}

bool parse_command_line(int argc,
                        char** argv,
                        const std::string& usage,
                        po::options_description& desc,
                        CommonOptions& o,
                        po::variables_map* given) {
    std::vector<std::string> positional;
    if (!parse_options(argc, argv, usage, desc, &positional, -1, given)) return false;
    DNASSM_CHECK(!positional.empty(), ErrorKind::kUsage,
                 "missing input file (FASTA/FASTQ/SAM/BAM/CRAM, or - for stdin)");
    o.input = positional.front();
    for (size_t k = 1; k < positional.size(); ++k) {
        const std::string& region = positional[k];
        std::error_code ec;
        DNASSM_CHECK(!std::filesystem::is_regular_file(region, ec), ErrorKind::kUsage,
                     "one input per run: '" + region + "' is a file, and what follows " + o.input +
                         " are regions (samtools style: IN [REGION...]; for a region of that "
                         "name, use -r " +
                         region + ")");
        o.regions.push_back(region);
    }
    return true;
}

static std::uint16_t parse_flags(const std::string& s, const char* opt) {
    try {
        size_t used = 0;
        const unsigned long v = std::stoul(s, &used, 0);
        if (used == s.size() && v <= 0xffff) return static_cast<std::uint16_t>(v);
    } catch (const std::exception&) {
    }
    throw Error(ErrorKind::kUsage,
                std::string(opt) + ": '" + s + "' is not a flag value (e.g. 0x900)");
}

static InputOptions input_options(const CommonOptions& o) {
    InputOptions in;
    in.filter.min_mapq = o.min_mapq;
    in.filter.require_flags = parse_flags(o.require_flags, "-f/--require-flags");
    in.filter.exclude_flags = parse_flags(o.exclude_flags, "-F/--exclude-flags");
    in.reference = o.reference;
    in.stranded = o.stranded;
    return in;
}

Session open_session(const CommonOptions& o) {
    DNASSM_CHECK(o.threads >= 1 && o.threads <= 1024, ErrorKind::kUsage,
                 "-@/--threads must be 1..1024");
    DNASSM_CHECK(o.run.chunk >= 1, ErrorKind::kUsage, "--chunk must be positive");
    DNASSM_CHECK(o.run.window >= 0, ErrorKind::kUsage, "--window must be positive");
    DNASSM_CHECK(o.regions.empty() || o.bed.empty(), ErrorKind::kUsage,
                 "use -r (or regions after the input) or -R, not both");
    DNASSM_CHECK(!o.stranded || !o.bed.empty(), ErrorKind::kUsage,
                 "--stranded reads the strand of -R BED intervals; give -R regions.bed");
    DNASSM_CHECK(o.bed != "-" || o.input != "-", ErrorKind::kUsage,
                 "-R - and the input - cannot both be standard input; give one of them as a file");
    set_num_threads(o.threads);
    Session s;
    if (!o.shard.empty()) s.shard = parse_shard(o.shard);
    s.progress_mode = parse_progress_mode(o.progress);
    s.backend = make_backend(o.device);
    s.backend->set_bf16_gemms(o.bf16);
    if (o.device == "auto" && s.backend->name().rfind("cuda", 0) == 0)
        note("dnassm: using %s\n", s.backend->name().c_str());
    s.model = Model::load(o.model_dir);
    // A fine-tuned head on [fwd | rc] need not be equivariant, so --rc can matter there.
    if (o.rc && s.model->info().rc_halves && !s.model->task_head())
        note(
            "dnassm: note: --rc: %s is reverse-complement equivariant (Caduceus-PS), so its "
            "outputs are the same from either strand: --rc doubles the work and changes nothing\n",
            o.model_dir.c_str());
    if (o.exact_tiling) {
        const std::int64_t window = o.run.window > 0 ? o.run.window : s.model->max_length();
        const std::int64_t context = o.run.overlap >= 0 ? o.run.overlap : window / 8;
        const std::int64_t field = s.model->limit_context(context);
        note(
            "dnassm: note: --exact-tiling: long filters truncated so each output sees the "
            "%lld bases before it (of --overlap %lld)\n",
            static_cast<long long>(field), static_cast<long long>(context));
    }
    // HTSlib would fall back on a CRAM's own reference path (its header's UR:) without a word.
    if (!o.reference.empty()) require_readable_file(o.reference, "a reference FASTA (-T)");
    s.input = SequenceInput::open(o.input, input_options(o));
    DNASSM_CHECK(!s.table() || (o.regions.empty() && o.bed.empty()), ErrorKind::kUsage,
                 o.input + ": -r/-R select regions of a sequence file, not rows of a table");
    const auto& contigs = s.input->contigs();
    if (const std::string& why = s.input->unindexed_reason(); !why.empty()) {
        // Every run (every shard of a pipeline) reads such a file whole; a genome's worth is
        // worth a word.
        std::int64_t bases = 0;
        for (const Contig& c : contigs) bases += c.length;
        if (bases >= 10'000'000)
            note("dnassm: note: %s was read whole into memory (%.1f Mb): %s\n", o.input.c_str(),
                 static_cast<double>(bases) / 1e6, why.c_str());
    }
    auto with_file = [&](const std::string& spec_src, auto&& parse) {
        try {
            return parse();
        } catch (const Error& e) {
            throw Error(e.kind(), spec_src + ": " + e.what());
        }
    };
    if (!o.regions.empty())
        s.regions = with_file(o.input, [&] {
            return parse_regions(o.regions, contigs,
                                 s.input->format() == InputFormat::kAlignments
                                     ? RegionsOf::kReads
                                     : RegionsOf::kReference);
        });
    if (!o.bed.empty()) s.regions = read_region_file(o.bed, contigs);
    if (s.input->format() != InputFormat::kAlignments) {
        for (const auto& r : asked_regions(s)) s.total_bases += r.length();
    }
    return s;
}

std::vector<Region> asked_regions(const Session& s) {
    return s.regions.empty() ? whole_contigs(s.input->contigs()) : s.regions;
}

void shard_sequence_records(Session& s, const CommonOptions& o) {
    if (s.shard.whole()) return;
    // FASTA/FASTQ records and table rows are listed when the input opens; reads are counted in
    // a first pass.
    const bool listed = s.input->format() != InputFormat::kAlignments;
    const std::vector<Region> whole = asked_regions(s);
    std::int64_t total = static_cast<std::int64_t>(whole.size());
    if (!listed) {
        total = 0;
        SequenceInput::open(o.input, input_options(o))->for_each(s.regions, [&](SequenceRecord&) {
            ++total;
        });
    }
    const char* what = s.table()           ? "rows of "
                       : !listed           ? "reads of "
                       : s.regions.empty() ? "records of "
                                           : "regions asked of ";
    s.records = shard_records(total, s.shard, what + o.input);
    if (!listed) return;
    s.total_bases = 0;
    for (std::int64_t k = s.records.begin; k < s.records.end; ++k)
        s.total_bases += whole[static_cast<size_t>(k)].length();
}

void tokenize(Session& s,
              const CommonOptions& o,
              const SequenceRecord& rec,
              std::vector<std::int32_t>& ids) {
    const std::string where = o.input + (s.table() ? ": row " : ": ") + rec.name;
    DNASSM_CHECK(!rec.seq.empty(), ErrorKind::kInput, where + ": empty sequence");
    CharTokenizer tok(!o.keep_case);
    tok.encode(rec.seq, ids, s.stats, where);
}

RunOptions run_options(const Session& s, const CommonOptions& o) {
    RunOptions run = o.run;
    run.tile = run.tile || (o.run.window > 0 && s.model->streams());
    return run;
}

void note_plan(Session& s, const CommonOptions& o, std::int64_t L) {
    const RunPlan plan = plan_run(*s.model, L, run_options(s, o));
    if (plan.tiled && !s.plan_noted) {
        note("dnassm: note: sequences longer than %lld bases are %s\n",
             static_cast<long long>(plan.window), plan.describe().c_str());
        s.plan_noted = true;
    }
}

void run_per_base(Session& s,
                  const CommonOptions& o,
                  const std::vector<std::int32_t>& ids,
                  Progress* progress,
                  const std::function<void(std::int64_t, const float*, std::int64_t)>& on_rows,
                  const RunOptions* given_run) {
    const RunOptions run = given_run ? *given_run : run_options(s, o);
    if (!o.rc) {
        run_sequence(*s.model, *s.backend, ids, run, progress,
                     [&](std::int64_t off, const Tensor& h) { on_rows(off, h.f32(), h.dim(0)); });
        return;
    }
    const auto L = static_cast<std::int64_t>(ids.size());
    const std::int64_t D = s.model->info().d_model;
    Tensor fwd({L, D});
    run_sequence(*s.model, *s.backend, ids, run, progress, [&](std::int64_t off, const Tensor& h) {
        std::copy(h.f32(), h.f32() + h.numel(), fwd.f32() + off * D);
    });
    std::vector<std::int32_t> rc = ids;
    reverse_complement(rc);
    // A [fwd | rc] layout (Caduceus-PS) maps back with its channels flipped too.
    const bool flip_channels = s.model->info().rc_halves;
    run_sequence(*s.model, *s.backend, rc, run, progress, [&](std::int64_t off, const Tensor& h) {
        // rc position q is forward position L - 1 - q.
        for (std::int64_t i = 0; i < h.dim(0); ++i) {
            float* dst = fwd.f32() + (L - 1 - (off + i)) * D;
            const float* src = h.f32() + i * D;
            for (std::int64_t d = 0; d < D; ++d)
                dst[d] = 0.5f * (dst[d] + src[flip_channels ? D - 1 - d : d]);
        }
    });
    on_rows(0, fwd.f32(), L);
}

void require_records(const Session& s, const CommonOptions& o, std::int64_t records) {
    if (records > 0) return;
    const bool reads = s.input && s.input->format() == InputFormat::kAlignments;
    throw Error(ErrorKind::kInput,
                o.input + ": no sequences" +
                    (reads ? " (no read passed the filters: -q " + std::to_string(o.min_mapq) +
                                 ", -f " + o.require_flags + ", -F " + o.exclude_flags +
                                 (s.regions.empty() ? "" : ", and the regions") + ")"
                           : ""));
}

void report_input_stats(const Session& s, const CommonOptions& o) {
    const TokenizeStats& stats = s.stats;
    if (const EmptyRecords& empty = s.input->empty_records(); empty.count > 0)
        note("dnassm: note: %lld record%s with no bases left out (%s'%s')\n",
             static_cast<long long>(empty.count), empty.count == 1 ? "" : "s",
             empty.count == 1 ? "" : "the first: ", empty.first.c_str());
    if (stats.lowercase > 0)
        note("dnassm: note: %lld soft-masked (lowercase) bases %s\n",
             static_cast<long long>(stats.lowercase),
             o.keep_case ? "kept as [UNK] (--keep-case)" : "upper-cased");
    if (stats.iupac > 0)
        note("dnassm: note: %lld IUPAC ambiguity codes mapped to N\n",
             static_cast<long long>(stats.iupac));
}

}  // namespace dnassm::app
