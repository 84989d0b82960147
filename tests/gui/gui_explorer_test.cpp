// The explorer window under QT_QPA_PLATFORM=offscreen: open real data, navigate with keys and
// the locus box, run the model in the background and compare the drawn track with `dnassm
// predict`, cancel a long run, save/load a session, and snapshot to PNG/SVG with the tracks
// where they should be.
#include <QClipboard>
#include <QDialog>
#include <QImage>
#include <QPainter>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <tuple>

#include "dnassm/error.h"
#include "dnassm/io/writers.h"

#include "genome_view.h"
#include "main_window.h"
#include "model/model_run.h"
#include "model/sources.h"
#include "pca_view.h"
#include "test_folder.h"

using namespace dnassm;
using namespace dnassm::gui;

namespace {

const QString kRoot = DNASSM_SOURCE_DIR;
const QString kLambda = kRoot + "/data/lambda/lambda_virus.fa.gz";
const QString kModel = kRoot + "/data/models/dnassm-mamba-small";
const QString kExample = kRoot + "/data/example.session.json";
const QString kEx1 = QString(DNASSM_SHARED_DATA_DIR) + "/bam/pysam_ex1";

QString temp_dir(const char* name) { return QString::fromStdString(test_folder(name).string()); }

// Writes `text` to dir/name and returns the path.
QString write_file(const QString& dir, const char* name, const QByteArray& text) {
    QFile f(dir + "/" + name);
    if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", name);
    f.write(text);
    return dir + "/" + name;
}

// A session of the bundled masked LM's loglik over 60 bases of lambda, written to dir/s.json.
QString masked_lm_session(const QString& dir) {
    return write_file(
        dir, "s.json",
        QString(R"({"fasta": "%1", "locus": {"contig": "NC_001416.1", "start": 2001, "end": 2060},
                    "model": {"path": "%2", "tracks": ["loglik"], "embedding": false}})")
            .arg(kLambda, kRoot + "/data/models/dnassm-caduceus-small")
            .toUtf8());
}

// A FASTA of two contigs, a and b, each a repeated unit, written to dir/g.fa.
QString two_contig_fasta(
    const QString& dir, const char* a_unit, int a_times, const char* b_unit, int b_times) {
    return write_file(dir, "g.fa",
                      ">a\n" + QByteArray(a_unit).repeated(a_times) + "\n>b\n" +
                          QByteArray(b_unit).repeated(b_times) + "\n");
}

int track_index(const GenomeView* v, ViewTrack::Kind kind) {
    for (int i = 0; i < static_cast<int>(v->tracks().size()); ++i)
        if (v->tracks()[static_cast<size_t>(i)].kind == kind) return i;
    return -1;
}

// Pixels in r whose colour is within `tol` of c.
int count_color(const QImage& img, QRect r, QColor c, int tol = 60) {
    int n = 0;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x) {
            const QColor p = img.pixelColor(x, y);
            if (std::abs(p.red() - c.red()) + std::abs(p.green() - c.green()) +
                    std::abs(p.blue() - c.blue()) <
                tol)
                ++n;
        }
    return n;
}

}  // namespace

class GuiExplorerTest : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void navigateWithLocusBoxKeysAndRubberBand() {
        MainWindow w;
        w.openFasta(kLambda);
        GenomeView* v = w.genomeView();
        QVERIFY(w.goTo("NC_001416.1:10k-12k"));
        QCOMPARE(v->locus(), (Locus{"NC_001416.1", 9999, 12000}));
        QVERIFY(!w.goTo("chrZ:1-100"));
        QVERIFY(w.lastError().contains("chrZ"));
        v->resize(1000, 400);
        QTest::keyClick(v, Qt::Key_Right);
        QCOMPARE(v->locus().beg, std::int64_t{9999 + 400});
        QTest::keyClick(v, Qt::Key_Minus);
        QCOMPARE(v->locus().width(), std::int64_t{4002});
        QTest::keyClick(v, Qt::Key_Home);
        QCOMPARE(v->locus().beg, std::int64_t{0});
        // Rubber band on the ruler: from x = label + 10 % to label + 20 % of the plot.
        const int plot = v->width() - GenomeView::kLabelWidth - 4;
        const Locus before = v->locus();
        QTest::mousePress(v, Qt::LeftButton, {}, QPoint(GenomeView::kLabelWidth + plot / 10, 10));
        QTest::mouseMove(v, QPoint(GenomeView::kLabelWidth + plot / 5, 12));
        QTest::mouseRelease(v, Qt::LeftButton, {}, QPoint(GenomeView::kLabelWidth + plot / 5, 12));
        QVERIFY(v->locus().width() < before.width() / 5 + 5 &&
                v->locus().width() > before.width() / 10 - 5);
        // A drag on the tracks pans.
        const Locus z = v->locus();
        QTest::mousePress(v, Qt::LeftButton, {}, QPoint(600, 100));
        QTest::mouseMove(v, QPoint(500, 100));
        QTest::mouseRelease(v, Qt::LeftButton, {}, QPoint(500, 100));
        QVERIFY(v->locus().beg > z.beg);
        QCOMPARE(v->locus().width(), z.width());
        // A click on the ruler centres the view on that base; a double click on the tracks
        // centres and zooms in twofold (IGV). A pixel a base.
        v->resize(GenomeView::kLabelWidth + 4 + 1000, 400);
        v->setLocus({"NC_001416.1", 20'000, 21'000});
        QTest::mouseClick(v, Qt::LeftButton, {}, QPoint(GenomeView::kLabelWidth + 750, 10));
        QCOMPARE(v->locus(), (Locus{"NC_001416.1", 20'250, 21'250}));  // base 20,750 centred
        QTest::mouseDClick(v, Qt::LeftButton, {}, QPoint(GenomeView::kLabelWidth + 250, 100));
        QCOMPARE(v->locus(), (Locus{"NC_001416.1", 20'250, 20'750}));  // 20,500, half as wide
    }

    void realBamCoverageBedAndSignalTracks() {
        if (!QFile::exists(kEx1 + "/ex1.bam")) QSKIP("../shared/data/bam/pysam_ex1 absent");
        MainWindow w;
        w.openFasta(kEx1 + "/ex1.fa");
        w.openAlignments(kEx1 + "/ex1.bam");
        const QString dir = temp_dir("explorer_tracks");
        w.openFeatures(
            write_file(dir, "f.bed", "chr1\t100\t300\tmyfeature\nchr2\t10\t50\tother\n"));
        QVERIFY(w.goTo("myfeature"));
        QCOMPARE(w.genomeView()->locus(), (Locus{"chr1", 100, 300}));
        const int cov = track_index(w.genomeView(), ViewTrack::Kind::kCoverage);
        const auto depth = w.genomeView()->trackValues(cov);
        QCOMPARE(depth, bam_coverage((kEx1 + "/ex1.bam").toStdString(), {"chr1", 100, 300}));
        QVERIFY(*std::max_element(depth.begin(), depth.end()) > 5);
        // A compressed bedGraph (what predict -o x.bedgraph.gz writes) opens as a signal track.
        {
            const std::string gz = (dir + "/s.bedgraph.gz").toStdString();
            auto writer = TrackWriter::create(gz, {{"chr1", 1575}});
            writer->describe({{"command", "dnassm predict -o s.bedgraph.gz"}, {"track", "loglik"}});
            const std::vector<float> values(200, 0.25f);
            writer->add_run("chr1", 100, values.data(), 200);
            writer->commit();
        }
        w.openAny(dir + "/s.bedgraph.gz");
        const int sig = track_index(w.genomeView(), ViewTrack::Kind::kSignal);
        const auto shown = w.genomeView()->trackValues(sig);
        QVERIFY(!shown.empty());
        QCOMPARE(shown.front(), 0.25f);
        // Tooltips: what is under the pointer at the view's first base, track by track.
        GenomeView* v = w.genomeView();
        const QSize vs = v->size();
        auto tip_at = [&](int track, int dy) {
            return v->describeAt({GenomeView::kLabelWidth, v->trackRect(track, vs).top() + dy}, vs);
        };
        QCOMPARE(v->describeAt({GenomeView::kLabelWidth, 5}, vs), QString("chr1:101"));
        QCOMPARE(tip_at(cov, 20), QString("ex1.bam  chr1:101 = %1").arg(depth[0], 0, 'g', 6));
        QCOMPARE(tip_at(sig, 20), QString("s.bedgraph.gz  chr1:101 = 0.25"));
        const int feat = track_index(v, ViewTrack::Kind::kFeatures);
        QCOMPARE(tip_at(feat, 8), QString("myfeature  chr1:101-300, 200 bp"));
        const int seq = track_index(v, ViewTrack::Kind::kSequence);
        QCOMPARE(
            tip_at(seq, 5),
            QString("chr1:101  ") + QString::fromStdString(v->genome()->fetch({"chr1", 100, 101})));
        QCOMPARE(v->describeAt({10, v->trackRect(cov, vs).top() + 20}, vs), kEx1 + "/ex1.bam");
        QCOMPARE(v->describeAt({10, v->trackRect(sig, vs).top() + 20}, vs),
                 dir + "/s.bedgraph.gz\ncommand: dnassm predict -o s.bedgraph.gz\ntrack: loglik");
        // Zoomed out, a pixel's bases: their mean, min and max.
        v->setLocus({"chr1", 0, 1575});
        const QString wide = tip_at(cov, 20);
        QVERIFY2(wide.startsWith("ex1.bam  chr1:1-") && wide.contains(": mean "), qPrintable(wide));
        try {
            w.openAlignments(dir + "/f.bed");
            QFAIL("a BED opened as alignments");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("f.bed"));
        }
        try {
            w.openFasta(dir + "/missing.fa");
            QFAIL("a missing FASTA opened");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("missing.fa"));
        }
    }

    // A BED12 gene: exons as boxes on a line through the intron, the coding part full height
    // and the UTRs half, as IGV and the UCSC browser draw genes; the tooltip counts the exons.
    void genesAreDrawnWithExonsIntronsAndCodingParts() {
        const QString dir = temp_dir("gene_models");
        MainWindow w;
        w.openFasta(write_file(dir, "ref.fa", ">ref\n" + QByteArray("ACGT").repeated(250) + "\n"));
        // Exons [100, 400) and [600, 900), coding part [200, 700).
        w.openFeatures(write_file(
            dir, "genes.bed", "ref\t100\t900\tgeneA\t0\t+\t200\t700\t0\t2\t300,300,\t0,500,\n"));
        GenomeView* v = w.genomeView();
        v->setLocus({"ref", 0, 1000});
        const QSize size(1124, v->preferredHeight());
        QImage img(size, QImage::Format_RGB32);
        {
            QPainter p(&img);
            v->render(p, size);
        }
        const int feat = track_index(v, ViewTrack::Kind::kFeatures);
        const QRect r = v->trackRect(feat, size);
        const int top = r.top() + 4;  // the first row's box
        // Dark pixels in row `y` (relative to the box's top) over a few bases around `base`.
        auto dark = [&](std::int64_t base, int y) {
            const int x = r.left() + static_cast<int>(base * r.width() / 1000);
            return count_color(img, QRect(x - 3, top + y, 7, 1), QColor(40, 40, 140), 60);
        };
        QCOMPARE(dark(300, 1), 7);  // coding exon: full height
        QCOMPARE(dark(650, 1), 7);
        QCOMPARE(dark(150, 1), 0);  // 5' UTR: half height, on the line
        QVERIFY(dark(150, 5) >= 5);
        QCOMPARE(dark(800, 1), 0);  // 3' UTR
        QVERIFY(dark(800, 5) >= 5);
        QCOMPARE(dark(500, 1), 0);  // intron: the line alone
        QVERIFY(dark(500, 5) >= 5);
        QCOMPARE(dark(50, 5), 0);  // before the gene
        QCOMPARE(dark(950, 5), 0);
        QCOMPARE(
            v->describeAt({r.left() + static_cast<int>(300 * r.width() / 1000), top + 2}, size),
            QString("geneA  ref:101-900 (+), 800 bp, 2 exons"));
    }

    // A UCSC-named annotation, track and BAM over an Ensembl-named FASTA: drawn on its contigs, as
    // IGV maps chr1 to 1 and chrM to MT, and the status bar says so.
    void contigNamesMapAsIgvMapsThem() {
        const QString dir = temp_dir("aliases");
        auto write = [&](const char* name, const QByteArray& text) {
            return write_file(dir, name, text);
        };
        const QString fa = write("ref.fa", ">1\n" + QByteArray("ACGT").repeated(50) + "\n>MT\n" +
                                               QByteArray("GGCC").repeated(25) + "\n");
        const QString bed = write("genes.bed", "chr1\t10\t50\tgA\nchrM\t5\t20\tgM\n");
        const QString bg = write("s.bedgraph", "chr1\t0\t100\t0.5\n");
        MainWindow w;
        w.openFasta(fa);
        w.openFeatures(bed);
        QCOMPARE(
            w.statusBar()->currentMessage(),
            QString("genes.bed: 2 features (contigs named as in ref.fa: chr1 as 1, chrM as MT)"));
        QVERIFY(w.goTo("gA"));
        QCOMPARE(w.genomeView()->locus(), (Locus{"1", 10, 50}));
        w.openAny(bg);
        const auto values =
            w.genomeView()->trackValues(track_index(w.genomeView(), ViewTrack::Kind::kSignal));
        QCOMPARE(values, std::vector<float>(40, 0.5f));
        // A BAM whose header says chr1 (sorted and indexed by samtools).
        const QString sam = write("r.sam",
                                  "@SQ\tSN:chr1\tLN:200\n"
                                  "r1\t0\tchr1\t11\t60\t10M\t*\t0\t0\tACGTACGTAC\t*\n");
        QProcess sort, index;
        sort.start("samtools", {"sort", "-o", dir + "/r.bam", sam});
        if (!sort.waitForFinished(60000) || sort.exitCode() != 0) QSKIP("samtools absent");
        index.start("samtools", {"index", dir + "/r.bam"});
        QVERIFY(index.waitForFinished(60000) && index.exitCode() == 0);
        w.openAlignments(dir + "/r.bam");
        const auto depth =
            w.genomeView()->trackValues(track_index(w.genomeView(), ViewTrack::Kind::kCoverage));
        QCOMPARE(depth.size(), size_t{40});
        QCOMPARE(depth[0], 1.0f);   // base 11 (1-based) of chr1: the read's first
        QCOMPARE(depth[10], 0.0f);  // past its 10 bases
    }

    // Strand chevrons are drawn on introns' lines and inside coding boxes, never across an exon's
    // edge: a gene of small exons keeps them whole (no white notch in any exon).
    void chevronsDoNotNotchSmallExons() {
        const QString dir = temp_dir("chevrons");
        MainWindow w;
        w.openFasta(write_file(dir, "ref.fa", ">ref\n" + QByteArray("ACGT").repeated(250) + "\n"));
        QByteArray sizes, starts;
        std::vector<int> exon_starts;
        for (int s = 0; s <= 950; s += 25) exon_starts.push_back(s);
        exon_starts.push_back(996);
        for (int s : exon_starts) {
            sizes += "4,";
            starts += QByteArray::number(s) + ",";
        }
        w.openFeatures(write_file(dir, "small.bed",
                                  "ref\t0\t1000\tsmall\t0\t+\t0\t1000\t0\t" +
                                      QByteArray::number(static_cast<int>(exon_starts.size())) +
                                      "\t" + sizes + "\t" + starts + "\n"));
        GenomeView* v = w.genomeView();
        v->setLocus({"ref", 0, 1000});
        const QSize size(GenomeView::kLabelWidth + 4 + 1000, v->preferredHeight());  // a px a base
        QImage img(size, QImage::Format_RGB32);
        {
            QPainter p(&img);
            v->render(p, size);
        }
        const QRect r = v->trackRect(track_index(v, ViewTrack::Kind::kFeatures), size);
        const int top = r.top() + 4;
        for (int s : exon_starts)
            QVERIFY2(count_color(img, QRect(r.left() + s, top, 4, 10), Qt::white, 30) == 0,
                     qPrintable(QString("exon at %1 notched").arg(s)));
        // Chevrons are still drawn on the introns: dark pixels above the line.
        int above_line = 0;
        for (int s : exon_starts)
            above_line +=
                count_color(img, QRect(r.left() + s + 6, top + 2, 16, 2), QColor(40, 40, 140), 60);
        QVERIFY(above_line > 10);
    }

    // A file whose name does not say what it is opens by its content; what the explorer does not
    // draw (reads as FASTQ), or cannot yet (reads before a reference, a SAM without an
    // index), is one message naming the file and what to do.
    void filesOpenByContentAndWrongKindsAreNamed() {
        const QString dir = temp_dir("by_content");
        auto write = [&](const char* name, const QByteArray& text) {
            return write_file(dir, name, text);
        };
        auto error_of = [](auto&& open) -> QString {
            try {
                open();
            } catch (const Error& e) {
                return QString(e.what());
            }
            return "(opened)";
        };
        const QString sam =
            write("reads.sam", "@SQ\tSN:ref\tLN:40\nr1\t0\tref\t1\t60\t4M\t*\t0\t0\tACGT\t*\n");
        MainWindow w;
        QCOMPARE(error_of([&] { w.openAny(sam); }),
                 sam + ": reads are drawn over a reference; open its FASTA first");
        w.openAny(write("ref.sequence", ">ref\nACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT\n"));
        QVERIFY(w.genomeView()->genome());
        QCOMPARE(w.genomeView()->genome()->contigs().at(0).name, std::string("ref"));
        const size_t tracks = w.genomeView()->tracks().size();
        QCOMPARE(error_of([&] { w.openAny(sam); }),
                 sam +
                     ": no index (.bai/.csi/.crai), which coverage needs; a plain SAM cannot be "
                     "indexed: 'samtools sort -o OUT.bam " +
                     sam + "', then 'samtools index OUT.bam'");
        const QString fq = write("reads.fq", "@r1\nACGT\n+\nIIII\n");
        QCOMPARE(error_of([&] { w.openAny(fq); }),
                 fq +
                     ": FASTQ reads; the explorer shows a reference FASTA, with BAM/CRAM coverage, "
                     "tracks and BED features over it");
        const QString notes = write("notes.txt", "nothing genomic here\n");
        QCOMPARE(error_of([&] { w.openAny(notes); }),
                 notes +
                     ": not a FASTA, BAM/CRAM, BED, GFF/GTF, VCF/BCF, bigWig/bedGraph, session or "
                     "model (detected: unknown text)");
        QCOMPARE(error_of([&] { w.openAny(dir + "/absent"); }), dir + "/absent: no such file");
        const QString elsewhere = write("elsewhere.gff3", "chrZ\t.\tgene\t5\t9\t.\t+\t.\tID=z\n");
        QCOMPARE(error_of([&] { w.openAny(elsewhere); }),
                 elsewhere + ":1: unknown contig 'chrZ' (the input's 1 contig: 'ref')");
        QCOMPARE(w.genomeView()->tracks().size(), tracks);  // nothing half-opened
        // A VCF, by its content too, is a track of its records.
        w.openAny(write("calls.txt",
                        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                        "ref\t2\trs9\tC\tT,G\t.\t.\t.\n"));
        QCOMPARE(w.genomeView()->tracks().size(), tracks + 1);
        QCOMPARE(w.genomeView()->tracks().back().features.at(0).name, std::string("rs9 C>T,G"));
        // A GFF3 annotation, by its content: one feature per gene, spanning its parts; genes on
        // contigs the FASTA lacks (a genome-wide annotation over one chromosome) are left out.
        w.openAny(write("annotation.txt",
                        "##gff-version 3\n"
                        "ref\tx\tgene\t11\t36\t.\t-\t.\tID=g1;Name=geneR\n"
                        "ref\tx\texon\t5\t12\t.\t-\t.\tParent=g1\n"
                        "chrZ\tx\tgene\t1\t20\t.\t+\t.\tID=g2;Name=geneZ\n"));
        QCOMPARE(w.genomeView()->tracks().size(), tracks + 2);
        QCOMPARE(w.genomeView()->tracks().back().kind, ViewTrack::Kind::kFeatures);
        QCOMPARE(w.statusBar()->currentMessage(),
                 QString("annotation.txt: 1 feature (1 on contigs ref.sequence lacks left out)"));
        QVERIFY(w.goTo("geneR"));
        QCOMPARE(w.genomeView()->locus(), (Locus{"ref", 4, 36}));
        QVERIFY(!w.goTo("geneZ"));
        // Records with no bases, which faidx leaves out, are counted as the CLI counts them.
        const QString gaps = write("gaps.fa", ">e1\n>ref2\nACGTACGT\n>e2\n>e3 x\n>ref3\nACG\n");
        w.openAny(gaps);
        QCOMPARE(w.statusBar()->currentMessage(),
                 gaps +
                     ": 2 contig(s) (3 records with no bases left out, the first: 'e1'); 2 tracks "
                     "of the previous genome closed");
        // HTSlib's faidx cannot index a FASTA that ends with such a record; the explorer needs
        // the index, and says what to mend.
        const QString tail = write("tail.fa", ">ref2\nACGTACGT\n>e3 description\n\n");
        QCOMPARE(error_of([&] { w.openAny(tail); }),
                 tail +
                     ": cannot open as an indexed FASTA (its last record, 'e3', has no bases, "
                     "which faidx cannot index: remove that header line)");
    }

    void backgroundRunDrawsWhatPredictWrites() {
        MainWindow w;
        w.openFasta(kLambda);
        w.openModel(kModel);
        QVERIFY(w.goTo("NC_001416.1:5,001-7,000"));
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.runModel();
        QVERIFY(w.isRunning());
        QVERIFY(done.wait(120000));
        QVERIFY(!w.isRunning());
        GenomeView* v = w.genomeView();
        int loglik = -1;
        for (int i = 0; i < static_cast<int>(v->tracks().size()); ++i)
            if (v->tracks()[static_cast<size_t>(i)].name == "loglik") loglik = i;
        QVERIFY(loglik >= 0);
        QVERIFY(track_index(v, ViewTrack::Kind::kHeatmap) >= 0);
        const QString out = temp_dir("explorer_predict") + "/p.bw";
        QProcess p;
        p.start(DNASSM_BIN, {"predict", "-m", kModel, "--track", "loglik", "-r",
                             "NC_001416.1:5001-7000", "-o", out, "--progress", "none", kLambda});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const auto expected = SignalSource(out.toStdString()).values(v->locus());
        const auto drawn = v->trackValues(loglik);
        QCOMPARE(drawn.size(), expected.size());
        for (size_t i = 1; i < expected.size(); ++i)
            QVERIFY(std::fabs(drawn[i] - expected[i]) <= 1e-6f * (1 + std::fabs(expected[i])));
        // Tooltips at the second base of a 100-base view: the track's value; the heatmap's first
        // row there.
        v->setLocus({"NC_001416.1", 5000, 5100});
        const auto zoomed = v->trackValues(loglik);
        const QSize vs = v->size();
        const double plot = vs.width() - GenomeView::kLabelWidth - 4;
        QVERIFY(plot > 200);  // a base spans at least two pixels
        const int x = GenomeView::kLabelWidth + static_cast<int>(std::ceil(plot / 100));
        QCOMPARE(v->describeAt({x, v->trackRect(loglik, vs).center().y()}, vs),
                 QString("loglik  NC_001416.1:5,002 = %1").arg(zoomed[1], 0, 'g', 6));
        const QString heat = v->describeAt(
            {x, v->trackRect(track_index(v, ViewTrack::Kind::kHeatmap), vs).top() + 2}, vs);
        QVERIFY2(heat.startsWith("PC1 (") && heat.contains("NC_001416.1:5,002 = "),
                 qPrintable(heat));
        // The PCA panel navigates to a clicked window.
        PcaView* pca = w.pcaView();
        pca->resize(300, 200);
        const QPointF pt = pca->pointOf(0, pca->size());
        QCOMPARE(pca->describeAt(pt, pca->size()),
                 QString("window 1 of %1: %2 (click to go there)")
                     .arg(w.lastRun()->windows.size())
                     .arg(QString::fromStdString(w.lastRun()->windows[0].label())));
        QSignalSpy nav(pca, &PcaView::navigate);
        QTest::mouseClick(pca, Qt::LeftButton, {}, pt.toPoint());
        QCOMPARE(nav.count(), 1);
        QCOMPARE(v->locus(), w.lastRun()->windows[0]);
    }

    void cancelLeavesTheViewResponsive() {
        MainWindow w;
        w.openFasta(kLambda);
        w.openModel(kModel);
        QSignalSpy cancelled(&w, &MainWindow::runCancelled);
        QSignalSpy finished(&w, &MainWindow::runFinished);
        QVERIFY(w.goTo("NC_001416.1"));
        w.runModel(true);
        w.genomeView()->zoomBy(0.5);  // the UI keeps working while the model runs
        w.cancelRun();
        QVERIFY(cancelled.wait(60000) || finished.count() == 1);
        QVERIFY(!w.isRunning());
        if (finished.count() == 0) QVERIFY(w.lastRun() == nullptr);
    }

    void aNewRunSupersedesTheOneInFlight() {
        MainWindow w;
        w.openFasta(kLambda);
        w.openModel(kModel);
        QSignalSpy finished(&w, &MainWindow::runFinished);
        QSignalSpy cancelled(&w, &MainWindow::runCancelled);
        QVERIFY(w.goTo("NC_001416.1:1-2000"));
        w.runModel(true);  // whole contig, then at once the visible 2 kb
        w.runModel(false);
        QVERIFY(finished.wait(120000));
        QTest::qWait(200);  // let any stale callback of the first run arrive
        QCOMPARE(finished.count(), 1);
        QCOMPARE(cancelled.count(), 0);
        QVERIFY(!w.isRunning());
        QCOMPARE(w.lastRun()->locus, (Locus{"NC_001416.1", 0, 2000}));
    }

    void heatmapRowsCanBeChosenDimensions() {
        MainWindow w;
        w.openFasta(kLambda);
        w.openModel(kModel);
        QVERIFY(w.goTo("NC_001416.1:1-3000"));
        w.setHeatmapRows("0, 5,17");
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->row_labels, (std::vector<std::string>{"dim 0", "dim 5", "dim 17"}));
        w.setHeatmapRows("4");
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->components, std::int64_t{4});
        QCOMPARE(w.sessionData().display.heatmap_rows, 4);
        for (const char* bad : {"pcs", "5-2", "1-2-3", "0-999"}) {
            try {
                w.setHeatmapRows(bad);
                QFAIL(bad);
            } catch (const Error& e) {
                QVERIFY2(
                    QString(e.what()).contains(bad) || QString(e.what()).contains("at most 256"),
                    e.what());
            }
        }
        // Ranges, and clustered rows with their dendrogram drawn left of the labels; sessions
        // keep the choice.
        w.setHeatmapRows("0-5,17");
        QCOMPARE(w.sessionData().display.heatmap_dims,
                 (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 17}));
        w.setClusterRows(true);
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->row_merges.size(), size_t{6});
        GenomeView* v = w.genomeView();
        const QSize size(1000, v->preferredHeight());
        QImage img(size, QImage::Format_RGB32);
        {
            QPainter p(&img);
            v->render(p, size);
        }
        const QRect heat = v->trackRect(track_index(v, ViewTrack::Kind::kHeatmap), size);
        QVERIFY(count_color(img, QRect(4, heat.top(), 44, heat.height()), QColor(90, 90, 90), 40) >
                40);
        const QString dir = temp_dir("explorer_cluster");
        w.saveSession(dir + "/s.json");
        MainWindow again;
        again.loadSession(dir + "/s.json");
        QVERIFY(again.sessionData().display.cluster_rows);
        again.runModelBlocking();
        QCOMPARE(again.lastRun()->row_labels, w.lastRun()->row_labels);
    }

    void variantModeShowsAltTracksAndMarksTheBase() {
        MainWindow w;
        w.openFasta(kLambda);
        w.openModel(kModel);
        QVERIFY(w.goTo("NC_001416.1:1-400"));
        try {
            w.setVariant("NC_001416.1:200 G>GA");
            QFAIL("an indel was accepted as a variant");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("single-base substitutions"));
        }
        const std::string base = w.genomeView()->genome()->fetch({"NC_001416.1", 199, 200});
        const QString ref = QString::fromStdString(base), alt = ref == "A" ? "T" : "A";
        w.setVariant("NC_001416.1:200 " + ref + ">" + alt);
        w.runModelBlocking();
        QCOMPARE(w.sessionData().variant, ("NC_001416.1:200 " + ref + ">" + alt).toStdString());
        std::vector<std::string> names;
        for (const auto& t : w.lastRun()->tracks) names.push_back(t.name);
        for (const char* name : {"loglik", "loglik alt", "loglik alt-ref", "entropy alt-ref"})
            QVERIFY2(std::find(names.begin(), names.end(), name) != names.end(), name);
        // The base is marked from the ruler down: an orange band at x of base 200 of 400.
        const QSize size(1280, 800);
        const QImage img = w.snapshot(size);
        const int x =
            GenomeView::kLabelWidth + (size.width() - GenomeView::kLabelWidth - 4) * 199 / 400;
        QVERIFY2(count_color(img, QRect(x, GenomeView::kRulerHeight, 4, 300), QColor(245, 205, 160),
                             60) > 100,
                 "no variant band");
        QVERIFY(count_color(img, QRect(x - 60, GenomeView::kRulerHeight, 4, 300),
                            QColor(245, 205, 160), 60) < 20);
        w.setVariant("");
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->tracks.size(), size_t{3});
        // A session asking to compare strands runs with them, and saves them back.
        const QString dir = temp_dir("explorer_strands");
        QFile f(dir + "/s.json");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(
            QString(R"({"fasta": "%1", "locus": {"contig": "NC_001416.1", "start": 1, "end": 300},
                           "model": {"path": "%2", "run": true, "tracks": ["loglik"], "embedding": false,
                                     "compare_strands": true}})")
                .arg(kLambda, kModel)
                .toUtf8());
        f.close();
        MainWindow s;
        s.loadSession(dir + "/s.json", true);
        std::vector<std::string> strands;
        for (const auto& t : s.lastRun()->tracks) strands.push_back(t.name);
        QCOMPARE(strands, (std::vector<std::string>{"loglik", "loglik rc", "loglik rc-fwd"}));
        QVERIFY(s.sessionData().compare_strands && !s.sessionData().rc_average);
    }

    // A masked LM runs with bases 16 apart masked together unless Model > Exact masked
    // marginals asks for a pass per base; sessions keep the choice.
    void maskedLmRunsSpacedUnlessExactIsAsked() {
        const QString dir = temp_dir("explorer_masked");
        MainWindow w;
        w.loadSession(masked_lm_session(dir), true);
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->masked,
                 std::string("bases 16 apart masked together, 512 bases of context either side"));
        const std::vector<float> spaced = w.lastRun()->tracks[0].values;
        w.setExactMaskedMarginals(true);
        QCOMPARE(w.sessionData().mlm_spacing, std::int64_t{0});
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->masked,
                 std::string("a masked pass per base, 512 bases of context either side"));
        QVERIFY(w.lastRun()->tracks[0].values != spaced);
        w.saveSession(dir + "/exact.json");
        MainWindow again;
        again.loadSession(dir + "/exact.json", false);
        QCOMPARE(again.sessionData().mlm_spacing, std::int64_t{0});
        again.setExactMaskedMarginals(false);
        QCOMPARE(again.sessionData().mlm_spacing, std::int64_t{16});
    }

    // Model > Masked-LM context and spacing: the run takes both (as predict's --mlm-context and
    // --mlm-spacing), sessions keep them, and values predict refuses are refused.
    void maskedLmContextAndSpacingAreChosen() {
        const QString dir = temp_dir("explorer_masked_context");
        MainWindow w;
        w.loadSession(masked_lm_session(dir), true);
        w.runModelBlocking();
        const std::vector<float> wide = w.lastRun()->tracks[0].values;
        w.setMaskedLm(24, 8);
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->masked,
                 std::string("bases 8 apart masked together, 24 bases of context either side"));
        QVERIFY(w.lastRun()->tracks[0].values != wide);
        w.setMaskedLm(24, 0);
        QVERIFY(w.sessionData().mlm_spacing == 0);
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->masked,
                 std::string("a masked pass per base, 24 bases of context either side"));
        w.saveSession(dir + "/narrow.json");
        MainWindow again;
        again.loadSession(dir + "/narrow.json", false);
        QCOMPARE(again.sessionData().mlm_context, std::int64_t{24});
        QCOMPARE(again.sessionData().mlm_spacing, std::int64_t{0});
        for (const auto& [context, spacing] : {std::pair{0, 16}, std::pair{24, 1}}) {
            try {
                again.setMaskedLm(context, spacing);
                QFAIL("an invalid masked-LM setting was taken");
            } catch (const Error& e) {
                QVERIFY(e.kind() == ErrorKind::kUsage);
            }
        }
        QCOMPARE(again.sessionData().mlm_context, std::int64_t{24});
        // The menu's dialog shows the current settings and applies what is entered.
        QAction* menu = nullptr;
        for (QAction* a : again.findChildren<QAction*>())
            if (a->text().startsWith("Masked-LM context")) menu = a;
        QVERIFY(menu != nullptr);
        std::vector<int> shown;
        QTimer::singleShot(0, [&] {
            auto* d = qobject_cast<QDialog*>(QApplication::activeModalWidget());
            if (!d) return;
            const auto boxes = d->findChildren<QSpinBox*>();
            for (QSpinBox* b : boxes) shown.push_back(b->value());
            if (boxes.size() == 2) {
                boxes[0]->setValue(100);
                boxes[1]->setValue(4);
            }
            d->accept();
        });
        menu->trigger();
        QCOMPARE(shown, (std::vector<int>{24, 0}));
        QCOMPARE(again.sessionData().mlm_context, std::int64_t{100});
        QCOMPARE(again.sessionData().mlm_spacing, std::int64_t{4});
    }

    void sessionSaveAndLoad() {
        MainWindow w;
        w.loadSession(kExample, /*blocking_run=*/true);
        QVERIFY(w.lastRun() != nullptr);
        w.genomeView()->zoomBy(0.25);
        const QString dir = temp_dir("explorer_session");
        QDir().mkpath(dir + "/nested");
        w.saveSession(dir + "/nested/s.json");
        QFile f(dir + "/nested/s.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = f.readAll();
        QVERIFY2(!text.contains("\"/") || !text.contains(kRoot),
                 qPrintable(text));  // relative paths
        MainWindow again;
        again.loadSession(dir + "/nested/s.json", true);
        QCOMPARE(again.genomeView()->locus(), w.genomeView()->locus());
        QCOMPARE(again.genomeView()->tracks().size(), w.genomeView()->tracks().size());
        QCOMPARE(again.sessionData().model, w.sessionData().model);
    }

    void snapshotDrawsTracksWhereExpected() {
        MainWindow w;
        w.loadSession(kExample, true);
        const QSize size(1280, 800);
        const QImage img = w.snapshot(size);
        QCOMPARE(img.size(), size);
        GenomeView* v = w.genomeView();
        const QSize tracks_size(size.width(), size.height() - 220);
        const int pred = track_index(v, ViewTrack::Kind::kPrediction);
        const int heat = track_index(v, ViewTrack::Kind::kHeatmap);
        const int seq = track_index(v, ViewTrack::Kind::kSequence);
        QVERIFY(pred >= 0 && heat >= 0 && seq >= 0);
        const QRect pr = v->trackRect(pred, tracks_size);
        QVERIFY2(count_color(img, pr, QColor(150, 40, 160)) > pr.width() / 2,
                 "no prediction line drawn");
        const QRect hr = v->trackRect(heat, tracks_size);
        QVERIFY2(count_color(img, hr, Qt::white, 30) < hr.width() * hr.height() / 2,
                 "heatmap mostly blank");
        // The ruler strip is above the first track and the PCA panel below the tracks.
        QVERIFY(count_color(img, QRect(0, 0, size.width(), GenomeView::kRulerHeight), Qt::black,
                            200) > 50);
        const QRect pca_panel(0, tracks_size.height(), 340,
                              220);  // windows in view red, others blue
        QVERIFY(count_color(img, pca_panel, QColor(220, 60, 40), 80) +
                    count_color(img, pca_panel, QColor(70, 110, 180), 80) >
                100);

        // The command-line snapshot writes the same kind of image, and SVG too.
        const QString dir = temp_dir("explorer_snapshot");
        for (const QString name : {"s.png", "s.svg"}) {
            QProcess p;
            p.start(DNASSM_GUI_BIN,
                    {"--session", kExample, "--snapshot", dir + "/" + name, "--size", "1280x800"});
            QVERIFY(p.waitForFinished(120000));
            QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        }
        const QImage png(dir + "/s.png");
        QCOMPARE(png.size(), size);
        QFile svg(dir + "/s.svg");
        QVERIFY(svg.open(QIODevice::ReadOnly));
        QVERIFY(svg.readAll().contains("<svg"));
        QProcess bad;
        bad.start(DNASSM_GUI_BIN, {"--session", dir + "/none.json", "--snapshot", dir + "/x.png"});
        QVERIFY(bad.waitForFinished(60000));
        QCOMPARE(bad.exitCode(), 1);
        QVERIFY(QString(bad.readAllStandardError()).contains("none.json"));
        QVERIFY(!QFile::exists(dir + "/x.png"));
    }

    // Ctrl+F / Ctrl+B walk every feature of every open annotation in genome order, keeping
    // the zoom, also past a feature at a contig's end where the view cannot centre on it.
    void nextAndPreviousFeature() {
        MainWindow w;
        const QString dir = temp_dir("explorer_features_step");
        w.openFasta(two_contig_fasta(dir, "ACGT", 250, "TTGCA", 100));
        QVERIFY(!w.jumpToFeature(1));  // none open
        w.openFeatures(write_file(dir, "one.bed", "a\t950\t1000\tedge\nb\t10\t50\tb1\n"));
        w.openFeatures(write_file(dir, "two.bed", "a\t100\t200\tone\na\t300\t340\ttwo\n"));
        GenomeView* v = w.genomeView();
        v->setLocus({"a", 0, 100});
        QStringList seen;
        while (w.jumpToFeature(1)) {
            seen << w.statusBar()->currentMessage();
            QCOMPARE(v->locus().width(), std::int64_t{100});
        }
        QCOMPARE(seen, (QStringList{"one (a:101-200)", "two (a:301-340)", "edge (a:951-1,000)",
                                    "b1 (b:11-50)"}));
        QCOMPARE(v->locus(), (Locus{"b", 0, 100}));
        QCOMPARE(w.statusBar()->currentMessage(), QString("no feature after this one"));
        QVERIFY(w.jumpToFeature(-1));
        QCOMPARE(v->locus(), (Locus{"a", 900, 1000}));  // "edge", at the contig's end
        QVERIFY(w.jumpToFeature(-1));
        QCOMPARE(v->locus(), (Locus{"a", 270, 370}));  // "two", centred
        // Moved by hand, the next jump looks from the view's centre.
        v->setLocus({"a", 500, 600});
        QVERIFY(w.jumpToFeature(-1));
        QCOMPARE(w.statusBar()->currentMessage(), QString("two (a:301-340)"));
    }

    // What dnassm score writes (-o x.vcf.gz) opens as a track of its variants, each named with
    // its scores, as the tooltip shows them; sessions keep it with the features.
    void scoredVariantsOpenAsATrack() {
        const QString dir = temp_dir("explorer_scored_vcf");
        const QString vcf = dir + "/scored.vcf.gz";
        QProcess p;
        p.start(DNASSM_BIN, {"score", "-m", kModel, "--vcf",
                             kRoot + "/pipelines/nextflow/tests/lambda_snvs.vcf", "--score-window",
                             "256", "--progress", "none", "-o", vcf, kLambda});
        QVERIFY(p.waitForFinished(300000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        MainWindow w;
        w.openFasta(kLambda);
        w.openAny(vcf);
        QCOMPARE(w.statusBar()->currentMessage(), QString("scored.vcf.gz: 10 features"));
        const ViewTrack& t = w.genomeView()->tracks().back();
        QCOMPARE(t.kind, ViewTrack::Kind::kFeatures);
        QCOMPARE(t.features.size(), size_t{10});
        const Region& first = t.features.front();
        QCOMPARE(first.label(), std::string("NC_001416.1:1000-1000"));
        QVERIFY2(QString::fromStdString(first.name)
                     .contains(QRegularExpression("^A>G llr=-?[0-9.e-]+ emb_l2=[0-9.e-]+ "
                                                  "emb_cos=[0-9.e-]+$")),
                 first.name.c_str());
        GenomeView* v = w.genomeView();
        v->setLocus({"NC_001416.1", 990, 1010});
        const QSize size(1124, v->preferredHeight());
        const int feat = static_cast<int>(v->tracks().size()) - 1;
        const int plot = size.width() - GenomeView::kLabelWidth - 4;  // 20 bases across
        const QString tip = v->describeAt(
            {GenomeView::kLabelWidth + plot * 19 / 40, v->trackRect(feat, size).top() + 8}, size);
        QVERIFY2(tip.startsWith(QString::fromStdString(first.name) + "  NC_001416.1:1,000, 1 bp"),
                 qPrintable(tip));
        w.saveSession(dir + "/s.json");
        MainWindow w2;
        w2.loadSession(dir + "/s.json");
        QCOMPARE(w2.genomeView()->tracks().back().features.size(), size_t{10});
    }

    // A track removed (a label's context menu) leaves the view, the session, and, for features,
    // the locus box and Ctrl+F/B; the sequence track stays.
    void removingATrack() {
        const QString dir = temp_dir("explorer_remove");
        MainWindow w;
        w.openFasta(write_file(dir, "g.fa", ">a\n" + QByteArray("ACGT").repeated(250) + "\n"));
        w.openFeatures(write_file(dir, "one.bed", "a\t100\t200\tfirst\n"));
        w.openFeatures(write_file(dir, "two.bed", "a\t600\t700\tsecond\n"));
        w.openSignal(write_file(dir, "s.bedgraph", "a\t0\t1000\t0.5\n"));
        GenomeView* v = w.genomeView();
        QCOMPARE(v->tracks().size(), size_t{4});
        QVERIFY(!w.removeTrack(0));  // the sequence
        QVERIFY(!w.removeTrack(9));
        const QSize size(1124, v->preferredHeight());
        QCOMPARE(v->trackAt(v->trackRect(1, size).top() + 2, size), 1);
        QCOMPARE(v->trackAt(5, size), -1);  // the ruler
        QVERIFY(w.removeTrack(1));          // one.bed
        QCOMPARE(v->tracks().size(), size_t{3});
        QCOMPARE(v->tracks()[1].name, QString("two.bed"));
        QCOMPARE(w.sessionData().features.size(), size_t{1});
        QVERIFY(w.sessionData().features[0].ends_with("two.bed"));
        QVERIFY(!w.goTo("first"));
        QVERIFY(w.goTo("second"));
        v->setLocus({"a", 0, 100});
        QVERIFY(w.jumpToFeature(1));
        QVERIFY(w.statusBar()->currentMessage().startsWith("second"));
        QVERIFY(w.removeTrack(2));  // the bedGraph
        QVERIFY(w.sessionData().signal_tracks.empty());
        // The same FASTA again keeps the tracks; another genome closes them (and its regions),
        // as IGV unloads tracks when the genome changes: a BED of one assembly on another's chr1
        // would be drawn wrong.
        w.addRegion({"a", 10, 20}, "r");
        w.openFasta(dir + "/g.fa");
        QCOMPARE(v->tracks().size(), size_t{2});
        QCOMPARE(w.regions().size(), size_t{1});
        w.openFasta(write_file(dir, "other.fa", ">a\n" + QByteArray("TTGCA").repeated(300) + "\n"));
        QCOMPARE(v->tracks().size(), size_t{1});
        QVERIFY(w.sessionData().features.empty() && w.regions().empty());
        QVERIFY(
            w.statusBar()->currentMessage().endsWith("; 1 track of the previous genome closed"));
        QVERIFY(!w.goTo("second"));
    }

    // A run of a fine-tuned head brings its calls as a feature track (gui_model_test checks them
    // against predict's BED); the next run replaces it, as it does the lines.
    void headCallsAreATrackOfTheRun() {
        GenomeView v;
        v.setGenome(std::make_shared<const FastaSource>(kLambda.toStdString()));
        auto run = std::make_shared<RunResult>();
        run->locus = {"NC_001416.1", 0, 1000};
        run->tracks = {{"p_1", std::vector<float>(1000, 0.9f)}};
        run->calls_track = "p_1";
        run->calls_threshold = 0.25f;
        run->calls = {{.contig = "NC_001416.1", .beg = 0, .end = 1000, .name = "p_1 mean 0.900"}};
        const size_t before = v.tracks().size();
        v.setRunResult(run);
        QCOMPARE(v.tracks().size(), before + 2);
        const ViewTrack& calls = v.tracks().back();
        QCOMPARE(calls.kind, ViewTrack::Kind::kFeatures);
        QCOMPARE(calls.name, QString("calls p_1 ≥ 0.25"));
        QCOMPARE(calls.features.at(0).name, std::string("p_1 mean 0.900"));
        v.setRunResult(nullptr);
        QCOMPARE(v.tracks().size(), before);
    }

    // Regions of interest: marked (Shift+drag on the ruler, or the view), drawn, in the
    // tooltip, exported as the BED finetune reads, imported, kept by sessions, and dropped when
    // another genome opens.
    // IGV's multi-locus view: loci side by side, each panel drawn, described and navigated on
    // its own; a panel's name shows it alone; sessions keep the panels; regions of interest
    // open as panels.
    void splitView() {
        const QString dir = temp_dir("explorer_split");
        const QString fa = two_contig_fasta(dir, "ACGT", 250, "TTGCA", 100);
        const QString bed = write_file(dir, "f.bed", "a\t100\t200\tf1\nb\t20\t40\tf2\n");
        MainWindow w;
        w.openFasta(fa);
        w.openFeatures(bed);
        GenomeView* v = w.genomeView();
        QVERIFY(w.goTo("a:1-400 f2 b:101-300"));
        const auto panels = [&] {
            std::vector<Locus> out;
            for (const Panel& p : v->panels()) out.push_back(p.locus);
            return out;
        };
        QCOMPARE(panels(), (std::vector<Locus>{{"a", 0, 400}, {"b", 20, 40}, {"b", 100, 300}}));
        QCOMPARE(v->panels()[1].name, std::string("f2"));
        QCOMPARE(v->locus(), (Locus{"a", 0, 400}));  // the first has the focus
        // Three panels of 300 pixels, 6 apart: [120, 420), [426, 726), [732, 1032).
        const QSize size(GenomeView::kLabelWidth + 4 + 3 * 300 + 2 * GenomeView::kPanelGap, 300);
        v->resize(size);
        QCOMPARE(v->panelRect(1, size), QRect(426, 0, 300, 300));
        QCOMPARE(v->panelAt(423, size), -1);
        QCOMPARE(v->panelAt(1031, size), 2);
        QImage img(size, QImage::Format_RGB32);
        {
            QPainter p(&img);
            v->render(p, size);
        }
        const int feat = track_index(v, ViewTrack::Kind::kFeatures);
        const int seq = track_index(v, ViewTrack::Kind::kSequence);
        const int fy = v->trackRect(feat, size).top() + 8;
        const auto feature_at = [&](int x) {
            return count_color(img, QRect(x, fy, 1, 1), QColor(40, 40, 140), 30) == 1;
        };
        QVERIFY(feature_at(120 + 112));   // f1 (a:100-200) at 75..150 px of the first panel
        QVERIFY(!feature_at(120 + 40));   // a:53, no feature
        QVERIFY(feature_at(426 + 150));   // f2 fills the second panel
        QVERIFY(!feature_at(732 + 150));  // nothing on b:100-300
        QVERIFY(count_color(img, QRect(421, 0, 4, 300), QColor(235, 235, 235), 6) == 4 * 300);
        const int sy = v->trackRect(seq, size).top() + 5;
        QCOMPARE(v->describeAt({120, sy}, size), QString("a:1  A"));
        QCOMPARE(v->describeAt({732, sy}, size), QString("b:101  T"));
        QVERIFY(v->describeAt({423, sy}, size).isEmpty());  // the gap
        QVERIFY2(v->describeAt({500, 5}, size).startsWith("f2  b:21-40, 20 bp"),
                 qPrintable(v->describeAt({500, 5}, size)));
        // A drag pans its own panel (and gives it the focus); the others stay.
        QTest::mousePress(v, Qt::LeftButton, {}, QPoint(900, sy));
        QTest::mouseMove(v, QPoint(750, sy));
        QTest::mouseRelease(v, Qt::LeftButton, {}, QPoint(750, sy));
        QCOMPARE(panels(), (std::vector<Locus>{{"a", 0, 400}, {"b", 20, 40}, {"b", 200, 400}}));
        QCOMPARE(v->locus(), (Locus{"b", 200, 400}));
        QTest::keyClick(v, Qt::Key_Plus);  // keys act on the focused panel
        QCOMPARE(panels()[2], (Locus{"b", 250, 350}));
        QCOMPARE(panels()[0], (Locus{"a", 0, 400}));
        // A range selected on the first panel's ruler zooms that panel.
        const int ry = v->rulerHeight() - 10;
        QTest::mousePress(v, Qt::LeftButton, {}, QPoint(120 + 75, ry));
        QTest::mouseMove(v, QPoint(120 + 150, ry));
        QTest::mouseRelease(v, Qt::LeftButton, {}, QPoint(120 + 150, ry));
        QCOMPARE(panels()[0], (Locus{"a", 100, 200}));
        QCOMPARE(panels()[2], (Locus{"b", 250, 350}));
        // Sessions keep the panels.
        w.saveSession(dir + "/s.json");
        {
            MainWindow again;
            again.loadSession(dir + "/s.json");
            QCOMPARE(again.genomeView()->panels(), v->panels());
            // A panel on a contig the FASTA lacks: one line naming the session and the contig.
            QFile f(dir + "/s.json");
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray text =
                f.readAll().replace("\"contig\": \"b\"", "\"contig\": \"chrQ\"");
            f.close();
            write_file(dir, "bad.json", text);
            try {
                again.loadSession(dir + "/bad.json");
                QFAIL("a panel on an unknown contig was loaded");
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).startsWith(dir + "/bad.json: ") &&
                             QString(e.what()).contains("chrQ"),
                         e.what());
            }
        }
        // The locus box's text is the panels' loci, and reads back to them.
        const std::vector<Panel> before = v->panels();
        QVERIFY(w.goTo(QString::fromStdString(loci_text(before))));
        QCOMPARE(panels(), (std::vector<Locus>{{"a", 100, 200}, {"b", 20, 40}, {"b", 250, 350}}));
        // A panel's name: that locus alone.
        QTest::mouseClick(v, Qt::LeftButton, {}, QPoint(500, 5));
        QCOMPARE(v->panels().size(), size_t{1});
        QCOMPARE(v->locus(), (Locus{"b", 20, 40}));
        QCOMPARE(v->rulerHeight(), GenomeView::kRulerHeight);
        // Regions of interest side by side, named by their labels.
        w.addRegion({"b", 0, 50}, "promoter");
        w.addRegion({"a", 600, 650}, "enhancer");
        w.showRegionsSideBySide();
        QCOMPARE(panels(), (std::vector<Locus>{{"a", 600, 650}, {"b", 0, 50}}));
        QCOMPARE(v->panels()[0].name + " " + v->panels()[1].name, std::string("enhancer promoter"));
        // Too many loci are refused, and the view stays.
        QString many;
        for (int i = 0; i <= kMaxPanels; ++i) many += " a:1-100";
        QVERIFY(!w.goTo(many));
        QVERIFY2(w.lastError().contains("at most 16"), qPrintable(w.lastError()));
        QCOMPARE(v->panels().size(), size_t{2});
    }

    // More features in view than pixels draw as their density (bars of features per pixel), and
    // the tooltip counts those under the pointer; zoomed in, each is a box again.
    void denseFeaturesDrawAsDensity() {
        const QString dir = temp_dir("explorer_dense");
        QByteArray bed;
        for (int pos = 0; pos < 48000; pos += pos < 24000 ? 10 : 100)
            bed += "NC_001416.1\t" + QByteArray::number(pos) + "\t" + QByteArray::number(pos + 1) +
                   "\tf" + QByteArray::number(pos) + "\n";
        MainWindow w;
        w.openFasta(kLambda);
        w.openFeatures(write_file(dir, "dense.bed", bed));
        GenomeView* v = w.genomeView();
        v->setLocus({"NC_001416.1", 0, 48000});
        const QSize size(GenomeView::kLabelWidth + 4 + 960, 300);  // 50 bases a pixel
        const int feat = track_index(v, ViewTrack::Kind::kFeatures);
        const QRect r = v->trackRect(feat, size);
        QImage img(size, QImage::Format_RGB32);
        {
            QPainter p(&img);
            v->render(p, size);
        }
        const auto bar = [&](int px) {  // the bar's height in a pixel column of the plot
            return count_color(img, QRect(r.left() + px, r.top(), 1, r.height()),
                               QColor(40, 40, 140), 30);
        };
        // Five features a pixel on the first half, half a feature on the second: the left bars
        // fill the space under the scale's label, the right ones are a fifth as high at most.
        QCOMPARE(bar(240), r.height() - 12);
        QVERIFY2(bar(720) > 0 && bar(720) <= (r.height() - 12) / 5 + 1,
                 qPrintable(QString::number(bar(720))));
        const QString dense = v->describeAt({r.left() + 240, r.center().y()}, size);
        QVERIFY2(dense.startsWith("5 features at NC_001416.1:12,001-12,050 (zoom in to see each)\n"
                                  "f12000  NC_001416.1:12,001, 1 bp"),
                 qPrintable(dense));
        QCOMPARE(dense.count('\n'), 5);
        // Zoomed in to fewer features than pixels: boxes, named.
        v->setLocus({"NC_001416.1", 30000, 31000});  // ten features, 1.04 pixels a base
        QImage zoomed(size, QImage::Format_RGB32);
        {
            QPainter p(&zoomed);
            v->render(p, size);
        }
        const int box_top = v->trackRect(feat, size).top() + 4;
        const int x = r.left() + static_cast<int>(std::lround(100.5 * 960 / 1000.0));  // f30100
        QCOMPARE(count_color(zoomed, QRect(x, box_top, 1, 10), QColor(40, 40, 140), 30), 10);
        QCOMPARE(v->describeAt({x, box_top + 5}, size),
                 QString("f30100  NC_001416.1:30,101, 1 bp"));
    }

    // Run in a split view runs every panel: each panel's track is the model's over that locus,
    // and each panel draws its part of the heatmap.
    void splitViewRunsEveryPanel() {
        MainWindow w;
        w.openFasta(kLambda);
        w.openModel(kModel);
        GenomeView* v = w.genomeView();
        QVERIFY(w.goTo("NC_001416.1:1,001-1,400 NC_001416.1:20,001-20,400"));
        w.runModelBlocking();
        QCOMPARE(w.lastRun()->parts.size(), size_t{2});
        const QSize size(GenomeView::kLabelWidth + 4 + 2 * 400 + GenomeView::kPanelGap, 600);
        v->resize(size);
        const int loglik = track_index(v, ViewTrack::Kind::kPrediction);
        QCOMPARE(v->tracks()[static_cast<size_t>(loglik)].name, QString("loglik"));
        // Focus the second panel (a click on its tracks) and read its values.
        const QPoint in_second(GenomeView::kLabelWidth + 400 + GenomeView::kPanelGap + 100,
                               v->trackRect(loglik, size).center().y());
        QSignalSpy focused(v, &GenomeView::locusChanged);
        QTest::mouseClick(v, Qt::LeftButton, {}, in_second);
        QCOMPARE(v->locus(), (Locus{"NC_001416.1", 20'000, 20'400}));
        QCOMPARE(focused.size(), 1);  // the window's locus is the focused panel's
        QCOMPARE(focused[0][0].value<Locus>(), v->locus());
        RunRequest alone{kModel.toStdString(),
                         kLambda.toStdString(),
                         v->locus(),
                         false,
                         {"loglik"},
                         false,
                         8,
                         0,
                         {}};
        const RunResult expected = run_model(alone);
        const auto shown = v->trackValues(loglik);
        QVERIFY(std::equal(shown.begin() + 1, shown.end(), expected.tracks[0].values.begin() + 1));
        QImage img(size, QImage::Format_RGB32);
        {
            QPainter p(&img);
            v->render(p, size);
        }
        const QRect heat = v->trackRect(track_index(v, ViewTrack::Kind::kHeatmap), size);
        for (const int x : {GenomeView::kLabelWidth + 200, in_second.x()})
            QVERIFY(count_color(img, QRect(x, heat.top(), 1, heat.height()), Qt::white, 3) <
                    heat.height() / 2);
        // One colour scale across the panels: a base's PC1 over the fraction of full colour its
        // cell has (1 - min(red, green) / 255) is the same in both panels (a pixel a base).
        const RunResult& run = *w.lastRun();
        const auto implied_scales = [&](int panel) {
            std::vector<double> out;
            for (int x = 0; x < 400; ++x) {
                const QColor c = img.pixelColor(
                    GenomeView::kLabelWidth + panel * (400 + GenomeView::kPanelGap) + x,
                    heat.top() + 5);
                const double f = 1.0 - std::min(c.red(), c.green()) / 255.0;
                const float value = run.heatmap[static_cast<size_t>(
                    run.parts[static_cast<size_t>(panel)].bin_offset + x)];
                if (f > 0.2 && f < 0.9) out.push_back(std::fabs(value) / f);
            }
            std::sort(out.begin(), out.end());
            return out.at(out.size() / 2);
        };
        const double first = implied_scales(0), second = implied_scales(1);
        QVERIFY2(std::fabs(first - second) < 0.03 * first,
                 qPrintable(QString("%1 vs %2").arg(first).arg(second)));
    }

    // Copying the view's locus as samtools regions and its sequence as FASTA (the strand the
    // sequence track shows), from the View menu and a panel's ruler menu; too much is refused.
    void copyLocusAndSequence() {
        const QString dir = temp_dir("explorer_copy");
        const QString fa = two_contig_fasta(dir, "ACGTTGCA", 10, "GATTACA", 30);
        MainWindow w;
        w.openFasta(fa);
        GenomeView* v = w.genomeView();
        QVERIFY(w.goTo("a:3-24 b:1-20"));
        std::vector<Locus> loci;
        for (const Panel& p : v->panels()) loci.push_back(p.locus);
        QCOMPARE(w.copyLoci(loci), QString("a:3-24 b:1-20"));
        QCOMPARE(QGuiApplication::clipboard()->text(), QString("a:3-24 b:1-20"));
        const QString fasta = w.copySequences(loci);
        QCOMPARE(fasta,
                 QString(">a:3-24\nGTTGCAACGTTGCAACGTTGCA\n>b:1-20\nGATTACAGATTACAGATTAC\n"));
        QCOMPARE(QGuiApplication::clipboard()->text(), fasta);
        w.showReverseStrand(true);
        QCOMPARE(w.copySequences({loci[1]}),
                 QString(">b:1-20 reverse complement\nGTAATCTGTAATCTGTAATC\n"));
        // Lines of 60 bases.
        v->setLocus({"b", 0, 130});
        QList<qsizetype> lines;
        for (const QString& line : w.copySequences({v->locus()}).split('\n')) lines << line.size();
        QCOMPARE(lines, (QList<qsizetype>{27, 60, 60, 10, 0}));  // ">b:1-130 reverse complement"
        // A panel's ruler menu copies that panel's locus and sequence.
        QVERIFY(w.goTo("a:3-24 b:1-20"));
        QSignalSpy locus(v, &GenomeView::copyLocusRequested),
            sequence(v, &GenomeView::copySequenceRequested);
        const auto menu = v->rulerMenu(1);
        QStringList texts;
        for (QAction* a : menu->actions()) texts << a->text();
        QCOMPARE(texts, (QStringList{"Copy b:1-20", "Copy sequence (FASTA)",
                                     "Mark as region of interest…", "Show this locus alone"}));
        menu->actions()[0]->trigger();
        menu->actions()[1]->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(),
                 QString(">b:1-20 reverse complement\nGTAATCTGTAATCTGTAATC\n"));
        QCOMPARE(locus.size(), 1);
        QCOMPARE(sequence[0][0].value<Locus>(), (Locus{"b", 0, 20}));
        menu->actions()[3]->trigger();
        QCOMPARE(v->panels().size(), size_t{1});
        QCOMPARE(v->locus(), (Locus{"b", 0, 20}));
        // More than kMaxCopyBases of sequence is refused in one line, and the clipboard kept.
        QString big = ">big\n";
        big += QString("ACGT").repeated(static_cast<int>(kMaxCopyBases / 4) + 1) + "\n";
        const QString big_fa = write_file(dir, "big.fa", big.toUtf8());
        MainWindow w2;
        w2.openFasta(big_fa);
        try {
            (void)w2.copySequences({{"big", 0, kMaxCopyBases + 4}});
            QFAIL("copied more than kMaxCopyBases");
        } catch (const Error& e) {
            QCOMPARE(
                QString(e.what()),
                QString("1,000,004 bases in view: copy at most 1,000,000 of sequence (zoom in)"));
        }
        QCOMPARE(QGuiApplication::clipboard()->text(),
                 QString(">b:1-20 reverse complement\nGTAATCTGTAATCTGTAATC\n"));
        QVERIFY(w2.genomeView()->rulerMenu(0)->actions()[1]->isEnabled());  // 10 kb in view
        w2.genomeView()->setLocus({"big", 0, kMaxCopyBases + 4});
        QVERIFY(!w2.genomeView()->rulerMenu(0)->actions()[1]->isEnabled());
    }

    void regionsOfInterest() {
        const QString dir = temp_dir("explorer_regions");
        const QString fa = two_contig_fasta(dir, "ACGT", 250, "TTGCA", 100);
        {
            GenomeView v;
            v.setGenome(std::make_shared<const FastaSource>(fa.toStdString()));
            v.resize(1124, 400);
            v.setLocus({"a", 0, 1000});
            QSignalSpy marked(&v, &GenomeView::regionSelected);
            const int x0 = GenomeView::kLabelWidth + 100, x1 = GenomeView::kLabelWidth + 300;
            QTest::mousePress(&v, Qt::LeftButton, Qt::ShiftModifier, QPoint(x0, 10));
            QTest::mouseMove(&v, QPoint(x1, 10));
            QTest::mouseRelease(&v, Qt::LeftButton, Qt::ShiftModifier, QPoint(x1, 10));
            QCOMPARE(marked.size(), 1);
            const auto l = marked[0][0].value<Locus>();
            QVERIFY2(l.contig == "a" && std::abs(l.beg - 100) <= 1 && std::abs(l.end - 300) <= 1,
                     l.label().c_str());
            QCOMPARE(v.locus(), (Locus{"a", 0, 1000}));  // marking does not zoom
        }
        MainWindow w;
        w.openFasta(fa);
        GenomeView* v = w.genomeView();
        v->setLocus({"a", 0, 1000});
        w.addRegion({"a", 100, 300}, "enhancer");
        w.addRegion({"b", 0, 50}, "");
        w.addRegion({"a", 600, 650}, "promoter");
        const QSize size(1124, v->preferredHeight());
        QImage img(size, QImage::Format_RGB32);
        {
            QPainter p(&img);
            v->render(p, size);
        }
        const int plot = size.width() - GenomeView::kLabelWidth - 4;
        const auto red_at = [&](std::int64_t base) {
            const int x = GenomeView::kLabelWidth + static_cast<int>(base * plot / 1000);
            return count_color(img, QRect(x, GenomeView::kRulerHeight - 2, 1, 1),
                               QColor(200, 30, 30), 40);
        };
        QCOMPARE(red_at(200), 1);
        QCOMPARE(red_at(620), 1);
        QCOMPARE(red_at(450), 0);
        const QString tip = v->describeAt(
            {GenomeView::kLabelWidth + static_cast<int>(200 * plot / 1000), 30}, size);
        QVERIFY2(tip.endsWith("\nregion enhancer  a:101-300, 200 bp"), qPrintable(tip));
        const QString bed = dir + "/roi.bed";
        w.exportRegions(bed);
        QFile f(bed);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QString(f.readAll()),
                 QString("a\t100\t300\tenhancer\na\t600\t650\tpromoter\nb\t0\t50\tregion\n"));
        const auto back = read_bed(bed.toStdString(), v->genome()->contigs());
        QCOMPARE(back.size(), size_t{3});
        QCOMPARE(back[1].name, std::string("promoter"));
        // A session keeps them; importing the BED again adds nothing new.
        w.saveSession(dir + "/s.json");
        MainWindow w2;
        w2.loadSession(dir + "/s.json");
        QCOMPARE(w2.regions().size(), size_t{3});
        const size_t tracks = w2.genomeView()->tracks().size();
        w2.loadSession(dir + "/s.json");  // a session replaces what was open; nothing doubles
        QCOMPARE(w2.genomeView()->tracks().size(), tracks);
        QCOMPARE(w2.regions().size(), size_t{3});
        w2.importRegions(bed);
        QCOMPARE(w2.regions().size(), size_t{3});
        w2.genomeView()->setLocus({"a", 550, 700});
        QCOMPARE(w2.removeRegionsInView(), 1);
        QCOMPARE(w2.regions().size(), size_t{2});
        try {
            w2.addRegion({"a", 1, 5}, "with\ttab");
            QFAIL("a label with a tab was taken");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("tab"));
        }
        w2.openFasta(write_file(dir, "other.fa", ">c\n" + QByteArray("ACGT").repeated(50) + "\n"));
        QVERIFY(w2.regions().empty());
        try {
            w2.exportRegions(dir + "/none.bed");
            QFAIL("nothing exported without regions");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("no regions"));
        }
        QVERIFY(!QFile::exists(dir + "/none.bed"));
    }

    // On a server without a display (no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM), Qt alone
    // aborts with a core dump. --help, --version and --snapshot need no window and work; opening
    // one ends with a line saying why, as does a display that cannot be reached.
    void withoutADisplay() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) env.remove(name);
        const auto run = [&](const QStringList& args, const QProcessEnvironment& e) {
            QProcess p;
            p.setProcessEnvironment(e);
            p.start(DNASSM_GUI_BIN, args);
            if (!p.waitForFinished(120000)) return std::tuple{-1, QString(), QString()};
            const int code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
            return std::tuple{code, QString(p.readAllStandardOutput()),
                              QString(p.readAllStandardError())};
        };
        auto [code, out, err] = run({"--version"}, env);
        QCOMPARE(code, 0);
        QVERIFY2(out.startsWith("dnassm-gui "), qPrintable(out + err));
        std::tie(code, out, err) = run({"--help"}, env);
        QCOMPARE(code, 0);
        QVERIFY(out.contains("--snapshot"));
        const QString png = temp_dir("explorer_headless") + "/h.png";
        std::tie(code, out, err) = run({"--session", kExample, "--snapshot", png}, env);
        QVERIFY2(code == 0, qPrintable(err));
        QCOMPARE(QImage(png).size(), QSize(1280, 800));
        std::tie(code, out, err) = run({kExample}, env);
        QCOMPARE(code, 1);
        QCOMPARE(err.count('\n'), 1);
        QVERIFY2(err.startsWith("dnassm-gui: cannot open a window: no display"), qPrintable(err));
        env.insert("DISPLAY", ":97");  // no X server there
        std::tie(code, out, err) = run({kExample}, env);
        QCOMPARE(code, 1);
        QVERIFY2(
            err.startsWith("dnassm-gui: cannot open a window: no display") && err.count('\n') == 1,
            qPrintable(err));
        env.remove("DISPLAY");
        env.insert("QT_QPA_PLATFORM", "nosuchplatform");
        std::tie(code, out, err) = run({kExample}, env);
        QCOMPARE(code, 1);
        QVERIFY2(err.startsWith("dnassm-gui: cannot start Qt: ") &&
                     err.contains("nosuchplatform") && err.count('\n') == 1,
                 qPrintable(err));
    }
};

QTEST_MAIN(GuiExplorerTest)
#include "gui_explorer_test.moc"
