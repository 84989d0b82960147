// Explorer sessions as JSON: the open files, locus, model and its run, and display settings.
// Paths are stored relative to the session file's folder (absolute ones stay absolute), so a
// session travels with its data.
#pragma once

#include <string>
#include <vector>

#include "locus.h"

namespace dnassm::gui {

struct DisplaySettings {
    bool reverse_complement = false;         // sequence track shows the reverse strand
    int track_height = 60;                   // line tracks, pixels
    int heatmap_rows = 8;                    // principal components computed and drawn
    std::vector<std::int64_t> heatmap_dims;  // embedding dimensions instead of PCs, when given
    bool autoscale = true;                   // robust (1-99 %) range per line track
    bool cluster_rows = false;               // heatmap_dims in their clustering's order
};

struct SessionData {
    std::string fasta;
    std::vector<std::string> alignments, features, signal_tracks;  // BAM/CRAM, BED, bigWig/bedGraph
    std::string model;
    bool run_model = false;           // run the model on the locus when the session opens
    std::vector<std::string> tracks;  // model tracks to compute (empty = all)
    bool embedding = true;            // heatmap + window PCA
    bool rc_average = false;          // --rc averaging of the model tracks
    std::string variant;              // variant mode: "chr:pos REF>ALT" (parse_snv); empty = off
    bool compare_strands = false;     // tracks of the reverse strand too, and the difference
    float call_threshold = 0.5f;      // a task head's calls: probability at least this
    std::int64_t mlm_spacing = 16;    // a masked LM's tracks (RunRequest::mlm_spacing); 0: exact
    std::int64_t mlm_context = 512;   // ... each base predicted from this many either side
    Locus locus;
    std::vector<Panel> panels;  // a split view's loci (two or more); empty for one locus
    DisplaySettings display;
    std::vector<Region> regions;  // regions of interest: contig, beg, end, name = label
};

/// Reads a session; paths come back absolute. Malformed JSON or fields are Error(kInput) naming
/// the file.
[[nodiscard]] SessionData load_session(const std::string& path);

/// Writes atomically (temp file + rename), paths relative to the session's folder.
void save_session(const SessionData& s, const std::string& path);

}  // namespace dnassm::gui
