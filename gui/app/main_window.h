// The explorer window: menus, locus box, the genome view and the window-PCA panel, and model
// runs on a worker thread with a progress bar and Cancel (the UI never waits for a run).
#pragma once

#include <QMainWindow>
#include <atomic>
#include <memory>
#include <thread>

#include "model/model_run.h"
#include "model/session.h"

class QLineEdit;
class QProgressBar;
class QPushButton;
class QMenu;
class QAction;
class QScrollArea;

namespace dnassm::gui {

class GenomeView;
class PcaView;

class MainWindow : public QMainWindow {
    Q_OBJECT

  public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opening data; each throws dnassm::Error naming the file on bad input.
    void openFasta(const QString& path);
    void openAlignments(const QString& path);
    void openFeatures(const QString& path);
    void openSignal(const QString& path);
    void openModel(const QString& path);
    /// Picks the kind by extension (a directory is a model), else by the file's content.
    void openAny(const QString& path);

    /// Navigates to what the locus box accepts; false (and a status message) when it is not a
    /// locus.
    bool goTo(const QString& text);
    /// IGV's Ctrl+F / Ctrl+B over every open feature track: centres the view, at its width, on
    /// the next (direction > 0) or previous feature in genome order, crossing contigs; false
    /// (and a status message) when there is none.
    bool jumpToFeature(int direction);
    /// Regions of interest (Regions menu, Shift+drag on the ruler), saved with the session and
    /// exported as BED4, a training set for `dnassm finetune --task classify`. Each throws Error on
    /// a bad label, interval or file.
    void addRegion(const Locus& l, const QString& label);
    [[nodiscard]] const std::vector<Region>& regions() const { return session_.regions; }
    /// View > Reverse-complement sequence: the sequence track (and copied sequence) shows the
    /// reverse strand.
    void showReverseStrand(bool on);
    /// Puts loci on the clipboard as samtools regions ("chr:1001-2000", space-separated) and
    /// returns the text.
    QString copyLoci(const std::vector<Locus>& loci);
    /// Puts loci's sequence on the clipboard as FASTA (the strand the sequence track shows) and
    /// returns it; Error beyond kMaxCopyBases.
    QString copySequences(const std::vector<Locus>& loci);
    /// The regions of interest side by side, as IGV's Region Navigator "View" (a split view, named
    /// by their labels); Error when there are none or more than kMaxPanels.
    void showRegionsSideBySide();
    /// Removes the regions overlapping the view; returns how many.
    int removeRegionsInView();
    void exportRegions(const QString& path) const;
    /// Adds a BED's intervals, their names as labels ("region" where a line has none).
    void importRegions(const QString& path);
    /// Removes track i of the view (a track label's context menu): a file's track leaves the
    /// session, and a feature track's names leave the locus box and Ctrl+F/B. False for the
    /// sequence track or no such track.
    bool removeTrack(int i);
    /// Runs the model on the visible region (or the whole contig) in the background.
    void runModel(bool whole_contig = false);
    /// The same, on this thread (for --snapshot).
    void runModelBlocking(bool whole_contig = false);
    void cancelRun();
    [[nodiscard]] bool isRunning() const { return running_; }
    [[nodiscard]] std::shared_ptr<const RunResult> lastRun() const { return run_; }
    [[nodiscard]] QString lastError() const { return last_error_; }

    /// The probability a task head's calls need, from the next run on; Error(kUsage) outside
    /// [0, 1].
    void setCallThreshold(double p);
    /// "8" (top principal components) or "0,5,17" or "0-63" (embedding dimensions, at most
    /// kMaxHeatmapDims), from the next run on.
    void setHeatmapRows(const QString& text);
    /// Model > Cluster heatmap dimensions: rows of chosen dimensions in their hierarchical
    /// clustering's order, with its dendrogram, from the next run on.
    void setClusterRows(bool on);
    /// Model > Exact masked marginals: a masked LM's tracks from a pass per base, or (off, the
    /// default) with bases 16 apart masked together (RunRequest::mlm_spacing).
    void setExactMaskedMarginals(bool on);
    /// Model > Masked-LM context and spacing: bases either side of a masked base (at least 1)
    /// and masked bases' spacing (0: exact, else at least 2; Error(kUsage) otherwise).
    void setMaskedLm(std::int64_t context, std::int64_t spacing);
    /// Variant mode from the next run on: "chr:pos REF>ALT" (parse_snv; Error(kUsage) when it
    /// does not read as one), or empty for off.
    void setVariant(const QString& text);
    /// Loads a session (files, locus, display, model); runs the model when it asks to
    /// (blocking: on this thread).
    void loadSession(const QString& path, bool blocking_run = false);
    void saveSession(const QString& path) const;
    [[nodiscard]] SessionData sessionData() const;

    /// The view as an image of `size`: tracks on top, the window PCA below when there is one.
    [[nodiscard]] QImage snapshot(QSize size);
    /// PNG (or any raster format Qt knows) or SVG, by extension; throws Error on failure.
    void exportImage(const QString& path, QSize size);

    [[nodiscard]] GenomeView* genomeView() const { return view_; }
    [[nodiscard]] PcaView* pcaView() const { return pca_; }

  signals:
    void runFinished();
    void runFailed(const QString& message);
    void runCancelled();

  private:
    void openByContent(const QString& path);
    void buildMenus();
    void remember(const QString& path);
    void refreshRecent();
    void showShortcuts();
    /// Asks for a label (the last one given, to start with) and marks `l`.
    void promptRegion(const Locus& l);
    void promptMaskedLm();
    void showRegions();  // hands them to the view and says how many there are
    /// Closes what belongs to the open genome: its tracks (files' and the run's), regions,
    /// variant and the features the locus box searches; the model and display settings stay.
    void closeGenomeData();
    void guarded(const std::function<void()>& action);
    void composeView(QPainter& p, QSize size);
    [[nodiscard]] RunRequest makeRequest(bool whole_contig) const;
    void showRun(std::shared_ptr<const RunResult> run);
    void finishWorker();

    GenomeView* view_ = nullptr;
    PcaView* pca_ = nullptr;
    QScrollArea* scroll_ = nullptr;
    QLineEdit* locus_box_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancel_button_ = nullptr;
    QMenu* recent_menu_ = nullptr;
    QAction* rc_action_ = nullptr;        // View > Reverse-complement sequence
    QAction* rc_average_ = nullptr;       // Model > Average with reverse complement
    QAction* compare_strands_ = nullptr;  // Model > Compare strands
    QAction* cluster_rows_ = nullptr;     // Model > Cluster heatmap dimensions
    QAction* exact_masked_ = nullptr;     // Model > Exact masked marginals

    SessionData session_;  // what is open (paths) and the display settings
    std::vector<Region> features_;
    // The view the last feature jump left and where it jumped to: the next jump goes on from
    // that feature while the view is unchanged, else from the view's centre.
    Locus jumped_view_;
    FeatureCursor jumped_to_;
    QString last_label_;  // of the last region marked
    std::shared_ptr<const RunResult> run_;
    std::shared_ptr<const Model> model_;  // loaded by openModel
    QString last_error_;

    std::thread worker_;
    std::atomic<bool> cancel_{false};
    bool running_ = false;
    int job_ = 0;  // the current run's number (GUI thread only)
};

}  // namespace dnassm::gui
