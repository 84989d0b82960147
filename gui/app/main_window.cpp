#include "main_window.h"

#include <QApplication>
#include <QClipboard>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QImage>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QSvgGenerator>
#include <QToolBar>
#include <algorithm>
#include <filesystem>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/file_format.h"
#include "dnassm/io/gff.h"
#include "dnassm/io/input_file.h"
#include "dnassm/model.h"
#include "dnassm/per_base_track.h"

#include "genome_view.h"
#include "model/regions_of_interest.h"
#include "pca_view.h"

namespace dnassm::gui {

namespace {

constexpr int kPcaHeight = 220, kPcaWidth = 340;

std::string str(const QString& s) { return s.toStdString(); }

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("dnassm explorer");
    view_ = new GenomeView;
    pca_ = new PcaView;
    scroll_ = new QScrollArea;
    scroll_->setWidget(view_);
    scroll_->setWidgetResizable(true);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(scroll_);
    split->addWidget(pca_);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    setCentralWidget(split);

    auto* bar = addToolBar("Navigation");
    bar->setMovable(false);
    locus_box_ = new QLineEdit;
    locus_box_->setPlaceholderText(
        "chr:start-end, 12k, 1.5M, a BED feature name; several (space-separated) side by side");
    locus_box_->setMinimumWidth(320);
    bar->addWidget(new QLabel(" Locus "));
    bar->addWidget(locus_box_);
    connect(locus_box_, &QLineEdit::returnPressed, this, [this] { goTo(locus_box_->text()); });
    bar->addAction("Go", this, [this] { goTo(locus_box_->text()); });
    bar->addSeparator();
    bar->addAction("Zoom in", this, [this] { view_->zoomBy(0.5); });
    bar->addAction("Zoom out", this, [this] { view_->zoomBy(2.0); });
    bar->addAction("Run model", this, [this] { guarded([this] { runModel(false); }); });

    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(240);
    progress_->setVisible(false);
    cancel_button_ = new QPushButton("Cancel");
    cancel_button_->setVisible(false);
    connect(cancel_button_, &QPushButton::clicked, this, [this] { cancelRun(); });
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(cancel_button_);

    connect(view_, &GenomeView::locusChanged, this, [this](const Locus& l) {
        locus_box_->setText(QString::fromStdString(loci_text(view_->panels())));
        session_.locus = l;
        pca_->setVisibleLocus(l);
    });
    connect(pca_, &PcaView::navigate, this, [this](const Locus& l) { view_->setLocus(l); });
    buildMenus();
}

MainWindow::~MainWindow() {
    cancel_ = true;
    if (worker_.joinable()) worker_.join();
}

void MainWindow::guarded(const std::function<void()>& action) {
    try {
        action();
    } catch (const std::exception& e) {
        last_error_ = e.what();
        QMessageBox::warning(this, "dnassm explorer", e.what());
    }
}

void MainWindow::setVariant(const QString& text) {
    const std::string v = text.trimmed().toStdString();
    if (!v.empty()) (void)parse_snv(v);  // refused here, before any run
    session_.variant = v;
    statusBar()->showMessage(v.empty() ? QString("variant mode off")
                                       : QString("variant mode: %1 (run the model to see it)")
                                             .arg(QString::fromStdString(parse_snv(v).label())),
                             5000);
}

void MainWindow::setCallThreshold(double p) {
    DNASSM_CHECK(p >= 0 && p <= 1, ErrorKind::kUsage,
                 "the call threshold is a probability, 0 to 1");
    session_.call_threshold = static_cast<float>(p);
    statusBar()->showMessage(QString("calls at p ≥ %1 from the next run on").arg(p), 5000);
}

void MainWindow::setHeatmapRows(const QString& text) {
    const QStringList parts = text.split(',', Qt::SkipEmptyParts);
    std::vector<std::int64_t> dims;
    for (const QString& p : parts) {  // a dimension, or a range of them ("0-63")
        const QStringList ends = p.trimmed().split('-');
        bool ok = ends.size() <= 2, ok_last = true;
        const long long first = ok ? ends[0].toLongLong(&ok) : -1;
        const long long last = ends.size() == 2 ? ends[1].toLongLong(&ok_last) : first;
        DNASSM_CHECK(ok && ok_last && first >= 0 && last >= first, ErrorKind::kUsage,
                     "heatmap rows: '" + text.toStdString() +
                         "' is neither a count nor a list of dimensions");
        for (long long v = first; v <= last && std::ssize(dims) <= kMaxHeatmapDims; ++v)
            dims.push_back(v);
    }
    DNASSM_CHECK(!dims.empty(), ErrorKind::kUsage, "heatmap rows: give a count or dimensions");
    DNASSM_CHECK(std::ssize(dims) <= kMaxHeatmapDims, ErrorKind::kUsage,
                 "heatmap rows: at most " + std::to_string(kMaxHeatmapDims) + " dimensions");
    if (parts.size() == 1 && !text.contains(',') && !text.contains('-')) {
        DNASSM_CHECK(dims[0] >= 1 && dims[0] <= 64, ErrorKind::kUsage,
                     "heatmap rows: 1 to 64 components");
        session_.display.heatmap_rows = static_cast<int>(dims[0]);
        session_.display.heatmap_dims.clear();
    } else {
        session_.display.heatmap_dims = dims;
    }
    view_->setDisplay(session_.display);
    statusBar()->showMessage("the heatmap rows apply from the next model run", 5000);
}

void MainWindow::remember(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value("recent").toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    recent.removeAll(abs);
    recent.prepend(abs);
    while (recent.size() > 10) recent.removeLast();
    settings.setValue("recent", recent);
    refreshRecent();
}

void MainWindow::refreshRecent() {
    if (!recent_menu_) return;
    recent_menu_->clear();
    for (const QString& p : QSettings().value("recent").toStringList())
        recent_menu_->addAction(p, this, [this, p] { guarded([&] { openAny(p); }); });
    recent_menu_->setEnabled(!recent_menu_->isEmpty());
}

void MainWindow::openFasta(const QString& path) {
    auto fasta = std::make_shared<const FastaSource>(str(path));
    view_->setGenome(fasta);
    // Another genome's tracks and regions do not carry over (a BED of hg19 drawn on hg38's
    // chr1 would be wrong without a word), as IGV unloads them when the genome changes.
    size_t closed = 0;
    if (!session_.fasta.empty() && session_.fasta != fasta->path()) {
        closed = view_->tracks().size() - 1;
        closeGenomeData();
    }
    session_.fasta = fasta->path();
    remember(path);
    QString shown = QString("%1: %2 contig(s)").arg(path).arg(fasta->contigs().size());
    // As the CLI notes them: records faidx leaves out would otherwise vanish unsaid.
    if (const EmptyRecords& empty = fasta->empty_records(); empty.count > 0)
        shown += QString(" (%1 record%2 with no bases left out%3)")
                     .arg(empty.count)
                     .arg(empty.count == 1 ? "" : "s")
                     .arg(QString::fromStdString((empty.count == 1 ? ": '" : ", the first: '") +
                                                 empty.first + "'"));
    if (closed > 0)
        shown += QString("; %1 track%2 of the previous genome closed")
                     .arg(closed)
                     .arg(closed == 1 ? "" : "s");
    statusBar()->showMessage(shown, 5000);
}

void MainWindow::openAlignments(const QString& path) {
    DNASSM_CHECK(view_->genome(), ErrorKind::kUsage,
                 str(path) + ": reads are drawn over a reference; open its FASTA first");
    (void)bam_coverage(str(path),
                       {view_->locus().contig, view_->locus().beg, view_->locus().beg + 1},
                       view_->genome()->path());  // fails now, naming the file, if unreadable
    view_->addTrack({ViewTrack::Kind::kCoverage, QFileInfo(path).fileName(), path, {}, {}, {}, -1});
    session_.alignments.push_back(str(path));
    remember(path);
}

void MainWindow::openFeatures(const QString& path) {
    DNASSM_CHECK(view_->genome(), ErrorKind::kUsage,
                 str(path) + ": features are drawn over a reference; open its FASTA first");
    size_t left_out = 0;
    std::vector<GeneModel> models;
    std::map<std::string, std::string> aliases;
    auto features =
        read_features(str(path), view_->genome()->contigs(), &left_out, &models, &aliases);
    QString shown = QString("%1: %2 feature%3")
                        .arg(QFileInfo(path).fileName())
                        .arg(features.size())
                        .arg(features.size() == 1 ? "" : "s");
    const QString fasta = QFileInfo(QString::fromStdString(session_.fasta)).fileName();
    if (left_out) shown += QString(" (%1 on contigs %2 lacks left out)").arg(left_out).arg(fasta);
    if (!aliases.empty()) {  // as IGV maps them, but said
        QStringList renames;
        for (const auto& [from, to] : aliases)
            if (renames.size() < 3) renames << QString::fromStdString(from + " as " + to);
        shown += QString(" (contigs named as in %1: %2%3)")
                     .arg(fasta, renames.join(", "), aliases.size() > 3 ? ", …" : "");
    }
    statusBar()->showMessage(shown, 8000);
    features_.insert(features_.end(), features.begin(), features.end());
    ViewTrack track{ViewTrack::Kind::kFeatures,
                    QFileInfo(path).fileName(),
                    path,
                    {},
                    std::move(features),
                    {},
                    -1};
    track.models = std::move(models);
    view_->addTrack(std::move(track));
    session_.features.push_back(str(path));
    remember(path);
}

void MainWindow::openSignal(const QString& path) {
    auto src = std::make_shared<const SignalSource>(str(path));
    view_->addTrack({ViewTrack::Kind::kSignal, QFileInfo(path).fileName(), path, src, {}, {}, -1});
    session_.signal_tracks.push_back(str(path));
    remember(path);
}

void MainWindow::openModel(const QString& path) {
    std::shared_ptr<const Model> model = Model::load(str(path));
    model_ = model;  // every run uses this copy (one run at a time, forward is const)
    session_.model = str(path);
    QString tracks;
    for (const auto& n : track_names(*model))
        tracks += (tracks.isEmpty() ? "" : ", ") + QString::fromStdString(n);
    statusBar()->showMessage(QString("model %1 (%2): tracks %3")
                                 .arg(path, QString::fromStdString(model->info().family), tracks),
                             8000);
    remember(path);
}

void MainWindow::openAny(const QString& path) {
    const QString p = path.toLower();
    if (QFileInfo(path).isDir())
        openModel(path);
    else if (p.endsWith(".bam") || p.endsWith(".cram"))
        openAlignments(path);
    else if (p.endsWith(".bed") || p.endsWith(".bed.gz") || p.endsWith(".gff") ||
             p.endsWith(".gff3") || p.endsWith(".gtf") || p.endsWith(".gff.gz") ||
             p.endsWith(".gff3.gz") || p.endsWith(".gtf.gz") || p.endsWith(".vcf") ||
             p.endsWith(".vcf.gz") || p.endsWith(".bcf"))
        openFeatures(path);
    else if (p.endsWith(".bw") || p.endsWith(".bigwig") || p.endsWith(".bedgraph") ||
             p.endsWith(".bedgraph.gz") || p.endsWith(".bg") || p.endsWith(".bg.gz"))
        openSignal(path);
    else if (p.endsWith(".json"))
        loadSession(path);
    else
        openByContent(path);
}

// A file whose name does not say what it is: its content does, so a FASTQ or a VCF is named as
// such instead of failing as a FASTA.
void MainWindow::openByContent(const QString& path) {
    const std::string file = str(path);
    require_readable_file(file, "a FASTA file");
    const DetectedFormat fmt = detect_file_format(file);
    switch (fmt.format) {
        case FileFormat::kFasta:
            return openFasta(path);
        case FileFormat::kSam:
        case FileFormat::kBam:
        case FileFormat::kCram:
            return openAlignments(path);
        case FileFormat::kFastq:
            throw Error(ErrorKind::kInput,
                        file +
                            ": FASTQ reads; the explorer shows a reference FASTA, with BAM/CRAM "
                            "coverage, tracks and BED features over it");
        case FileFormat::kVcf:
        case FileFormat::kBcf:
            return openFeatures(path);
        default:
            if (looks_like_gff(file)) return openFeatures(path);
            throw Error(
                ErrorKind::kInput,
                file +
                    ": not a FASTA, BAM/CRAM, BED, GFF/GTF, VCF/BCF, bigWig/bedGraph, session or "
                    "model (" +
                    (fmt.description.empty() ? "unknown format" : "detected: " + fmt.description) +
                    ")");
    }
}

bool MainWindow::goTo(const QString& text) {
    if (!view_->genome()) return false;
    try {
        view_->setPanels(parse_loci(str(text), view_->genome()->contigs(), features_));
        return true;
    } catch (const Error& e) {
        last_error_ = e.what();
        statusBar()->showMessage(e.what(), 8000);
        return false;
    }
}

void MainWindow::closeGenomeData() {
    view_->clearTracks();
    view_->setRegions({});
    showRun(nullptr);
    features_.clear();
    session_.alignments.clear();  // the model and display settings stay
    session_.features.clear();
    session_.signal_tracks.clear();
    session_.regions.clear();
    session_.variant.clear();  // a position on the genome
}

void MainWindow::addRegion(const Locus& l, const QString& label) {
    DNASSM_CHECK(view_->genome(), ErrorKind::kUsage, "open a FASTA first");
    add_region(session_.regions,
               {.contig = l.contig, .beg = l.beg, .end = l.end, .name = str(label)},
               view_->genome()->contigs());
    showRegions();
}

int MainWindow::removeRegionsInView() {
    const Locus& l = view_->locus();
    const int n = remove_regions(session_.regions, l.contig, l.beg, l.end);
    showRegions();
    return n;
}

void MainWindow::setClusterRows(bool on) { cluster_rows_->setChecked(on); }

void MainWindow::setExactMaskedMarginals(bool on) { exact_masked_->setChecked(on); }

void MainWindow::setMaskedLm(std::int64_t context, std::int64_t spacing) {
    check_masked_lm_settings(context, spacing, ErrorKind::kUsage, "", "the masked-LM context",
                             "the masked bases' spacing");
    session_.mlm_context = context;
    exact_masked_->setChecked(spacing == 0);
    session_.mlm_spacing = spacing;  // the toggle above may have set another
}

void MainWindow::promptMaskedLm() {
    QDialog d(this);
    d.setWindowTitle("Masked-LM tracks");
    auto* form = new QFormLayout(&d);
    form->addRow(
        new QLabel("How a masked LM's per-base tracks are computed (dnassm predict\n"
                   "--mlm-context and --mlm-spacing); from the next run on."));
    auto* context = new QSpinBox(&d);
    context->setRange(1, 1 << 20);
    context->setValue(static_cast<int>(session_.mlm_context));
    context->setSuffix(" bases");
    form->addRow("Context on either side of a masked base:", context);
    auto* spacing = new QSpinBox(&d);
    spacing->setRange(0, 4096);
    spacing->setSpecialValueText("0: exact, a pass per base (slow)");
    spacing->setValue(static_cast<int>(session_.mlm_spacing));
    form->addRow("Bases this far apart masked together:", spacing);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &d);
    connect(buttons, &QDialogButtonBox::accepted, &d, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &d, &QDialog::reject);
    form->addRow(buttons);
    if (d.exec() == QDialog::Accepted)
        guarded([&] { setMaskedLm(context->value(), spacing->value()); });
}

void MainWindow::showReverseStrand(bool on) { rc_action_->setChecked(on); }

QString MainWindow::copyLoci(const std::vector<Locus>& loci) {
    QStringList regions;
    for (const Locus& l : loci) regions << QString::fromStdString(l.region());
    const QString text = regions.join(' ');
    QGuiApplication::clipboard()->setText(text);
    statusBar()->showMessage("copied " + text, 5000);
    return text;
}

QString MainWindow::copySequences(const std::vector<Locus>& loci) {
    DNASSM_CHECK(view_->genome(), ErrorKind::kUsage, "open a FASTA first");
    const QString text = QString::fromStdString(
        fasta_of(*view_->genome(), loci, session_.display.reverse_complement));
    QGuiApplication::clipboard()->setText(text);
    std::int64_t bases = 0;
    for (const Locus& l : loci) bases += l.width();
    statusBar()->showMessage(
        QString("copied %1 bases as FASTA%2")
            .arg(QString::fromStdString(with_commas(bases)))
            .arg(session_.display.reverse_complement ? " (reverse strand)" : ""),
        5000);
    return text;
}

void MainWindow::showRegionsSideBySide() {
    const auto& regions = session_.regions;
    DNASSM_CHECK(
        !regions.empty(), ErrorKind::kUsage,
        "no regions of interest to show (Regions > Mark view, or Shift+drag on the ruler)");
    check_panel_count(regions.size(), "regions of interest");
    std::vector<Panel> panels;
    for (const Region& r : regions) panels.push_back({{r.contig, r.beg, r.end}, r.name});
    view_->setPanels(std::move(panels));
}

void MainWindow::exportRegions(const QString& path) const {
    DNASSM_CHECK(!session_.regions.empty(), ErrorKind::kUsage,
                 "no regions of interest to export (Regions > Mark view, or Shift+drag on the "
                 "ruler)");
    write_file(str(path), regions_bed(session_.regions));
}

void MainWindow::importRegions(const QString& path) {
    DNASSM_CHECK(view_->genome(), ErrorKind::kUsage,
                 str(path) + ": regions lie on a reference; open its FASTA first");
    std::vector<Region> regions = session_.regions;
    for (Region r : read_bed(str(path), view_->genome()->contigs()))
        add_region(regions, std::move(r), view_->genome()->contigs());
    session_.regions = std::move(regions);
    showRegions();
}

void MainWindow::promptRegion(const Locus& l) {
    bool ok = false;
    const QString label = QInputDialog::getText(
        this, "Region of interest",
        QString("Label for %1 (its BED name: a class for dnassm finetune --task classify):")
            .arg(QString::fromStdString(l.label())),
        QLineEdit::Normal, last_label_, &ok);
    if (!ok) return;
    guarded([&] {
        addRegion(l, label);
        last_label_ = label;
    });
}

void MainWindow::showRegions() {
    view_->setRegions(session_.regions);
    const size_t n = session_.regions.size();
    statusBar()->showMessage(n == 0 ? QString("no regions of interest")
                                    : QString("%1 region%2 of interest (Regions > Export as BED)")
                                          .arg(n)
                                          .arg(n == 1 ? "" : "s"),
                             5000);
}

bool MainWindow::removeTrack(int i) {
    if (i < 0 || i >= static_cast<int>(view_->tracks().size())) return false;
    const ViewTrack& gone = view_->tracks()[static_cast<size_t>(i)];
    // What is needed of it once it is gone (not its features, which may be a VCF's million).
    const auto kind = gone.kind;
    const bool from_file = !gone.run;  // a run's tracks come back with the next run
    const QString name = gone.name, path = gone.path;
    if (!view_->removeTrack(i)) return false;
    auto drop = [file = str(path)](std::vector<std::string>& list) {
        const auto it = std::find(list.begin(), list.end(), file);
        if (it != list.end()) list.erase(it);
    };
    if (from_file) {
        if (kind == ViewTrack::Kind::kFeatures) drop(session_.features);
        if (kind == ViewTrack::Kind::kCoverage) drop(session_.alignments);
        if (kind == ViewTrack::Kind::kSignal) drop(session_.signal_tracks);
    }
    features_.clear();  // what the locus box and Ctrl+F/B search: the feature tracks left
    for (const ViewTrack& t : view_->tracks())
        if (t.kind == ViewTrack::Kind::kFeatures && !t.run)
            features_.insert(features_.end(), t.features.begin(), t.features.end());
    jumped_view_ = {};
    statusBar()->showMessage(QString("removed track %1").arg(name), 5000);
    return true;
}

bool MainWindow::jumpToFeature(int direction) {
    if (!view_->genome()) return false;
    const Locus here = view_->locus();
    const FeatureCursor from =
        here == jumped_view_
            ? jumped_to_
            : FeatureCursor{here.contig, here.beg + here.width() / 2, FeatureCursor::kFromView};
    const std::int64_t i =
        step_feature(features_, view_->genome()->contigs(), from, direction > 0 ? 1 : -1);
    if (i < 0) {
        statusBar()->showMessage(features_.empty() ? "no features open (File > Open features)"
                                 : direction > 0   ? "no feature after this one"
                                                   : "no feature before this one",
                                 5000);
        return false;
    }
    const Region& f = features_[static_cast<size_t>(i)];
    view_->setLocus(centre_on(f, here.width(), view_->genome()->length(f.contig)));
    jumped_view_ = view_->locus();
    jumped_to_ = {f.contig, f.beg + (f.end - f.beg) / 2, i};
    const std::string where = Locus{f.contig, f.beg, f.end}.label();
    statusBar()->showMessage(
        QString::fromStdString(f.name.empty() ? where : f.name + " (" + where + ")"), 5000);
    return true;
}

RunRequest MainWindow::makeRequest(bool whole_contig) const {
    DNASSM_CHECK(view_->genome(), ErrorKind::kUsage, "open a FASTA first");
    DNASSM_CHECK(!session_.model.empty(), ErrorKind::kUsage,
                 "open a model folder first (File > Open model folder)");
    RunRequest r;
    r.model_dir = session_.model;
    r.loaded = model_;
    r.fasta = view_->genome()->path();
    r.locus = view_->locus();
    if (whole_contig)  // the focused panel's contig
        r.locus = {r.locus.contig, 0, view_->genome()->length(r.locus.contig)};
    else if (view_->panels().size() > 1)  // every panel
        for (const Panel& p : view_->panels()) r.loci.push_back(p.locus);
    r.rc = session_.rc_average;
    r.compare_strands = session_.compare_strands;
    if (!session_.variant.empty()) r.variant = parse_snv(session_.variant);
    r.tracks = session_.tracks;
    r.embedding = session_.embedding;
    r.components = std::max(1, session_.display.heatmap_rows);
    r.dims = session_.display.heatmap_dims;
    r.cluster_rows = session_.display.cluster_rows;
    r.call_threshold = session_.call_threshold;
    r.mlm_spacing = session_.mlm_spacing;
    r.mlm_context = session_.mlm_context;
    return r;
}

void MainWindow::showRun(std::shared_ptr<const RunResult> run) {
    run_ = std::move(run);
    view_->setRunResult(run_);
    pca_->setRun(run_);
    pca_->setVisibleLocus(view_->locus());
}

void MainWindow::finishWorker() {
    if (worker_.joinable()) worker_.join();
    running_ = false;
    progress_->setVisible(false);
    cancel_button_->setVisible(false);
}

void MainWindow::runModel(bool whole_contig) {
    const RunRequest req = makeRequest(whole_contig);
    if (running_) {
        cancel_ = true;
        finishWorker();
    }
    cancel_ = false;
    running_ = true;
    progress_->setValue(0);
    progress_->setVisible(true);
    cancel_button_->setVisible(true);
    statusBar()->showMessage(QString("running the model on %1…")
                                 .arg(QString::fromStdString(
                                     req.loci.size() > 1 ? std::to_string(req.loci.size()) + " loci"
                                                         : req.locus.label())));
    const int job = ++job_;
    // Results of a superseded run (one cancelled because another started) are ignored.
    auto current = [this, job] { return job == job_; };
    worker_ = std::thread([this, req, current] {
        auto last = std::make_shared<int>(-1);
        auto report = [this, last, current](double f) {
            const int v = static_cast<int>(f * 1000);
            if (v == *last) return;  // throttle: at most 1000 updates per run
            *last = v;
            QMetaObject::invokeMethod(
                this,
                [this, v, current] {
                    if (current()) progress_->setValue(v);
                },
                Qt::QueuedConnection);
        };
        try {
            auto result = std::make_shared<const RunResult>(run_model(req, report, &cancel_));
            QMetaObject::invokeMethod(
                this,
                [this, result, current] {
                    if (!current()) return;
                    finishWorker();
                    showRun(result);
                    statusBar()->showMessage("model run finished", 5000);
                    emit runFinished();
                },
                Qt::QueuedConnection);
        } catch (const RunCancelled&) {
            QMetaObject::invokeMethod(
                this,
                [this, current] {
                    if (!current()) return;
                    finishWorker();
                    statusBar()->showMessage("model run cancelled", 5000);
                    emit runCancelled();
                },
                Qt::QueuedConnection);
        } catch (const std::exception& e) {
            const QString msg = e.what();
            QMetaObject::invokeMethod(
                this,
                [this, msg, current] {
                    if (!current()) return;
                    finishWorker();
                    last_error_ = msg;
                    statusBar()->showMessage(msg, 10000);
                    emit runFailed(msg);
                },
                Qt::QueuedConnection);
        }
    });
}

void MainWindow::runModelBlocking(bool whole_contig) {
    showRun(std::make_shared<const RunResult>(run_model(makeRequest(whole_contig))));
}

void MainWindow::cancelRun() {
    if (running_) cancel_ = true;
}

SessionData MainWindow::sessionData() const {
    SessionData s = session_;
    s.locus = view_->locus();
    s.panels = view_->panels().size() > 1 ? view_->panels() : std::vector<Panel>{};
    s.display = session_.display;
    return s;
}

void MainWindow::saveSession(const QString& path) const { save_session(sessionData(), str(path)); }

void MainWindow::loadSession(const QString& path, bool blocking_run) {
    const SessionData s = load_session(str(path));
    DNASSM_CHECK(!s.fasta.empty(), ErrorKind::kInput, str(path) + ": the session names no FASTA");
    session_ = SessionData{};
    closeGenomeData();
    openFasta(QString::fromStdString(s.fasta));
    for (const auto& p : s.alignments) openAlignments(QString::fromStdString(p));
    for (const auto& p : s.features) openFeatures(QString::fromStdString(p));
    for (const auto& p : s.signal_tracks) openSignal(QString::fromStdString(p));
    if (!s.model.empty()) openModel(QString::fromStdString(s.model));
    for (const Region& r : s.regions) {
        try {
            add_region(session_.regions, r, view_->genome()->contigs());
        } catch (const Error& e) {
            throw Error(ErrorKind::kInput, str(path) + ": " + e.what());
        }
    }
    view_->setRegions(session_.regions);
    session_.tracks = s.tracks;
    session_.embedding = s.embedding;
    session_.rc_average = s.rc_average;
    session_.variant = s.variant;
    session_.compare_strands = s.compare_strands;
    session_.call_threshold = s.call_threshold;
    session_.run_model = s.run_model;
    session_.display = s.display;
    view_->setDisplay(s.display);
    rc_action_->setChecked(s.display.reverse_complement);
    rc_average_->setChecked(s.rc_average);
    compare_strands_->setChecked(s.compare_strands);
    cluster_rows_->setChecked(s.display.cluster_rows);
    setMaskedLm(s.mlm_context, s.mlm_spacing);
    try {
        if (s.panels.size() > 1)
            view_->setPanels(s.panels);
        else if (!s.locus.contig.empty())
            view_->setLocus(s.locus);
    } catch (const Error& e) {
        throw Error(ErrorKind::kInput, str(path) + ": " + e.what());
    }
    if (s.run_model && !s.model.empty()) {
        if (blocking_run)
            runModelBlocking();
        else
            runModel();
    }
}

void MainWindow::composeView(QPainter& p, QSize size) {
    const bool with_pca = run_ && !run_->windows.empty();
    const int tracks_h = with_pca ? size.height() - kPcaHeight : size.height();
    p.save();
    p.setClipRect(QRect(0, 0, size.width(), tracks_h));
    view_->render(p, QSize(size.width(), tracks_h));
    p.restore();
    if (!with_pca) return;
    p.save();
    p.translate(0, tracks_h);
    pca_->render(p, QSize(kPcaWidth, kPcaHeight));
    p.setPen(QColor(60, 60, 60));
    QString info =
        QString(
            "model: %1\nrun on %2\nwindows of %3 bases (pooled final hidden states)\n"
            "heatmap: %4")
            .arg(
                QString::fromStdString(std::filesystem::path(run_->model_dir).filename().string()),
                QString::fromStdString(run_->parts.size() > 1 ? std::to_string(run_->parts.size()) +
                                                                    " loci side by side"
                                                              : run_->locus.label()))
            .arg(run_->windows.front().width())
            .arg(!run_->row_labels.empty() && run_->row_labels[0].starts_with("dim ")
                     ? QString("%1 embedding dimensions%2")
                           .arg(run_->components)
                           .arg(run_->row_merges.empty() ? "" : ", clustered")
                     : QString("top %1 PCs of per-base embeddings").arg(run_->components));
    if (std::any_of(run_->tracks.begin(), run_->tracks.end(),
                    [](const TrackValues& t) { return t.name.ends_with(" rc-fwd"); }))
        info += "\nstrands: each track also read from the reverse complement (rc, rc-fwd)";
    if (!run_->masked.empty())
        info += QString("\nmasked LM: %1").arg(QString::fromStdString(run_->masked));
    if (!run_->variant.empty())
        info += QString("\nvariant: %1 (tracks: reference, alt, alt-ref)")
                    .arg(QString::fromStdString(run_->variant.label()));
    p.drawText(QRect(kPcaWidth + 20, 20, size.width() - kPcaWidth - 40, kPcaHeight - 40),
               Qt::AlignLeft | Qt::AlignTop, info);
    p.restore();
}

QImage MainWindow::snapshot(QSize size) {
    QImage img(size, QImage::Format_RGB32);
    img.fill(Qt::white);
    QPainter p(&img);
    composeView(p, size);
    return img;
}

void MainWindow::exportImage(const QString& path, QSize size) {
    const std::filesystem::path target = str(path);
    const std::string tmp = target.string() + ".tmp" + target.extension().string();
    bool ok = false;
    if (path.toLower().endsWith(".svg")) {
        QSvgGenerator svg;
        svg.setFileName(QString::fromStdString(tmp));
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setTitle("dnassm explorer");
        QPainter p;
        ok = p.begin(&svg);
        if (ok) {
            composeView(p, size);
            ok = p.end();
        }
    } else {
        ok = snapshot(size).save(QString::fromStdString(tmp));
    }
    std::error_code ec;
    if (ok) std::filesystem::rename(tmp, target, ec);
    if (!ok || ec) {
        std::filesystem::remove(tmp, ec);
        throw Error(ErrorKind::kResource, str(path) + ": cannot write the image");
    }
}

}  // namespace dnassm::gui
