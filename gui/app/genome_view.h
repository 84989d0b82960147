// The locus view: ruler and stacked tracks (sequence, BAM coverage, BED features, bigWig
// signals, model predictions, embedding heatmap) with IGV-style navigation: drag to pan,
// Ctrl+wheel to zoom at the cursor, rubber-band on the ruler to zoom to a range, arrow keys.
#pragma once

#include <QWidget>
#include <map>
#include <memory>
#include <vector>

#include "model/feature_rows.h"
#include "model/locus.h"
#include "model/model_run.h"
#include "model/session.h"
#include "model/sources.h"
#include "model/track_summary.h"

namespace dnassm::gui {

struct ViewTrack {
    enum class Kind { kSequence, kCoverage, kFeatures, kSignal, kPrediction, kHeatmap };
    Kind kind = Kind::kSequence;
    QString name, path;
    std::shared_ptr<const SignalSource> signal;
    std::vector<Region> features;
    std::shared_ptr<const RunResult> run;  // prediction / heatmap tracks
    int run_track = -1;                    // index into run->tracks
    FeatureRows feature_rows = {};         // features' rows (set by GenomeView::addTrack)
    std::vector<GeneModel> models = {};    // features' exons and coding parts (or none)
};

class GenomeView : public QWidget {
    Q_OBJECT

  public:
    static constexpr int kLabelWidth = 120, kRulerHeight = 36;

    explicit GenomeView(QWidget* parent = nullptr);

    void setGenome(std::shared_ptr<const FastaSource> fasta);
    [[nodiscard]] const FastaSource* genome() const { return fasta_.get(); }
    /// Clamped to the contig; emits locusChanged when it changes.
    void setLocus(const Locus& l);
    [[nodiscard]] const Locus& locus() const { return locus_; }
    void zoomBy(double factor, double anchor = 0.5);
    void panBy(double fraction);

    void addTrack(ViewTrack t);
    /// Removes every track but the sequence.
    void clearTracks();
    /// Removes track i (not the sequence); false when there is no such track to remove.
    bool removeTrack(int i);
    /// The track whose rows hold y in a view of `size`; -1 for none (the ruler, below them).
    [[nodiscard]] int trackAt(int y, QSize size) const;
    /// Replaces the prediction and heatmap tracks with those of a model run.
    void setRunResult(std::shared_ptr<const RunResult> run);
    [[nodiscard]] const std::vector<ViewTrack>& tracks() const { return tracks_; }
    /// Regions of interest, drawn as a red bar under the ruler and a light band over the tracks.
    void setRegions(std::vector<Region> regions);
    void setDisplay(const DisplaySettings& d);
    [[nodiscard]] const DisplaySettings& display() const { return display_; }

    /// Draws the whole view at `size` (on screen, and for PNG/SVG export).
    void render(QPainter& p, QSize size);
    /// The rectangle of track i in a view of `size` (tests, export).
    [[nodiscard]] QRect trackRect(int i, QSize size) const;
    /// The values a line track shows over the current locus (NaN = none).
    [[nodiscard]] std::vector<float> trackValues(int i);
    [[nodiscard]] int preferredHeight() const;
    /// What is under `pos` in a view of `size`, as its tooltip says: the position on the ruler,
    /// the base on the sequence, a line track's value at that base (or its mean, min and max over
    /// the bases a pixel covers), the features there, a heatmap row's value; a track's full name
    /// over its label (and what produced it, where a bedGraph says). Empty where there is nothing.
    [[nodiscard]] QString describeAt(QPoint pos, QSize size);

  signals:
    void locusChanged(const dnassm::gui::Locus& l);
    /// A range selected on the ruler with Shift held: to be marked as a region of interest.
    void regionSelected(const dnassm::gui::Locus& l);
    /// "Remove track" chosen in a track label's context menu.
    void removeRequested(int track);

  protected:
    bool event(QEvent* e) override;  // tooltips (describeAt)
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void contextMenuEvent(QContextMenuEvent* e) override;  // a track label: remove it

  private:
    [[nodiscard]] int trackHeight(const ViewTrack& t) const;
    void fitHeight();
    [[nodiscard]] double baseAt(double x, int width) const;
    /// Whether a signal track in `r` is drawn from its file's summaries (many bases per pixel).
    [[nodiscard]] bool zoomedOut(QRect r) const;
    void drawRuler(QPainter& p, QRect r);
    void drawSequence(QPainter& p, QRect r);
    /// filled: the area under the mean is shaded down to the scale's floor (coverage, as IGV).
    void drawLine(
        QPainter& p, QRect r, const std::vector<float>& values, QColor color, bool filled = false);
    void drawBins(
        QPainter& p, QRect r, const std::vector<PixelBin>& bins, QColor color, bool filled = false);
    void drawFeatures(QPainter& p, QRect r, const ViewTrack& t);
    void drawHeatmap(QPainter& p, QRect r, const ViewTrack& t);
    /// Marks a variant-mode run's variant across the tracks.
    void drawVariant(QPainter& p, QSize size);
    void drawRegions(QPainter& p, QSize size);
    /// The x range [a, b) of bases [beg, end) in a view of `width`, at least a pixel.
    [[nodiscard]] std::pair<double, double> spanX(std::int64_t beg,
                                                  std::int64_t end,
                                                  int width) const;

    std::shared_ptr<const FastaSource> fasta_;
    Locus locus_;
    std::vector<ViewTrack> tracks_;
    DisplaySettings display_;
    std::map<std::pair<QString, std::string>, std::vector<float>> coverage_cache_;
    std::vector<Region> regions_;
    // Interaction: a drag pans; a drag that starts on the ruler selects a range to zoom to, or
    // with Shift held one to mark as a region of interest.
    bool dragging_ = false, selecting_ = false, marking_ = false;
    int press_x_ = 0, current_x_ = 0;
    Locus press_locus_;
};

}  // namespace dnassm::gui
