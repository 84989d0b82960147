// The explorer's menus, their shortcuts and the shortcut list (Help > Keyboard shortcuts).
#include <QAction>
#include <QApplication>
#include <QFileDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

#include "genome_view.h"
#include "main_window.h"

namespace dnassm::gui {

void MainWindow::buildMenus() {
    auto open_with = [this](const QString& title, const QString& filter,
                            void (MainWindow::*fn)(const QString&)) {
        return [this, title, filter, fn] {
            const QString path = QFileDialog::getOpenFileName(this, title, {}, filter);
            if (!path.isEmpty()) guarded([&] { (this->*fn)(path); });
        };
    };
    QMenu* file = menuBar()->addMenu("&File");
    file->addAction(
        "Open &FASTA…", QKeySequence::Open,
        open_with("Open FASTA", "FASTA (*.fa *.fasta *.fna *.fa.gz *.fasta.gz *.fna.gz);;All (*)",
                  &MainWindow::openFasta));
    file->addAction("Open BAM/CRAM (coverage)…",
                    open_with("Open alignments", "Alignments (*.bam *.cram);;All (*)",
                              &MainWindow::openAlignments));
    file->addAction("Open features (BED, GFF3, GTF, VCF)…",
                    open_with("Open features",
                              "Features (*.bed *.bed.gz *.gff *.gff3 *.gtf *.gff.gz *.gff3.gz "
                              "*.gtf.gz *.vcf *.vcf.gz *.bcf);;All (*)",
                              &MainWindow::openFeatures));
    file->addAction(
        "Open bigWig/bedGraph…",
        open_with("Open track",
                  "Tracks (*.bw *.bigwig *.bigWig *.bedgraph *.bedGraph *.bg *.bedgraph.gz "
                  "*.bedGraph.gz *.bg.gz);;All (*)",
                  &MainWindow::openSignal));
    file->addAction("Open &model folder…", this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, "Open model folder");
        if (!dir.isEmpty()) guarded([&] { openModel(dir); });
    });
    recent_menu_ = file->addMenu("Open &recent");
    refreshRecent();
    file->addSeparator();
    file->addAction("Open &session…", this, [this] {
        const QString p =
            QFileDialog::getOpenFileName(this, "Open session", {}, "Session (*.json)");
        if (!p.isEmpty()) guarded([&] { loadSession(p); });
    });
    file->addAction("&Save session…", QKeySequence::Save, this, [this] {
        const QString p =
            QFileDialog::getSaveFileName(this, "Save session", {}, "Session (*.json)");
        if (!p.isEmpty()) guarded([&] { saveSession(p); });
    });
    file->addAction("&Export image (PNG/SVG)…", QKeySequence("Ctrl+E"), this, [this] {
        const QString p =
            QFileDialog::getSaveFileName(this, "Export image", {}, "PNG (*.png);;SVG (*.svg)");
        if (!p.isEmpty()) guarded([&] { exportImage(p, centralWidget()->size()); });
    });
    file->addSeparator();
    file->addAction("&Quit", QKeySequence::Quit, qApp, &QApplication::quit);

    QMenu* view = menuBar()->addMenu("&View");
    view->addAction("Zoom &in", QKeySequence("Ctrl+Up"), this, [this] { view_->zoomBy(0.5); });
    view->addAction("Zoom &out", QKeySequence("Ctrl+Down"), this, [this] { view_->zoomBy(2.0); });
    view->addAction("Whole contig", QKeySequence("Ctrl+0"), this, [this] {
        if (view_->genome())
            view_->setLocus(
                {view_->locus().contig, 0, view_->genome()->length(view_->locus().contig)});
    });
    rc_action_ = view->addAction("&Reverse-complement sequence", QKeySequence("Ctrl+Shift+R"));
    rc_action_->setCheckable(true);
    connect(rc_action_, &QAction::toggled, this, [this](bool on) {
        session_.display.reverse_complement = on;
        view_->setDisplay(session_.display);
    });
    view->addAction("&Next feature", QKeySequence("Ctrl+F"), this, [this] { jumpToFeature(1); });
    view->addAction("&Previous feature", QKeySequence("Ctrl+B"), this,
                    [this] { jumpToFeature(-1); });
    const auto panel_loci = [this] {
        std::vector<Locus> loci;
        for (const Panel& p : view_->panels()) loci.push_back(p.locus);
        return loci;
    };
    view->addAction("&Copy locus", QKeySequence::Copy, this,
                    [this, panel_loci] { guarded([&] { copyLoci(panel_loci()); }); });
    view->addAction("Copy &sequence (FASTA)", this,
                    [this, panel_loci] { guarded([&] { copySequences(panel_loci()); }); });
    view->addAction("&Locus box", QKeySequence("Ctrl+L"), this, [this] {
        locus_box_->setFocus();
        locus_box_->selectAll();
    });

    QMenu* regions = menuBar()->addMenu("&Regions");
    regions->addAction("&Mark view as region…", QKeySequence("Ctrl+M"), this,
                       [this] { promptRegion(view_->locus()); });
    regions->addAction("&Remove regions in view", this, [this] { removeRegionsInView(); });
    regions->addAction("View side by &side", QKeySequence("Ctrl+Shift+M"), this,
                       [this] { guarded([this] { showRegionsSideBySide(); }); });
    regions->addSeparator();
    regions->addAction("&Export as BED…", this, [this] {
        const QString p =
            QFileDialog::getSaveFileName(this, "Export regions", {}, "BED (*.bed);;All (*)");
        if (!p.isEmpty()) guarded([&] { exportRegions(p); });
    });
    regions->addAction(
        "&Import from BED…",
        open_with("Import regions", "BED (*.bed *.bed.gz);;All (*)", &MainWindow::importRegions));
    connect(view_, &GenomeView::regionSelected, this, [this](const Locus& l) { promptRegion(l); });
    connect(view_, &GenomeView::copyLocusRequested, this,
            [this](const Locus& l) { guarded([&] { copyLoci({l}); }); });
    connect(view_, &GenomeView::copySequenceRequested, this,
            [this](const Locus& l) { guarded([&] { copySequences({l}); }); });
    connect(view_, &GenomeView::removeRequested, this, [this](int i) { removeTrack(i); });

    QMenu* model = menuBar()->addMenu("&Model");
    model->addAction("Run on &visible region (every panel)", QKeySequence("Ctrl+R"), this,
                     [this] { guarded([this] { runModel(false); }); });
    model->addAction("Run on whole &contig", QKeySequence("Ctrl+Shift+C"), this,
                     [this] { guarded([this] { runModel(true); }); });
    rc_average_ = model->addAction("Average with reverse complement (--rc)");
    rc_average_->setCheckable(true);
    connect(rc_average_, &QAction::toggled, this, [this](bool on) {
        session_.rc_average = on;
        if (on) compare_strands_->setChecked(false);  // one or the other
    });
    compare_strands_ = model->addAction("Compare strands (forward vs reverse complement)");
    compare_strands_->setCheckable(true);
    connect(compare_strands_, &QAction::toggled, this, [this](bool on) {
        session_.compare_strands = on;
        if (on) rc_average_->setChecked(false);
    });
    exact_masked_ = model->addAction("Exact masked marginals (a pass per base; slow)");
    exact_masked_->setCheckable(true);
    connect(exact_masked_, &QAction::toggled, this, [this](bool on) {
        session_.mlm_spacing = on ? 0 : (session_.mlm_spacing > 0 ? session_.mlm_spacing : 16);
    });
    model->addAction("Masked-LM context and spacing…", this, [this] { promptMaskedLm(); });
    model->addAction("Cancel run", QKeySequence("Esc"), this, [this] { cancelRun(); });
    model->addAction("&Variant (reference vs alternate)…", this, [this] {
        bool ok = false;
        const QString text = QInputDialog::getText(
            this, "Variant mode",
            "A base substitution, chr:pos REF>ALT (e.g. NC_001416.1:1000 A>G); each track is\n"
            "then also computed with it and shown as '<track> alt' and '<track> alt-ref'.\n"
            "Leave empty to turn variant mode off:",
            QLineEdit::Normal, QString::fromStdString(session_.variant), &ok);
        if (ok) guarded([&] { setVariant(text); });
    });
    model->addAction("Call threshold (task heads)…", this, [this] {
        bool ok = false;
        const double p =
            QInputDialog::getDouble(this, "Calls",
                                    "A fine-tuned head's calls (as dnassm predict -o calls.bed "
                                    "makes them) are the runs of\n"
                                    "bases whose probability of its last class is at least:",
                                    session_.call_threshold, 0, 1, 3, &ok);
        if (ok) guarded([&] { setCallThreshold(p); });
    });
    model->addAction("Embedding heatmap rows…", this, [this] {
        bool ok = false;
        const QString text = QInputDialog::getText(
            this, "Embedding heatmap",
            "Top principal components (a number, e.g. 8) or embedding dimensions (e.g. 0,5,17 "
            "or 0-63):",
            QLineEdit::Normal, QString::number(session_.display.heatmap_rows), &ok);
        if (ok) guarded([&] { setHeatmapRows(text); });
    });
    cluster_rows_ = model->addAction("Cluster heatmap dimensions");
    cluster_rows_->setCheckable(true);
    connect(cluster_rows_, &QAction::toggled, this, [this](bool on) {
        session_.display.cluster_rows = on;
        view_->setDisplay(session_.display);
        statusBar()->showMessage(
            session_.display.heatmap_dims.empty()
                ? QString("clustering orders embedding dimensions (Model > Embedding heatmap "
                          "rows: e.g. 0-63); principal components keep their order")
                : QString("the heatmap's dimensions are clustered from the next model run"),
            5000);
    });

    QMenu* help = menuBar()->addMenu("&Help");
    help->addAction("&Keyboard shortcuts", QKeySequence::HelpContents, this,
                    [this] { showShortcuts(); });
}

void MainWindow::showShortcuts() {
    QMessageBox::information(
        this, "Keyboard shortcuts",
        "<table>"
        "<tr><td>Ctrl+L</td><td>locus box (chr:start-end, 12k, 1.5M, feature name; several, "
        "space-separated, side by side)</td></tr>"
        "<tr><td>← / →</td><td>pan by a fifth of the view</td></tr>"
        "<tr><td>+ / −, Ctrl+↑ / Ctrl+↓, Ctrl+wheel</td><td>zoom in / out</td></tr>"
        "<tr><td>drag on the tracks</td><td>pan</td></tr>"
        "<tr><td>drag on the ruler</td><td>zoom to the selected range</td></tr>"
        "<tr><td>click on the ruler, double-click</td><td>centre there; centre and zoom "
        "in</td></tr>"
        "<tr><td>Home / End</td><td>start / end of the contig</td></tr>"
        "<tr><td>Ctrl+0</td><td>whole contig</td></tr>"
        "<tr><td>Ctrl+F / Ctrl+B</td><td>next / previous feature (BED, GFF3, GTF)</td></tr>"
        "<tr><td>Ctrl+M, Shift+drag on the ruler</td><td>mark the view, or the range, as a "
        "region of interest</td></tr>"
        "<tr><td>Ctrl+Shift+M</td><td>regions of interest side by side</td></tr>"
        "<tr><td>click a panel's name</td><td>show that locus alone</td></tr>"
        "<tr><td>Ctrl+Shift+R</td><td>reverse-complement sequence</td></tr>"
        "<tr><td>Ctrl+R / Ctrl+Shift+C</td><td>run the model on the view / whole contig</td></tr>"
        "<tr><td>Esc</td><td>cancel the run</td></tr>"
        "<tr><td>Ctrl+O, Ctrl+S, Ctrl+E</td><td>open FASTA, save session, export PNG/SVG</td></tr>"
        "<tr><td>click in the PCA panel</td><td>go to that window</td></tr>"
        "<tr><td>right-click a track's label</td><td>remove the track</td></tr>"
        "<tr><td>Ctrl+C</td><td>copy the view's loci (samtools regions)</td></tr>"
        "<tr><td>right-click a ruler</td><td>copy its locus or sequence (FASTA), mark it as a "
        "region, show it alone</td></tr>"
        "</table>");
}

}  // namespace dnassm::gui
