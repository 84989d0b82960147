// dnassm call: thresholded calls (BED) from per-base tracks already computed — a bigWig or
// bedGraph from `predict`, or the per-chunk tracks of a pipeline, gathered as `merge` does — so
// thresholds can be tried without running the model again.

#include "dnassm/error.h"
#include "dnassm/io/call_writer.h"
#include "dnassm/messages.h"

#include "commands.h"
#include "common.h"
#include "track_gather.h"

namespace dnassm::app {

int cmd_call(int argc, char** argv) {
    CommonOptions o;  // only -o and -O are used
    CallOptions calls;
    std::vector<std::string> inputs;
    po::options_description desc("dnassm call options");
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("output,o", po::value(&o.output)->required(), "calls (.bed, or .bed.gz compressed; - for standard output)")
        ("name", po::value(&calls.name)->default_value("call"), "BED name column, e.g. the track's name")
        ("probability", po::bool_switch(&calls.probability),
         "the values are probabilities: score = 1000 × mean called value (otherwise 0)");
    // clang-format on
    add_call_options(desc, calls, "(required)");
    bool write_index = false, no_provenance = false;
    add_write_index_option(desc, write_index);
    add_provenance_option(desc, no_provenance);
    po::variables_map given;
    if (!parse_options(argc, argv,
                       "dnassm call --threshold X [--below] -o OUT.bed[.gz] "
                       "TRACK.{bw,bedgraph[.gz],-} [TRACK ...]",
                       desc, &inputs, -1, &given))
        return 0;
    DNASSM_CHECK(given.count("threshold") > 0, ErrorKind::kUsage, "--threshold is required");
    DNASSM_CHECK(!inputs.empty(), ErrorKind::kUsage, "no tracks to call from");
    o.output_fmt = o.output == "-" ? "bed" : "";
    DNASSM_CHECK(output_type(o, ".bed") == ".bed", ErrorKind::kUsage,
                 o.output + ": call writes BED (.bed, or .bed.gz compressed)");
    check_indexable(write_index, {o.output});
    const GatheredTrack track(inputs);
    CallWriter writer(o.output, calls);
    if (!no_provenance) writer.describe(provenance(argc, argv, track));
    track.write_to(writer);
    writer.commit();
    write_indexes(write_index, {o.output});
    if (track.empty())
        note("dnassm call: the inputs hold no values (chunks of N bases?); %s is empty\n",
             o.output.c_str());
    else
        note_if_no_calls("call", o.output, writer, calls, "");
    return 0;
}

}  // namespace dnassm::app
