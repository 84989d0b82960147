// The locus view: ruler and stacked tracks (sequence, BAM coverage, BED features, bigWig
// signals, model predictions, embedding heatmap) with IGV-style navigation: drag to pan,
// Ctrl+wheel to zoom at the cursor, rubber-band on the ruler to zoom to a range, a click on the
// ruler to centre there, a double click on the tracks to centre and zoom in, arrow keys.
// As IGV's multi-locus view it can show several loci side by side, each panel with its own
// ruler and navigation; clicking a panel's name shows that locus alone.
#pragma once

#include <QMenu>
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
    /// A split view's panel names, above each panel's ruler, and the gap between panels.
    static constexpr int kPanelTitleHeight = 16, kPanelGap = 6;

    explicit GenomeView(QWidget* parent = nullptr);

    void setGenome(std::shared_ptr<const FastaSource> fasta);
    [[nodiscard]] const FastaSource* genome() const { return fasta_.get(); }
    /// One locus, clamped to its contig (ending a split view); emits locusChanged when it changes.
    void setLocus(const Locus& l);
    /// Loci side by side (one: as setLocus, its name dropped), each clamped to its contig; the
    /// first has the focus.
    void setPanels(std::vector<Panel> panels);
    [[nodiscard]] const std::vector<Panel>& panels() const { return panels_; }
    /// The focused panel's locus: the one keys, zoom buttons and "run on view" act on (the last
    /// one clicked, dragged or zoomed).
    [[nodiscard]] const Locus& locus() const { return panels_[static_cast<size_t>(focus_)].locus; }
    [[nodiscard]] int rulerHeight() const {
        return kRulerHeight + (panels_.size() > 1 ? kPanelTitleHeight : 0);
    }
    /// The columns of panel k, top to bottom, in a view of `size`.
    [[nodiscard]] QRect panelRect(int k, QSize size) const;
    /// The panel whose columns hold x; -1 for the label column and the gaps between panels.
    [[nodiscard]] int panelAt(int x, QSize size) const;
    /// What right-clicking panel k's ruler offers (as JBrowse's rubber-band menu): copy its
    /// locus or sequence, mark it as a region of interest, and in a split view show it alone.
    [[nodiscard]] std::unique_ptr<QMenu> rulerMenu(int k);
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
    /// The rectangle of track i in a view of `size`, across every panel (tests, export).
    [[nodiscard]] QRect trackRect(int i, QSize size) const;
    /// The values a line track shows over the focused panel's locus (NaN = none).
    [[nodiscard]] std::vector<float> trackValues(int i) { return trackValues(i, locus()); }
    [[nodiscard]] int preferredHeight() const;
    /// What is under `pos` in a view of `size`, as its tooltip says: the position on the ruler,
    /// the base on the sequence, a line track's value at that base (or its mean, min and max over
    /// the bases a pixel covers), the features there, a heatmap row's value; a track's full name
    /// over its label (and what produced it, where a bedGraph says); over a split view's panel
    /// name, that panel's locus. Empty where there is nothing.
    [[nodiscard]] QString describeAt(QPoint pos, QSize size);

  signals:
    /// The focused panel's locus, when it moves or another panel takes the focus.
    void locusChanged(const dnassm::gui::Locus& l);
    /// A range selected on the ruler with Shift held (or a panel's "Mark as region of
    /// interest"): to be marked as a region of interest.
    void regionSelected(const dnassm::gui::Locus& l);
    /// A panel's ruler menu: "Copy chr:beg-end" and "Copy sequence (FASTA)".
    void copyLocusRequested(const dnassm::gui::Locus& l);
    void copySequenceRequested(const dnassm::gui::Locus& l);
    /// "Remove track" chosen in a track label's context menu.
    void removeRequested(int track);

  protected:
    bool event(QEvent* e) override;  // tooltips (describeAt)
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseDoubleClickEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void contextMenuEvent(QContextMenuEvent* e) override;  // a track label, a panel's ruler

  private:
    using Columns = std::pair<int, int>;  // a panel's pixel columns [first, second)

    [[nodiscard]] Locus clamped(const Locus& l) const;
    /// Moves panel k (and gives it the focus).
    void movePanel(int k, const Locus& l);
    [[nodiscard]] std::vector<Columns> columns(QSize size) const;
    [[nodiscard]] std::vector<float> trackValues(int i, const Locus& l);
    [[nodiscard]] int trackHeight(const ViewTrack& t) const;
    void fitHeight();
    /// The base at pixel column x of a panel at `c` showing `l` (fractional).
    [[nodiscard]] static double baseAt(double x, Columns c, const Locus& l);
    /// Whether a signal track in `r` is drawn from its file's summaries (many bases per pixel).
    [[nodiscard]] static bool zoomedOut(QRect r, const Locus& l);
    /// A track's rows in panel k's columns.
    void drawTrack(QPainter& p, int i, QRect r, const Locus& l);
    void drawRuler(QPainter& p, QRect r, const Locus& l);
    void drawSequence(QPainter& p, QRect r, const Locus& l);
    /// filled: the area under the mean is shaded down to the scale's floor (coverage, as IGV).
    void drawLine(
        QPainter& p, QRect r, const std::vector<float>& values, QColor color, bool filled = false);
    void drawBins(
        QPainter& p, QRect r, const std::vector<PixelBin>& bins, QColor color, bool filled = false);
    void drawFeatures(QPainter& p, QRect r, const ViewTrack& t, const Locus& l);
    /// Features per pixel column as bars, where there are more features in view than pixels.
    void drawFeatureDensity(QPainter& p, QRect r, const ViewTrack& t, const Locus& l);
    /// A heatmap track's cells over `l` at `width` pixels: {rows, width}, NaN where none.
    [[nodiscard]] static std::vector<float> heatmapCells(const ViewTrack& t,
                                                         const Locus& l,
                                                         int width);
    static void drawHeatmap(QPainter& p, QRect r, const std::vector<float>& cells, float scale);
    void drawHeatmapLabels(QPainter& p, QRect r, const ViewTrack& t);
    /// Marks a variant-mode run's variant across the tracks of a panel.
    void drawVariant(QPainter& p, QRect panel, const Locus& l);
    void drawRegions(QPainter& p, QRect panel, const Locus& l);
    /// The x range [a, b) of bases [beg, end) in a panel at `c` showing `l`, at least a pixel.
    [[nodiscard]] static std::pair<double, double> spanX(std::int64_t beg,
                                                         std::int64_t end,
                                                         Columns c,
                                                         const Locus& l);

    std::shared_ptr<const FastaSource> fasta_;
    std::vector<Panel> panels_{Panel{}};  // never empty
    int focus_ = 0;
    std::vector<ViewTrack> tracks_;
    DisplaySettings display_;
    std::map<std::pair<QString, std::string>, std::vector<float>> coverage_cache_;
    std::vector<Region> regions_;
    // Interaction: a drag pans; a drag that starts on the ruler selects a range to zoom to, or
    // with Shift held one to mark as a region of interest.
    bool dragging_ = false, selecting_ = false, marking_ = false;
    int press_x_ = 0, current_x_ = 0, press_panel_ = 0;
    Locus press_locus_;
};

}  // namespace dnassm::gui
