// The explorer's data layer without widgets: locus parsing and view arithmetic, per-pixel
// summaries, PCA, sessions, BAM coverage against samtools, and model runs against
// `dnassm predict` (QtTest; run by ctest with QT_QPA_PLATFORM=offscreen).
#include <QProcess>
#include <QtTest>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <tuple>

#include "dnassm/error.h"
#include "dnassm/io/npy.h"

#include "model/feature_rows.h"
#include "model/locus.h"
#include "model/model_run.h"
#include "model/pca.h"
#include "model/regions_of_interest.h"
#include "model/row_clustering.h"
#include "model/session.h"
#include "model/sources.h"
#include "model/track_summary.h"
#include "model/variant.h"
#include "model/variant_track.h"
#include "test_folder.h"

using namespace dnassm;
using namespace dnassm::gui;

namespace {

const std::string kRoot = DNASSM_SOURCE_DIR;
const std::string kLambda = kRoot + "/data/lambda/lambda_virus.fa.gz";
const std::string kModel = kRoot + "/data/models/dnassm-mamba-small";
const std::string kShared = DNASSM_SHARED_DATA_DIR;

std::string temp_dir(const char* name) { return test_folder(name).string(); }

// `dnassm predict` of one track over a region, read back through the explorer's own reader.
std::vector<float> predict(const std::string& track,
                           const Locus& l,
                           bool rc = false,
                           const std::string& model = kModel,
                           const std::string& fasta = kLambda,
                           const QStringList& extra = {}) {
    const std::string out = temp_dir("predict") + "/p.bw";
    QStringList args{"predict",
                     "-m",
                     QString::fromStdString(model),
                     "--track",
                     QString::fromStdString(track),
                     "-r",
                     QString::fromStdString(l.contig + ":" + std::to_string(l.beg + 1) + "-" +
                                            std::to_string(l.end)),
                     "-o",
                     QString::fromStdString(out),
                     "--progress",
                     "none",
                     QString::fromStdString(fasta)};
    if (rc) args << "--rc";
    args << extra;
    QProcess p;
    p.start(DNASSM_BIN, args);
    if (!p.waitForFinished(120000) || p.exitCode() != 0)
        throw std::runtime_error("dnassm predict failed: " +
                                 p.readAllStandardError().toStdString());
    return SignalSource(out).values(l);
}

}  // namespace

class GuiModelTest : public QObject {
    Q_OBJECT

  private slots:
    void locusParsing() {
        const std::vector<Contig> contigs{{"chr1", 5'000'000}, {"NC_001416.1", 48502}};
        QCOMPARE(parse_locus("chr1:1.5M-2M", contigs), (Locus{"chr1", 1'499'999, 2'000'000}));
        QCOMPARE(parse_locus("chr1:10k-12,000", contigs), (Locus{"chr1", 9999, 12000}));
        QCOMPARE(parse_locus(" NC_001416.1 ", contigs), (Locus{"NC_001416.1", 0, 48502}));
        QCOMPARE(parse_locus("geneX", contigs, {{"chr1", 100, 200, -1, "geneX"}}),
                 (Locus{"chr1", 100, 200}));
        QCOMPARE(expand_base_suffixes("odd:name:2k"), std::string("odd:name:2000"));
        QCOMPARE(Locus({"chr1", 999, 2000}).label(), std::string("chr1:1,000-2,000"));
        for (const char* bad : {"chr2:1-10", "chr1:1.5-3", "chr1:20-10", "chr1:6M-7M", ""}) {
            bool threw = false;
            try {
                (void)parse_locus(bad, contigs);
            } catch (const Error& e) {
                threw = true;
                QVERIFY2(std::string(e.what()).find("locus") != std::string::npos ||
                             std::string(e.what()).find(bad) != std::string::npos,
                         e.what());
            }
            QVERIFY2(threw, bad);
        }
    }

    // IGV's multi-locus view: loci separated by spaces, feature names kept as panel names; the
    // locus box's text reads back to the same loci.
    void splitLoci() {
        const std::vector<Contig> contigs{{"chr1", 5'000'000}, {"chrM", 16569}};
        const std::vector<Region> genes{{"chr1", 100, 200, -1, "geneX"}};
        const auto panels = parse_loci("  chr1:10k-12k\tgeneX  chrM ", contigs, genes);
        QCOMPARE(panels.size(), size_t{3});
        QCOMPARE(panels[0].locus, (Locus{"chr1", 9999, 12000}));
        QCOMPARE(panels[1].locus, (Locus{"chr1", 100, 200}));
        QCOMPARE(panels[2].locus, (Locus{"chrM", 0, 16569}));
        QCOMPARE(panels[0].name + "|" + panels[1].name + "|" + panels[2].name,
                 std::string("|geneX|"));
        QCOMPARE(loci_text(panels), std::string("chr1:10,000-12,000 chr1:101-200 chrM:1-16,569"));
        const auto back = parse_loci(loci_text(panels), contigs);
        QCOMPARE(back.size(), panels.size());
        for (size_t k = 0; k < back.size(); ++k) QCOMPARE(back[k].locus, panels[k].locus);
        QCOMPARE(parse_loci("chrM:1-100", contigs).size(), size_t{1});
        std::string many;
        for (int i = 0; i <= kMaxPanels; ++i) many += " chrM";
        for (const std::string& bad : {std::string("chr1:1-10 chr9"), std::string("  "), many}) {
            try {
                (void)parse_loci(bad, contigs);
                QFAIL(bad.c_str());
            } catch (const Error& e) {
                const std::string what = e.what();
                QVERIFY2(what.find("chr9") != std::string::npos ||
                             what.find("empty") != std::string::npos ||
                             what.find("at most 16") != std::string::npos,
                         e.what());
            }
        }
        // Columns: equal widths (spare pixels to the first), gaps between, none past the end.
        QCOMPARE(panel_columns(120, 1000, 1, 6), (std::vector<std::pair<int, int>>{{120, 1120}}));
        QCOMPARE(panel_columns(100, 32, 3, 4),
                 (std::vector<std::pair<int, int>>{{100, 108}, {112, 120}, {124, 132}}));
        QCOMPARE(panel_columns(0, 33, 3, 4),
                 (std::vector<std::pair<int, int>>{{0, 9}, {13, 21}, {25, 33}}));
    }

    void zoomAndPan() {
        const Locus l{"c", 1000, 2000};
        const Locus in = zoom(l, 0.5, 0.25, 10'000);  // keeps base 1250 at a quarter
        QCOMPARE(in, (Locus{"c", 1125, 1625}));
        QCOMPARE(zoom(l, 100, 0.5, 10'000), (Locus{"c", 0, 10'000}));
        QCOMPARE(zoom(l, 1e-6, 0.5, 10'000).width(), std::int64_t{20});
        QCOMPARE(pan(l, -5000, 10'000), (Locus{"c", 0, 1000}));
        QCOMPARE(pan(l, 9000, 10'000), (Locus{"c", 9000, 10'000}));
    }

    // IGV's next/previous feature: genome order by contig, midpoint, then file order; from the
    // view's centre a feature centred there is the one in view, neither next nor previous.
    void steppingThroughFeatures() {
        const std::vector<Contig> contigs{{"a", 1000}, {"b", 500}};
        const std::vector<Region> f{{"b", 10, 50, -1, "b1"},      {"a", 100, 200, -1, "one"},
                                    {"z", 0, 10, -1, "other"},    {"a", 100, 200, -1, "twin"},
                                    {"a", 950, 1000, -1, "edge"}, {"a", 0, 100, -1, "start"}};
        const auto next = [&](const FeatureCursor& c) { return step_feature(f, contigs, c, 1); };
        const auto prev = [&](const FeatureCursor& c) { return step_feature(f, contigs, c, -1); };
        using C = FeatureCursor;
        QCOMPARE(next(C{"a", 50}), std::int64_t{1});   // "start" is centred at 50: in view
        QCOMPARE(prev(C{"a", 50}), std::int64_t{-1});  // nothing before it
        QCOMPARE(prev(C{"a", 51}), std::int64_t{5});
        QCOMPARE(next(C{"a", 150, 1}), std::int64_t{3});  // the twin, then on
        QCOMPARE(next(C{"a", 150, 3}), std::int64_t{4});
        QCOMPARE(prev(C{"a", 150, 3}), std::int64_t{1});
        QCOMPARE(next(C{"a", 975, 4}), std::int64_t{0});  // on to the next contig
        QCOMPARE(prev(C{"b", 30, 0}), std::int64_t{4});
        QCOMPARE(next(C{"b", 30, 0}), std::int64_t{-1});  // "z" is not a contig of the genome
        QCOMPARE(next(C{"z", 0}), std::int64_t{-1});
        QCOMPARE(centre_on(f[4], 100, 1000), (Locus{"a", 900, 1000}));  // kept in the contig
        QCOMPARE(centre_on(f[1], 20, 1000), (Locus{"a", 140, 160}));
        QCOMPARE(centre_on(f[0], 5000, 500), (Locus{"b", 0, 500}));
    }

    // Ruler ticks: 3 to 8 per view at any width, and labels precise enough that no two read
    // alike, also deep into a long chromosome (the old 4-digit labels read "123.5M" for all).
    void rulerTicksAndLabels() {
        auto labels = [](const Locus& l) {
            std::vector<std::string> out;
            for (const RulerTick& t : ruler_ticks(l)) out.push_back(t.label);
            return out;
        };
        QCOMPARE(labels({"c", 999, 1119}),
                 (std::vector<std::string>{"1,000", "1,020", "1,040", "1,060", "1,080", "1,100"}));
        QCOMPARE(labels({"c", 123'456'700, 123'456'820}).front(), std::string("123,456,700"));
        QCOMPARE(labels({"c", 0, 20'000}),
                 (std::vector<std::string>{"0", "5k", "10k", "15k", "20k"}));
        QCOMPARE(labels({"c", 0, 248'956'422}).back(), std::string("200M"));
        QCOMPARE(ruler_ticks({"c", 10, 11}).front().pos, std::int64_t{10});
        for (std::int64_t w = 1; w < 300'000'000; w = w * 3 + 1) {
            const Locus l{"c", 123'456'789, 123'456'789 + w};
            const auto ticks = ruler_ticks(l);
            QVERIFY2(ticks.size() >= 1 && ticks.size() <= 9, std::to_string(w).c_str());
            if (w >= 10) QVERIFY2(ticks.size() >= 3, std::to_string(w).c_str());
            for (size_t i = 0; i < ticks.size(); ++i) {
                QVERIFY(ticks[i].pos >= l.beg && ticks[i].pos <= l.end);
                if (i > 0) QVERIFY2(ticks[i].label != ticks[i - 1].label, ticks[i].label.c_str());
            }
        }
    }

    // Features in rows: overlapping ones apart, touching ones in one row, rows per contig, and
    // past the limit the rest share the last row. Checked against every pair.
    void featureRows() {
        auto f = [](const char* c, std::int64_t b, std::int64_t e) {
            Region r;
            r.contig = c;
            r.beg = b;
            r.end = e;
            return r;
        };
        const std::vector<Region> feats{f("a", 50, 90), f("a", 0, 100), f("a", 100, 200),
                                        f("a", 60, 70), f("b", 0, 10),  f("a", 150, 160),
                                        f("a", 65, 66)};
        const FeatureRows rows = pack_feature_rows(feats, 8);
        QCOMPARE(rows.row, (std::vector<int>{1, 0, 0, 2, 0, 1, 3}));
        QCOMPARE(rows.on("a"), 4);
        QCOMPARE(rows.on("b"), 1);
        QCOMPARE(rows.on("none"), 1);
        for (size_t i = 0; i < feats.size(); ++i)
            for (size_t j = i + 1; j < feats.size(); ++j)
                if (rows.row[i] == rows.row[j] && feats[i].contig == feats[j].contig)
                    QVERIFY(feats[i].end <= feats[j].beg || feats[j].end <= feats[i].beg);
        const FeatureRows two = pack_feature_rows(feats, 2);
        QCOMPARE(two.on("a"), 2);
        QCOMPARE(two.row[3], 1);  // [60, 70) and [65, 66) overlap the first two rows: the last
        QCOMPARE(two.row[6], 1);
        QCOMPARE(pack_feature_rows({}, 8).on("a"), 1);
    }

    // Signal tracks are indexed (sorted, binary search); any view reads what a scan of every
    // interval would: unsorted input, two contigs, nested and touching intervals, empty views.
    void signalViewsEqualAFullScan() {
        const std::string path = QDir::tempPath().toStdString() + "/signal_views.bedgraph";
        std::ofstream(path) << "c2\t50\t60\t7\n"
                               "c1\t300\t400\t3\n"
                               "c1\t10\t20\t1\n"
                               "c1\t20\t250\t2\n"
                               "c1\t500\t501\t4\n"
                               "c2\t0\t10\t8\n";
        const SignalSource src(path);
        const std::vector<std::tuple<std::string, std::int64_t, std::int64_t, float>> ivs{
            {"c2", 50, 60, 7},  {"c1", 300, 400, 3}, {"c1", 10, 20, 1},
            {"c1", 20, 250, 2}, {"c1", 500, 501, 4}, {"c2", 0, 10, 8}};
        for (const Locus& l : {Locus{"c1", 0, 600}, Locus{"c1", 15, 25}, Locus{"c1", 260, 299},
                               Locus{"c1", 399, 501}, Locus{"c1", 501, 900}, Locus{"c2", 5, 55},
                               Locus{"c3", 0, 10}}) {
            std::vector<float> want(static_cast<size_t>(l.width()), std::nanf(""));
            for (const auto& [c, b, e, v] : ivs)
                for (std::int64_t p = std::max(b, l.beg); c == l.contig && p < std::min(e, l.end);
                     ++p)
                    want[static_cast<size_t>(p - l.beg)] = v;
            const auto got = src.values(l);
            QCOMPARE(got.size(), want.size());
            for (size_t i = 0; i < got.size(); ++i)
                QVERIFY2(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])),
                         (l.label() + " at " + std::to_string(i)).c_str());
        }
    }

    // A zoomed-out view is drawn from the track's own summaries; for a bedGraph they are exactly
    // the per-pixel summaries of its per-base values.
    void zoomedOutSummariesEqualPerBaseOnes() {
        const std::string path = QDir::tempPath().toStdString() + "/signal_bins.bedgraph";
        {
            std::ofstream f(path);
            for (int i = 0; i < 5000; ++i)
                if (i % 7 != 3)
                    f << "c\t" << i * 10 << '\t' << i * 10 + 10 << '\t' << (i * 37 % 101) << '\n';
        }
        const SignalSource src(path);
        for (const Locus& l : {Locus{"c", 0, 50'000}, Locus{"c", 1234, 45'678}}) {
            const auto want = summarize(src.values(l), 97);
            const auto got = src.bins(l, 97);
            QCOMPARE(got.size(), want.size());
            for (size_t i = 0; i < got.size(); ++i) {
                QCOMPARE(got[i].valid, want[i].valid);
                if (!want[i].valid) continue;
                QCOMPARE(got[i].min, want[i].min);
                QCOMPARE(got[i].max, want[i].max);
                QVERIFY(std::abs(got[i].mean - want[i].mean) <
                        1e-4f * std::max(1.0f, want[i].mean));
            }
        }
    }

    void pixelSummaries() {
        const float nan = std::nanf("");
        const std::vector<float> v{1, 5, nan, nan, 2, 4, 3, 3};
        const auto bins = summarize(v, 4);
        QCOMPARE(bins.size(), size_t{4});
        QCOMPARE(bins[0].min, 1.0f);
        QCOMPARE(bins[0].max, 5.0f);
        QCOMPARE(bins[0].mean, 3.0f);
        QVERIFY(!bins[1].valid);
        QCOMPARE(bins[3].mean, 3.0f);
        const auto zoomed_in = summarize(std::vector<float>{7, 8}, 10);  // each pixel sees a base
        QVERIFY(zoomed_in[0].valid && zoomed_in[9].valid);
        std::vector<float> with_outlier(1000, 1.0f);
        for (int i = 0; i < 1000; ++i)
            with_outlier[static_cast<size_t>(i)] = static_cast<float>(i % 10);
        with_outlier[3] = 1e9f;
        const ValueRange r = robust_range(with_outlier);
        QVERIFY(r.hi <= 9.0f && r.lo >= 0.0f);
    }

    void pcaRecoversTheMainDirection() {
        const std::int64_t n = 500, d = 6;
        std::vector<float> rows(static_cast<size_t>(n * d));
        const float u[6] = {0.6f, 0.0f, -0.8f, 0.0f, 0.0f, 0.0f};
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t k = 0; k < d; ++k)
                rows[static_cast<size_t>(i * d + k)] =
                    3.0f + static_cast<float>(i % 50 - 25) * u[k] +
                    0.01f * static_cast<float>((i * 7 + k * 13) % 11 - 5);
        const Pca p = fit_pca(rows.data(), n, d, 3);
        QCOMPARE(p.k, std::int64_t{3});
        QVERIFY(std::fabs(std::fabs(p.components[0]) - 0.6f) < 1e-3f);
        QVERIFY(std::fabs(std::fabs(p.components[2]) - 0.8f) < 1e-3f);
        QVERIFY(p.variance[0] > 100 * p.variance[1]);
        const auto scores = project(p, rows.data(), n);
        double mean0 = 0;
        for (std::int64_t i = 0; i < n; ++i) mean0 += scores[static_cast<size_t>(i * 3)];
        QVERIFY(std::fabs(mean0 / static_cast<double>(n)) < 1e-3);
    }

    // Regions of interest: labelled intervals in genome order, exported as BED4.
    void regionsOfInterest() {
        const std::vector<Contig> contigs{{"b", 500}, {"a", 1000}};
        const auto region = [](const char* c, std::int64_t beg, std::int64_t end,
                               const char* label) {
            return Region{.contig = c, .beg = beg, .end = end, .name = label};
        };
        QCOMPARE(region_label("  enhancer "), std::string("enhancer"));
        QCOMPARE(region_label(""), std::string("region"));
        QCOMPARE(region_label("two words"), std::string("two words"));
        for (const char* bad : {"a\tb", "a\nb"}) {
            try {
                (void)region_label(bad);
                QFAIL("a label with a tab or line break was taken");
            } catch (const Error& e) {
                QCOMPARE(e.kind(), ErrorKind::kUsage);
            }
        }
        std::vector<Region> rs;
        add_region(rs, region("a", 10, 20, "x"), contigs);
        add_region(rs, region("b", 300, 400, " y "), contigs);
        add_region(rs, region("a", 5, 50, ""), contigs);
        add_region(rs, region("a", 10, 20, "x"), contigs);  // the same again: kept once
        add_region(rs, region("a", 10, 20, "z"), contigs);  // another label: kept
        QCOMPARE(regions_bed(rs),
                 std::string("b\t300\t400\ty\na\t5\t50\tregion\na\t10\t20\tx\na\t10\t20\tz\n"));
        for (const Region& bad :
             {region("c", 0, 5, "x"), region("a", 990, 1001, "x"), region("a", 20, 20, "x")}) {
            try {
                add_region(rs, bad, contigs);
                QFAIL("an interval off the genome was taken");
            } catch (const Error& e) {
                QCOMPARE(e.kind(), ErrorKind::kInput);
            }
        }
        QCOMPARE(remove_regions(rs, "a", 15, 16), 3);
        QCOMPARE(regions_bed(rs), std::string("b\t300\t400\ty\n"));
        QCOMPARE(remove_regions(rs, "a", 0, 1000), 0);
    }

    void sessionsUseRelativePaths() {
        const std::string dir = temp_dir("session");
        std::filesystem::create_directories(dir + "/sub");
        SessionData s;
        s.fasta = kLambda;
        s.model = kModel;
        s.signal_tracks = {dir + "/track.bw"};
        s.run_model = true;
        s.tracks = {"loglik"};
        s.locus = {"NC_001416.1", 99, 2000};
        s.display.heatmap_rows = 4;
        s.display.reverse_complement = true;
        s.variant = "NC_001416.1:150 A>G";
        s.compare_strands = true;
        s.mlm_spacing = 0;
        s.mlm_context = 96;
        s.regions = {{.contig = "NC_001416.1", .beg = 10, .end = 20, .name = "cos site"}};
        save_session(s, dir + "/sub/s.json");
        std::ifstream in(dir + "/sub/s.json");
        const std::string text((std::istreambuf_iterator<char>(in)), {});
        QVERIFY(text.find("\"../track.bw\"") != std::string::npos);
        QVERIFY(text.find("\"start\": 100") != std::string::npos);
        const SessionData back = load_session(dir + "/sub/s.json");
        QCOMPARE(back.fasta, std::filesystem::path(kLambda).lexically_normal().string());
        QCOMPARE(back.signal_tracks.at(0), dir + "/track.bw");
        QCOMPARE(back.locus, s.locus);
        QCOMPARE(back.display.heatmap_rows, 4);
        QVERIFY(back.display.reverse_complement && back.run_model);
        QCOMPARE(back.variant, s.variant);
        QVERIFY(back.compare_strands);
        QCOMPARE(back.mlm_spacing, std::int64_t{0});
        QCOMPARE(back.mlm_context, std::int64_t{96});
        std::ofstream(dir + "/old.json") << R"({"model": {"path": "m"}})";  // before mlm_spacing
        QCOMPARE(load_session(dir + "/old.json").mlm_spacing, std::int64_t{16});
        QCOMPARE(load_session(dir + "/old.json").mlm_context, std::int64_t{512});
        QCOMPARE(back.regions.size(), size_t{1});
        QCOMPARE(back.regions[0].label() + " " + back.regions[0].name,
                 std::string("NC_001416.1:11-20 cos site"));
        // Sessions load_session refuses: the error names the file, then the problem.
        for (const auto& [name, json, problem] :
             {std::tuple{"variant", R"({"model": {"path": "m", "variant": "x:5 A>AT"}})",
                         "variant 'x:5 A>AT': only"},
              std::tuple{"spacing", R"({"model": {"path": "m", "mlm_spacing": 1}})",
                         "model.mlm_spacing must be 0"},
              std::tuple{"context", R"({"model": {"path": "m", "mlm_context": 0}})",
                         "model.mlm_context must be at least 1"}}) {
            const std::string path = dir + "/" + name + ".json";
            std::ofstream(path) << json;
            try {
                (void)load_session(path);
                QFAIL(qPrintable(QString("the session %1 loaded").arg(json)));
            } catch (const Error& e) {
                QVERIFY2(std::string(e.what()).rfind(path + ": " + problem, 0) == 0, e.what());
            }
        }
        std::ofstream(dir + "/bad.json") << "{\"fasta\": ";
        try {
            (void)load_session(dir + "/bad.json");
            QFAIL("a truncated session loaded");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("bad.json") != std::string::npos, e.what());
        }
    }

    void fastaFetchAndErrors() {
        const FastaSource fa(kLambda);
        QCOMPARE(fa.contigs().size(), size_t{1});
        QCOMPARE(fa.length("NC_001416.1"), std::int64_t{48502});
        QCOMPARE(fa.fetch({"NC_001416.1", 0, 12}), std::string("GGGCGGCGACCT"));
        try {
            FastaSource missing("/nonexistent/x.fa");
            QFAIL("opened a missing FASTA");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("/nonexistent/x.fa") != std::string::npos);
        }
    }

    void bamCoverageEqualsSamtoolsDepth() {
        const std::string dir = kShared + "/bam/pysam_ex1";
        if (!std::filesystem::exists(dir + "/ex1.bam"))
            QSKIP("../shared/data/bam/pysam_ex1 absent");
        const Locus l{"chr1", 99, 400};
        const auto depth = bam_coverage(dir + "/ex1.bam", l);
        QProcess p;
        p.start("samtools",
                {"depth", "-a", "-r", "chr1:100-400", QString::fromStdString(dir + "/ex1.bam")});
        QVERIFY(p.waitForFinished(60000));
        const QStringList lines =
            QString(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 301);
        double total = 0;
        for (const QString& line : lines) {
            const QStringList f = line.split('\t');
            const int pos = f[1].toInt();
            QCOMPARE(depth[static_cast<size_t>(pos - 100)], f[2].toFloat());
            total += f[2].toDouble();
        }
        QVERIFY(total > 1000);  // real reads, not an all-zero track
    }

    void modelTracksEqualPredict() {
        const Locus l{"NC_001416.1", 10'000, 13'000};
        RunRequest req{kModel, kLambda, l, false, {"loglik", "entropy"}, true, 8, 0, {}};
        const RunResult r = run_model(req);
        QCOMPARE(r.tracks.size(), size_t{2});
        for (const auto& t : r.tracks) {
            const auto expected = predict(t.name, l);
            QCOMPARE(t.values.size(), expected.size());
            QVERIFY(std::isnan(t.values[0]) && std::isnan(expected[0]));  // first base: no context
            for (size_t i = 1; i < expected.size(); ++i)
                QVERIFY2(
                    std::fabs(t.values[i] - expected[i]) <= 1e-6f * (1 + std::fabs(expected[i])),
                    qPrintable(QString("%1[%2]: %3 vs %4")
                                   .arg(t.name.c_str())
                                   .arg(i)
                                   .arg(t.values[i])
                                   .arg(expected[i])));
        }
        QCOMPARE(r.components, std::int64_t{8});
        QCOMPARE(r.bins, l.width());
        QCOMPARE(r.heatmap.size(), size_t(8 * 3000));
        QCOMPARE(r.windows.size() * 2, r.window_xy.size());
        QCOMPARE(r.row_labels.size(), size_t{8});
        QVERIFY(r.row_labels[0].rfind("PC1 (", 0) == 0);
        const RunResult rc = run_model({kModel, kLambda, l, true, {"loglik"}, false, 8, 0, {}});
        const auto expected_rc = predict("loglik", l, true);
        for (size_t i = 0; i < expected_rc.size(); ++i)
            QVERIFY(std::fabs(rc.tracks[0].values[i] - expected_rc[i]) <=
                    1e-6f * (1 + std::fabs(expected_rc[i])));
    }

    // A VCF drawn as features: a box over each record's REF bases, named by ID, alleles and the
    // scores dnassm score writes; records on contigs the genome lacks left out, UCSC names mapped.
    void vcfRecordsAsFeatures() {
        const std::string dir = temp_dir("vcf_features");
        const std::vector<Contig> contigs{{"1", 1000}, {"MT", 100}};
        const std::string header =
            "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n##contig=<ID=Z,length=50>\n"
            "##INFO=<ID=DNASSM_LLR,Number=A,Type=Float,Description=\"llr\">\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
        std::ofstream(dir + "/v.vcf") << header
                                      << "chr1\t10\trs1\tA\tG\t.\t.\tDNASSM_LLR=-1.25\n"
                                         "chr1\t20\t.\tACG\tA,AT\t.\t.\tDNASSM_LLR=0.5,.\n"
                                         "Z\t5\t.\tC\tT\t.\t.\t.\n"
                                         "chr1\t1000\t.\tT\tC\t.\t.\t.\n";
        size_t left_out = 0;
        std::map<std::string, std::string> aliases;
        const auto v = read_vcf_variants(dir + "/v.vcf", contigs, &left_out, &aliases);
        QCOMPARE(v.size(), size_t{3});
        QCOMPARE(v[0].label() + " " + v[0].name, std::string("1:10-10 rs1 A>G llr=-1.25"));
        QCOMPARE(v[1].label() + " " + v[1].name, std::string("1:20-22 ACG>A,AT llr=0.5,NA"));
        QCOMPARE(v[2].label() + " " + v[2].name, std::string("1:1000-1000 T>C"));
        QCOMPARE(left_out, size_t{1});
        QCOMPARE(aliases, (std::map<std::string, std::string>{{"chr1", "1"}}));
        // Through read_features, by content whatever the name, with full-height boxes.
        std::vector<GeneModel> models;
        std::filesystem::copy_file(dir + "/v.vcf", dir + "/v.txt",
                                   std::filesystem::copy_options::overwrite_existing);
        QCOMPARE(read_features(dir + "/v.txt", contigs, nullptr, &models).size(), size_t{3});
        QCOMPARE(feature_pieces(v[1], &models[1]), (std::vector<FeaturePiece>{{19, 22, true}}));
        std::ofstream(dir + "/past.vcf") << header << "chr1\t999\t.\tACG\tA\t.\t.\t.\n";
        try {
            (void)read_vcf_variants(dir + "/past.vcf", contigs);
            QFAIL("a record past its contig's end was drawn");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()),
                     dir +
                         "/past.vcf: record 1 (1:999) reaches past the end of 1 (length 1000): "
                         "a VCF of another assembly?");
        }
    }

    void variantsReadAsVcfAndAgtWriteThem() {
        QCOMPARE(parse_snv("NC_001416.1:1000 A>G"), (Snv{"NC_001416.1", 999, 'A', 'G'}));
        QCOMPARE(parse_snv(" NC_001416.1:1,000:a>g "), (Snv{"NC_001416.1", 999, 'A', 'G'}));
        QCOMPARE(parse_snv("HLA-A*01:01:5 C>T"), (Snv{"HLA-A*01:01", 4, 'C', 'T'}));
        QCOMPARE(parse_snv("chr1:12 T>A").label(), std::string("chr1:12 T>A"));
        const std::pair<const char*, const char*> bad[] = {
            {"chr1:5 AT>A", "only single-base substitutions"},
            {"chr1:5 A>AT", "only single-base substitutions"},
            {"chr1:5 A>A", "ALT equals REF"},
            {"chr1:5 A>N", "must be A, C, G or T"},
            {"chr1:5 A>C,G", "only single-base substitutions"},
            {"chr1:5 A>X", "must be bases"},
            {"chr1:0 A>G", "1-based"},
            {"chr1:x A>G", "must be a number"},
            {"chr1 A>G", "expected chr:pos:REF>ALT"},
            {"A>G", "expected chr:pos:REF>ALT"},
            {"chr1:5", "expected chr:pos:REF>ALT"}};
        for (const auto& [text, needle] : bad) {
            try {
                (void)parse_snv(text);
                QFAIL(qPrintable(QString("'%1' was accepted").arg(text)));
            } catch (const Error& e) {
                QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
                QVERIFY2(std::string(e.what()).find(text) != std::string::npos, e.what());
            }
        }
    }

    // A split view's loci run together: each part's tracks and raw embedding dimensions are
    // those of a run over that locus alone; its PCs are fitted over every part (centred over all
    // of them, not each); a variant changes the part that holds it, and leaves the others' alt
    // tracks equal to their reference's.
    void splitViewLociRunTogether() {
        const std::string c = "NC_001416.1";
        const std::vector<Locus> loci{{c, 20'000, 20'300}, {c, 1'000, 1'500}, {c, 1'100, 1'200}};
        const auto request = [&](const Locus& l) {
            RunRequest req{kModel, kLambda, l, false, {"loglik", "entropy"}, true, 3, 0, {}};
            req.window = 50;
            return req;
        };
        RunRequest together = request(loci[0]);
        together.loci = loci;
        const RunResult all = run_model(together);
        QCOMPARE(all.parts.size(), size_t{3});
        QCOMPARE(all.locus, loci[0]);
        QCOMPARE(all.tracks[0].values.size(), size_t{300 + 500 + 100});
        QCOMPARE(all.parts[1].value_offset, std::int64_t{300});
        QCOMPARE(all.parts[2].bin_offset, std::int64_t{800});
        QCOMPARE(all.bins, std::int64_t{900});
        QCOMPARE(all.windows.size(), size_t{6 + 10 + 2});
        QCOMPARE(all.windows[6], (Locus{c, 1'000, 1'050}));
        for (size_t k = 0; k < loci.size(); ++k) {
            const RunResult alone = run_model(request(loci[k]));
            for (size_t t = 0; t < 2; ++t) {
                const float* part = all.tracks[t].values.data() + all.parts[k].value_offset;
                const auto& expected = alone.tracks[t].values;
                QVERIFY(std::isnan(part[0]) && std::isnan(expected[0]));  // no context
                QVERIFY(std::equal(expected.begin() + 1, expected.end(), part + 1));
            }
            // Where parts overlap (the third lies in the second), the first is shown.
            QCOMPARE(all.part_at(c, loci[k].beg + 50)->locus, loci[k == 2 ? 1 : k]);
            if (k < 2) QVERIFY(all.values_over(0, loci[k])[7] == alone.tracks[0].values[7]);
        }
        QVERIFY(all.part_at(c, 30'000) == nullptr);
        const auto gap = all.values_over(0, {c, 1'450, 1'550});  // a part, then none
        QVERIFY(!std::isnan(gap[10]) && std::isnan(gap[60]));
        // One PCA over every part: each PC sums to zero over all bins, not over each part.
        for (std::int64_t pc = 0; pc < all.components; ++pc) {
            double sum = 0, first = 0, scale = 0;
            for (std::int64_t b = 0; b < all.bins; ++b) {
                const double x = all.heatmap[static_cast<size_t>(pc * all.bins + b)];
                sum += x;
                scale += std::fabs(x);
                if (b < 300) first += x;
            }
            QVERIFY2(std::fabs(sum) < 1e-3 * scale, qPrintable(QString::number(sum)));
            if (pc == 0) QVERIFY(std::fabs(first) > 1e-2 * scale);
        }
        // Raw dimensions: each part's, as alone.
        together.dims = {3, 17};
        const RunResult dims = run_model(together);
        RunRequest alone_dims = request(loci[1]);
        alone_dims.dims = {3, 17};
        const RunResult alone = run_model(alone_dims);
        for (std::int64_t b = 0; b < 500; ++b)
            QCOMPARE(dims.heatmap[static_cast<size_t>(dims.bins + 300 + b)],
                     alone.heatmap[static_cast<size_t>(alone.bins + b)]);
        // A variant in the second part only.
        const std::int64_t pos = 1'250;
        const char ref = FastaSource(kLambda).fetch({c, pos, pos + 1})[0];
        together.dims.clear();
        together.variant = {c, pos, ref, ref == 'A' ? 'C' : 'A'};
        const RunResult v = run_model(together);
        QCOMPARE(v.tracks[2].name, std::string("loglik alt-ref"));
        const auto diff_first = v.values_over(2, loci[0]), diff_second = v.values_over(2, loci[1]);
        QVERIFY(std::all_of(diff_first.begin() + 1, diff_first.end(),
                            [](float x) { return x == 0.0f; }));
        QVERIFY(std::any_of(diff_second.begin() + 251, diff_second.end(),
                            [](float x) { return x != 0.0f; }));
        together.variant.pos = 30'000;
        together.variant.ref = FastaSource(kLambda).fetch({c, 30'000, 30'001})[0];
        together.variant.alt = together.variant.ref == 'A' ? 'C' : 'A';
        try {
            (void)run_model(together);
            QFAIL("a variant outside every locus was run");
        } catch (const Error& e) {
            QVERIFY2(
                std::string(e.what()).find("outside the region run (3 loci)") != std::string::npos,
                e.what());
        }
    }

    void variantModeTracksEqualPredictOnTheAlteredSequence() {
        // The alt tracks are `dnassm predict` over a FASTA with the base substituted; alt-ref
        // is their difference from the reference's.
        const Locus l{"NC_001416.1", 10'000, 10'400};
        const FastaSource lambda(kLambda);
        const std::string seq = lambda.fetch({"NC_001416.1", 0, 48502});
        const std::int64_t pos = 10'199;
        const char ref = seq[static_cast<size_t>(pos)], alt = ref == 'A' ? 'C' : 'A';
        const std::string dir = temp_dir("variant");
        std::string altered = seq;
        altered[static_cast<size_t>(pos)] = alt;
        std::ofstream(dir + "/alt.fa") << ">NC_001416.1\n" << altered << "\n";
        RunRequest req{kModel, kLambda, l, false, {"loglik"}, false, 8, 0, {}};
        req.variant = {"NC_001416.1", pos, ref, alt};
        const RunResult r = run_model(req);
        QCOMPARE(r.variant, req.variant);
        QCOMPARE(r.tracks.size(), size_t{3});
        QCOMPARE(r.tracks[1].name, std::string("loglik alt"));
        QCOMPARE(r.tracks[2].name, std::string("loglik alt-ref"));
        const auto expected_ref = predict("loglik", l),
                   expected_alt = predict("loglik", l, false, kModel, dir + "/alt.fa");
        const auto near = [](float a, float b) {
            return std::fabs(a - b) <= 1e-6f * (1 + std::fabs(b));
        };
        std::int64_t changed = 0;
        for (size_t i = 1; i < expected_ref.size(); ++i) {
            QVERIFY(near(r.tracks[0].values[i], expected_ref[i]));
            QVERIFY(near(r.tracks[1].values[i], expected_alt[i]));
            QCOMPARE(r.tracks[2].values[i], r.tracks[1].values[i] - r.tracks[0].values[i]);
            // A causal model: nothing before the variant changes; from it on, something does.
            if (static_cast<std::int64_t>(i) < pos - l.beg) QCOMPARE(r.tracks[2].values[i], 0.0f);
            changed += r.tracks[2].values[i] != 0.0f;
        }
        QVERIFY(changed > 10);
        // With strands compared too: each track, its other strand, then its alternate allele.
        RunRequest both = req;
        both.compare_strands = true;
        std::vector<std::string> names;
        for (const auto& t : run_model(both).tracks) names.push_back(t.name);
        QCOMPARE(names, (std::vector<std::string>{"loglik", "loglik rc", "loglik rc-fwd",
                                                  "loglik alt", "loglik alt-ref"}));
        // REF must match the FASTA; the variant must lie in the region run.
        req.variant.ref = alt;
        req.variant.alt = ref;
        try {
            (void)run_model(req);
            QFAIL("a REF the FASTA does not have was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find(std::string("does not match ") + kLambda +
                                                ", which has " + ref) != std::string::npos,
                     e.what());
        }
        req.variant = {"NC_001416.1", 20'000, 'A', 'C'};
        try {
            (void)run_model(req);
            QFAIL("a variant outside the region was accepted");
        } catch (const Error& e) {
            QVERIFY2(
                std::string(e.what()).find(
                    "is outside the region run (NC_001416.1:10,001-10,400)") != std::string::npos,
                e.what());
        }
    }

    void comparingStrandsShowsEachStrandAndTheirDifference() {
        // The forward and reverse-strand tracks average to `dnassm predict --rc`'s (which takes
        // the one strand where the other has no value).
        const Locus l{"NC_001416.1", 5'000, 6'500};
        RunRequest req{kModel, kLambda, l, false, {"loglik"}, false, 8, 0, {}};
        req.compare_strands = true;
        const RunResult r = run_model(req);
        QCOMPARE(r.tracks.size(), size_t{3});
        QCOMPARE(r.tracks[1].name, std::string("loglik rc"));
        QCOMPARE(r.tracks[2].name, std::string("loglik rc-fwd"));
        const auto averaged = predict("loglik", l, true);
        const auto &fwd = r.tracks[0].values, &rev = r.tracks[1].values;
        QVERIFY(std::isnan(fwd.front()) && std::isnan(rev.back()));  // no left / right context
        for (size_t i = 0; i < averaged.size(); ++i) {
            const float both = std::isnan(fwd[i])   ? rev[i]
                               : std::isnan(rev[i]) ? fwd[i]
                                                    : 0.5f * (fwd[i] + rev[i]);
            QVERIFY2(std::fabs(both - averaged[i]) <= 1e-6f * (1 + std::fabs(averaged[i])),
                     qPrintable(QString("base %1: %2 vs %3").arg(i).arg(both).arg(averaged[i])));
            if (!std::isnan(fwd[i]) && !std::isnan(rev[i]))
                QCOMPARE(r.tracks[2].values[i], rev[i] - fwd[i]);
        }
        // A causal model reads the strands differently; an RC-equivariant one (Caduceus-PS) gives
        // each base the same value from either, up to rounding.
        double differ = 0;
        for (size_t i = 1; i + 1 < fwd.size(); ++i) differ += std::fabs(r.tracks[2].values[i]);
        QVERIFY(differ > 10);
        RunRequest ps = req;
        ps.model_dir = kRoot + "/data/models/dnassm-caduceus-small";
        ps.locus = {"NC_001416.1", 7'000, 7'120};
        const RunResult e = run_model(ps);
        for (size_t i = 0; i < e.tracks[0].values.size(); ++i)
            QVERIFY2(
                std::fabs(e.tracks[2].values[i]) <= 1e-4f * (1 + std::fabs(e.tracks[0].values[i])),
                qPrintable(QString("base %1: fwd %2, rc %3")
                               .arg(i)
                               .arg(e.tracks[0].values[i])
                               .arg(e.tracks[1].values[i])));
        req.rc = true;
        try {
            (void)run_model(req);
            QFAIL("comparing strands and averaging them at once was accepted");
        } catch (const Error& err) {
            QVERIFY2(std::string(err.what()).find("turn off averaging") != std::string::npos,
                     err.what());
        }
    }

    // A masked LM's tracks: with bases masked 16 apart (the explorer's default) those of `dnassm
    // predict -r LOCUS --mlm-spacing 16`, cores placed on the contig as predict places them; with
    // 0, a pass per base; and the caption says which.
    void maskedTracksEqualPredict() {
        const std::string cad = kRoot + "/data/models/dnassm-caduceus-small";
        // 24 bases of context: cores of 192 bases, at multiples of 192 on the contig (8,064, 8,256,
        // ...), so the locus holds three. A pass per base on fewer bases.
        for (const auto& [spacing, l] :
             {std::pair<std::int64_t, Locus>{16, {"NC_001416.1", 8'005, 8'405}},
              {0, {"NC_001416.1", 8'150, 8'230}}}) {
            RunRequest req{cad, kLambda, l, false, {"loglik"}, false, 8, 0, {}};
            req.mlm_spacing = spacing;
            req.mlm_context = 24;
            req.compare_strands = spacing > 0;
            const RunResult r = run_model(req);
            QCOMPARE(r.masked, std::string(spacing ? "bases 16 apart masked together"
                                                   : "a masked pass per base") +
                                   ", 24 bases of context either side");
            const QStringList args{"--mlm-spacing", QString::number(spacing), "--mlm-context",
                                   "24"};
            const auto expected = predict("loglik", l, false, cad, kLambda, args);
            QCOMPARE(r.tracks[0].values.size(), expected.size());
            for (size_t i = 0; i < expected.size(); ++i)
                QVERIFY2(std::fabs(r.tracks[0].values[i] - expected[i]) <=
                             1e-6f * (1 + std::fabs(expected[i])),
                         qPrintable(QString("spacing %1, base %2: %3 vs %4")
                                        .arg(spacing)
                                        .arg(i)
                                        .arg(r.tracks[0].values[i])
                                        .arg(expected[i])));
            if (!spacing) continue;
            // The other strand, its cores placed from the contig's other end: --rc's mean.
            const auto averaged = predict("loglik", l, true, cad, kLambda, args);
            for (size_t i = 0; i < averaged.size(); ++i) {
                const float both = 0.5f * (r.tracks[0].values[i] + r.tracks[1].values[i]);
                QVERIFY2(
                    std::fabs(both - averaged[i]) <= 1e-6f * (1 + std::fabs(averaged[i])),
                    qPrintable(QString("rc, base %1: %2 vs %3").arg(i).arg(both).arg(averaged[i])));
            }
        }
        const Locus causal{"NC_001416.1", 8'000, 8'400};
        QVERIFY(run_model({kModel, kLambda, causal, false, {"loglik"}, false, 8, 0, {}})
                    .masked.empty());
    }

    // Average-linkage clustering on correlation distance, checked against its definition: every
    // merge joins the two current clusters whose rows are, on average, least correlated apart
    // (distances computed here from Pearson's formula), at that average; alike rows end up
    // side by side in the leaf order.
    void rowClusteringIsAverageLinkage() {
        const std::int64_t rows = 7, cols = 300;
        std::vector<float> v(static_cast<size_t>(rows * cols));
        std::uint32_t seed = 7;
        const auto noise = [&] {
            seed = seed * 1664525u + 1013904223u;
            return static_cast<float>(seed >> 8) / 16777216.0f - 0.5f;
        };
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c < cols; ++c) {
                const float x = static_cast<float>(c) / 20.0f;
                const float base = r == 6 ? 0.0f : r % 2 == 0 ? std::sin(x) : std::cos(x);
                v[static_cast<size_t>(r * cols + c)] =
                    r == 6 ? 3.0f : static_cast<float>(r + 1) * base + 0.3f * noise();
            }
        const auto pearson = [&](std::int64_t a, std::int64_t b) {
            double ma = 0, mb = 0;
            for (std::int64_t c = 0; c < cols; ++c) {
                ma += v[static_cast<size_t>(a * cols + c)];
                mb += v[static_cast<size_t>(b * cols + c)];
            }
            ma /= cols;
            mb /= cols;
            double sab = 0, saa = 0, sbb = 0;
            for (std::int64_t c = 0; c < cols; ++c) {
                const double da = v[static_cast<size_t>(a * cols + c)] - ma,
                             db = v[static_cast<size_t>(b * cols + c)] - mb;
                sab += da * db;
                saa += da * da;
                sbb += db * db;
            }
            return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
        };
        const RowClustering tree = cluster_rows(v, rows, cols);
        QCOMPARE(tree.merges.size(), size_t{6});
        std::vector<std::vector<std::int64_t>> members;  // node -> rows
        for (std::int64_t r = 0; r < rows; ++r) members.push_back({r});
        std::vector<int> current(static_cast<size_t>(rows));
        std::iota(current.begin(), current.end(), 0);
        const auto average = [&](int a, int b) {
            double s = 0;
            for (auto i : members[static_cast<size_t>(a)])
                for (auto j : members[static_cast<size_t>(b)]) s += 1.0 - pearson(i, j);
            return s / static_cast<double>(members[static_cast<size_t>(a)].size() *
                                           members[static_cast<size_t>(b)].size());
        };
        double last = -1;
        for (const RowMerge& m : tree.merges) {
            double best = 1e9;
            for (size_t i = 0; i < current.size(); ++i)
                for (size_t j = i + 1; j < current.size(); ++j)
                    best = std::min(best, average(current[i], current[j]));
            QVERIFY(std::fabs(average(m.a, m.b) - best) < 1e-9);
            QVERIFY(std::fabs(m.height - best) < 1e-9);
            QVERIFY(m.height >= last - 1e-12);  // average linkage never inverts
            last = m.height;
            std::vector<std::int64_t> joined = members[static_cast<size_t>(m.a)];
            for (auto r : members[static_cast<size_t>(m.b)]) joined.push_back(r);
            members.push_back(joined);
            std::erase_if(current, [&](int n) { return n == m.a || n == m.b; });
            current.push_back(static_cast<int>(members.size() - 1));
        }
        QCOMPARE(tree.merges.back().height, 1.0);  // the flat row: uncorrelated with all
        // Leaves: the sine rows together, the cosine rows together, the flat row at an end.
        std::vector<int> order = tree.order;
        QCOMPARE(order.size(), size_t{7});
        const auto pos = [&](int r) {
            return std::find(order.begin(), order.end(), r) - order.begin();
        };
        QVERIFY(pos(6) == 0 || pos(6) == 6);
        for (const auto& group : {std::vector<int>{0, 2, 4}, std::vector<int>{1, 3, 5}}) {
            std::vector<std::ptrdiff_t> at;
            for (int r : group) at.push_back(pos(r));
            QCOMPARE(
                *std::max_element(at.begin(), at.end()) - *std::min_element(at.begin(), at.end()),
                std::ptrdiff_t{2});
        }
        QCOMPARE(cluster_rows({1.0f, 2.0f}, 1, 2).order, std::vector<int>{0});
    }

    void heatmapOfChosenDimensionsEqualsEmbed() {
        const Locus l{"NC_001416.1", 20'000, 20'500};
        const RunResult r =
            run_model({kModel, kLambda, l, false, {"loglik"}, true, 8, 0, {3, 100}});
        QCOMPARE(r.components, std::int64_t{2});
        QCOMPARE(r.row_labels, (std::vector<std::string>{"dim 3", "dim 100"}));
        const std::string out = temp_dir("embed") + "/e.npy";
        QProcess p;
        p.start(DNASSM_BIN, {"embed", "-m", QString::fromStdString(kModel), "-r",
                             "NC_001416.1:20001-20500", "-o", QString::fromStdString(out),
                             "--progress", "none", QString::fromStdString(kLambda)});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const Tensor e = read_npy(out);  // {500, 128}
        QCOMPARE(e.dim(0), std::int64_t{500});
        for (std::int64_t t = 0; t < 500; ++t) {
            QCOMPARE(r.heatmap[static_cast<size_t>(t)], e.f32()[t * 128 + 3]);
            QCOMPARE(r.heatmap[static_cast<size_t>(500 + t)], e.f32()[t * 128 + 100]);
        }
        // Clustered: the same rows, reordered with their labels, and a dendrogram over them.
        RunRequest clustered{kModel, kLambda, l, false, {"loglik"}, true, 8, 0, {3, 100, 7, 40}};
        clustered.cluster_rows = true;
        const RunResult c = run_model(clustered);
        clustered.cluster_rows = false;
        const RunResult plain = run_model(clustered);
        QCOMPARE(c.row_merges.size(), size_t{3});
        QVERIFY(c.row_labels != plain.row_labels);
        for (size_t row = 0; row < 4; ++row) {
            const auto from =
                std::find(plain.row_labels.begin(), plain.row_labels.end(), c.row_labels[row]) -
                plain.row_labels.begin();
            QVERIFY(std::equal(c.heatmap.begin() + static_cast<std::ptrdiff_t>(row) * 500,
                               c.heatmap.begin() + static_cast<std::ptrdiff_t>(row + 1) * 500,
                               plain.heatmap.begin() + from * 500));
        }
        // The leaves are numbered by the rows as drawn: the first merge joins neighbours.
        QCOMPARE(std::abs(c.row_merges[0].a - c.row_merges[0].b), 1);
        try {
            (void)run_model({kModel, kLambda, l, false, {"loglik"}, true, 8, 0, {128}});
            QFAIL("dimension 128 of a 128-wide model was accepted");
        } catch (const Error& e2) {
            QVERIFY(std::string(e2.what()).find("128") != std::string::npos);
        }
    }

    void fineTunedHeadsBecomeTracks() {
        // A small segmentation head (frozen backbone) on lambda: its classes are tracks too.
        const std::string dir = temp_dir("segment");
        {
            std::ofstream bed(dir + "/labels.bed");
            for (int b = 1000; b < 40000; b += 3000)
                bed << "NC_001416.1\t" << b << "\t" << b + 800 << "\tx\n";
        }
        QProcess p;
        p.start(DNASSM_BIN, {"finetune",
                             "-m",
                             QString::fromStdString(kModel),
                             "--task",
                             "segment",
                             "--freeze-backbone",
                             "--train",
                             QString::fromStdString(dir + "/labels.bed"),
                             "--fasta",
                             QString::fromStdString(kLambda),
                             "--train-region",
                             "NC_001416.1:1-30000",
                             "--val-region",
                             "NC_001416.1:30001-48502",
                             "--steps",
                             "6",
                             "--eval-every",
                             "3",
                             "--window",
                             "256",
                             "--batch",
                             "2",
                             "-o",
                             QString::fromStdString(dir + "/tuned"),
                             "--progress",
                             "none"});
        QVERIFY(p.waitForFinished(300000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const Locus l{"NC_001416.1", 2000, 3500};
        const RunResult r = run_model({dir + "/tuned", kLambda, l, false, {}, false, 8, 0, {}});
        QCOMPARE(r.tracks.at(0).name, std::string("p_0"));
        QCOMPARE(r.tracks.at(1).name, std::string("p_1"));
        const auto expected = predict("p_1", l, false, dir + "/tuned");
        for (size_t i = 0; i < expected.size(); ++i)
            QVERIFY(std::fabs(r.tracks[1].values[i] - expected[i]) <= 1e-6f);
        // Its calls (the last class's, as predict -o calls.bed takes it) are predict's BED calls
        // at the same threshold: the track's median, so that some bases pass and some do not.
        QCOMPARE(r.calls_track, std::string("p_1"));
        std::vector<float> sorted = r.tracks[1].values;
        std::erase_if(sorted, [](float v) { return std::isnan(v); });
        std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
        const float median = sorted[sorted.size() / 2];
        RunRequest at_median{dir + "/tuned", kLambda, l, false, {}, false, 8, 0, {}};
        at_median.call_threshold = median;
        const RunResult called = run_model(at_median);
        QVERIFY(!called.calls.empty());
        char threshold[32];
        std::snprintf(threshold, sizeof threshold, "%.9g", static_cast<double>(median));
        const std::string bed = dir + "/calls.bed";
        QProcess cli;
        cli.start(DNASSM_BIN, {"predict", "-m", QString::fromStdString(dir + "/tuned"), "-r",
                               "NC_001416.1:2001-3500", "--threshold", threshold, "--progress",
                               "none", "--no-provenance", "-o", QString::fromStdString(bed),
                               QString::fromStdString(kLambda)});
        QVERIFY(cli.waitForFinished(120000));
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        std::ifstream in(bed);
        std::string line, expected_calls, got_calls;
        while (std::getline(in, line)) expected_calls += line + "\n";
        for (const Region& c : called.calls) {
            const std::string mean = c.name.substr(c.name.rfind(' ') + 1);  // "0.734"
            got_calls += c.contig + "\t" + std::to_string(c.beg) + "\t" + std::to_string(c.end) +
                         "\tp_1\t" + std::to_string(std::lround(std::stod(mean) * 1000)) + "\t.\n";
        }
        QCOMPARE(got_calls, expected_calls);
    }

    void cancellingStopsARun() {
        std::atomic<bool> cancel{false};
        int calls = 0;
        bool cancelled = false;
        try {
            (void)run_model(
                {kModel, kLambda, {"NC_001416.1", 0, 48502}, true, {}, true, 8, 0, {}},
                [&](double) {
                    if (++calls == 1) cancel = true;
                },
                &cancel);
        } catch (const RunCancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QCOMPARE(calls, 1);  // no work reported after the cancel
    }
};

QTEST_GUILESS_MAIN(GuiModelTest)
#include "gui_model_test.moc"
