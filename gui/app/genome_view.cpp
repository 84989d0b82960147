#include "genome_view.h"

#include <QContextMenuEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "dnassm/error.h"
#include "dnassm/tokenizer.h"

#include "model/track_summary.h"
#include "tooltip.h"

namespace dnassm::gui {

namespace {

constexpr std::int64_t kMaxCoverageWidth = 2'000'000;  // like IGV's visibility window
// From this many bases per pixel, signal tracks are drawn from summaries instead of every base.
constexpr std::int64_t kSummaryBasesPerPixel = 256;
constexpr int kSequenceHeight = 24, kFeatureRowHeight = 28, kMaxFeatureRows = 8,
              kCoverageHeight = 60, kHeatRowHeight = 10;

QColor base_color(char b) {
    switch (b) {  // IGV's colours
        case 'A':
        case 'a':
            return QColor(0, 150, 0);
        case 'C':
        case 'c':
            return QColor(0, 0, 230);
        case 'G':
        case 'g':
            return QColor(209, 113, 5);
        case 'T':
        case 't':
            return QColor(230, 0, 0);
        default:
            return QColor(128, 128, 128);
    }
}

// Blue-white-red for heatmap scores scaled to [-1, 1].
QColor diverging(float v) {
    v = std::clamp(v, -1.0f, 1.0f);
    const int k = static_cast<int>(std::lround(255 * (1 - std::fabs(v))));
    return v < 0 ? QColor(k, k, 255) : QColor(255, k, k);
}

// A grey note across a track ("zoom in to see ..."), shortened to "zoom in" in a narrow panel.
void draw_zoom_note(QPainter& p, QRect r, const QString& note) {
    p.setPen(Qt::darkGray);
    p.drawText(r, Qt::AlignCenter,
               p.fontMetrics().horizontalAdvance(note) <= r.width() ? note : QString("zoom in"));
}

// Whether a feature track over `l`, `width` pixels wide, is drawn as its density: more features
// in view than pixels would merge into one bar (IGV's and JBrowse's tracks switch so zoomed out).
bool drawn_as_density(const std::vector<Region>& features, const Locus& l, int width) {
    return std::count_if(features.begin(), features.end(), [&](const Region& f) {
               return f.contig == l.contig && f.end > l.beg && f.beg < l.end;
           }) > width;
}

// A split view panel's name: its feature's name, else its locus, without the contig where the
// whole does not fit.
QString panel_title(const Panel& panel, const QFontMetrics& fm, int width) {
    if (!panel.name.empty())
        return fm.elidedText(QString::fromStdString(panel.name), Qt::ElideRight, width);
    const QString full = QString::fromStdString(panel.locus.label());
    if (fm.horizontalAdvance(full) <= width) return full;
    return fm.elidedText(QString::fromStdString(with_commas(panel.locus.beg + 1) + "-" +
                                                with_commas(panel.locus.end)),
                         Qt::ElideRight, width);
}

}  // namespace

GenomeView::GenomeView(QWidget* parent) : QWidget(parent) {
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(false);
    setMinimumSize(400, 200);
}

void GenomeView::setGenome(std::shared_ptr<const FastaSource> fasta) {
    fasta_ = std::move(fasta);
    coverage_cache_.clear();
    tracks_.erase(
        std::remove_if(tracks_.begin(), tracks_.end(),
                       [](const ViewTrack& t) { return t.kind == ViewTrack::Kind::kSequence; }),
        tracks_.end());
    tracks_.insert(tracks_.begin(),
                   ViewTrack{ViewTrack::Kind::kSequence, "sequence", {}, {}, {}, {}, -1});
    fitHeight();
    const Contig& c = fasta_->contigs().at(0);
    setLocus({c.name, 0, std::min<std::int64_t>(c.length, 10'000)});
}

Locus GenomeView::clamped(const Locus& l) const {
    const std::int64_t len = fasta_->length(l.contig);
    Locus c = l;
    c.end = std::clamp<std::int64_t>(c.end, 1, len);
    c.beg = std::clamp<std::int64_t>(c.beg, 0, c.end - 1);
    if (c.width() < 20) c = zoom(c, 1.0, 0.5, len);  // min width, re-centred
    return c;
}

void GenomeView::setLocus(const Locus& l) { setPanels({Panel{l, {}}}); }

void GenomeView::setPanels(std::vector<Panel> panels) {
    if (!fasta_ || panels.empty()) return;
    check_panel_count(panels.size());
    if (panels.size() == 1) panels[0].name.clear();  // a single view names no panel
    for (Panel& p : panels) p.locus = clamped(p.locus);
    if (panels == panels_) return;
    panels_ = std::move(panels);
    focus_ = 0;
    fitHeight();  // feature tracks have as many rows as the panels' contigs need
    update();
    emit locusChanged(locus());
}

void GenomeView::movePanel(int k, const Locus& l) {
    focus_ = k;
    Locus& now = panels_[static_cast<size_t>(k)].locus;
    const Locus c = clamped(l);
    if (c == now) return;
    const bool new_contig = c.contig != now.contig;
    now = c;
    if (new_contig) fitHeight();
    update();
    emit locusChanged(now);
}

void GenomeView::zoomBy(double factor, double anchor) {
    if (fasta_) movePanel(focus_, zoom(locus(), factor, anchor, fasta_->length(locus().contig)));
}

void GenomeView::panBy(double fraction) {
    if (fasta_)
        movePanel(focus_, pan(locus(),
                              static_cast<std::int64_t>(
                                  std::llround(fraction * static_cast<double>(locus().width()))),
                              fasta_->length(locus().contig)));
}

std::vector<GenomeView::Columns> GenomeView::columns(QSize size) const {
    return panel_columns(kLabelWidth, size.width() - kLabelWidth - 4,
                         static_cast<int>(panels_.size()), kPanelGap);
}

QRect GenomeView::panelRect(int k, QSize size) const {
    const Columns c = columns(size).at(static_cast<size_t>(k));
    return {c.first, 0, c.second - c.first, size.height()};
}

int GenomeView::panelAt(int x, QSize size) const {
    const auto cols = columns(size);
    for (size_t k = 0; k < cols.size(); ++k)
        if (x >= cols[k].first && x < cols[k].second) return static_cast<int>(k);
    return -1;
}

void GenomeView::addTrack(ViewTrack t) {
    if (t.kind == ViewTrack::Kind::kFeatures)
        t.feature_rows = pack_feature_rows(t.features, kMaxFeatureRows);
    tracks_.push_back(std::move(t));
    fitHeight();
    update();
}

void GenomeView::clearTracks() {
    std::erase_if(tracks_, [](const ViewTrack& t) { return t.kind != ViewTrack::Kind::kSequence; });
    fitHeight();
    update();
}

bool GenomeView::removeTrack(int i) {
    if (i < 0 || i >= static_cast<int>(tracks_.size()) ||
        tracks_[static_cast<size_t>(i)].kind == ViewTrack::Kind::kSequence)
        return false;
    tracks_.erase(tracks_.begin() + i);
    fitHeight();
    update();
    return true;
}

int GenomeView::trackAt(int y, QSize size) const {
    for (int i = 0; i < static_cast<int>(tracks_.size()); ++i) {
        const QRect r = trackRect(i, size);
        if (y >= r.top() && y <= r.bottom() + 3) return i;  // its separator line too
    }
    return -1;
}

std::unique_ptr<QMenu> GenomeView::rulerMenu(int k) {
    auto menu = std::make_unique<QMenu>(this);
    const Locus l = panels_.at(static_cast<size_t>(k)).locus;
    menu->addAction(QString("Copy %1").arg(QString::fromStdString(l.region())), this,
                    [this, l] { emit copyLocusRequested(l); });
    QAction* sequence = menu->addAction("Copy sequence (FASTA)", this,
                                        [this, l] { emit copySequenceRequested(l); });
    sequence->setEnabled(l.width() <= kMaxCopyBases);
    menu->addAction("Mark as region of interest…", this, [this, l] { emit regionSelected(l); });
    if (panels_.size() > 1)
        menu->addAction("Show this locus alone", this, [this, l] { setLocus(l); });
    return menu;
}

void GenomeView::contextMenuEvent(QContextMenuEvent* e) {
    if (const int k = panelAt(e->pos().x(), size()); k >= 0 && e->pos().y() < rulerHeight()) {
        rulerMenu(k)->exec(e->globalPos());
        return;
    }
    const int i = e->pos().x() < kLabelWidth ? trackAt(e->pos().y(), size()) : -1;
    if (i < 0 || tracks_[static_cast<size_t>(i)].kind == ViewTrack::Kind::kSequence) return;
    QMenu menu(this);
    menu.addAction(QString("Remove track '%1'").arg(tracks_[static_cast<size_t>(i)].name), this,
                   [this, i] { emit removeRequested(i); });
    menu.exec(e->globalPos());
}

void GenomeView::setRunResult(std::shared_ptr<const RunResult> run) {
    tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                                 [](const ViewTrack& t) {
                                     return t.run != nullptr;  // a run's: lines, calls, heatmap
                                 }),
                  tracks_.end());
    if (run) {
        for (size_t i = 0; i < run->tracks.size(); ++i)
            tracks_.push_back({ViewTrack::Kind::kPrediction,
                               QString::fromStdString(run->tracks[i].name),
                               {},
                               {},
                               {},
                               run,
                               static_cast<int>(i)});
        if (!run->calls_track.empty()) {
            ViewTrack calls{ViewTrack::Kind::kFeatures,
                            QString("calls %1 ≥ %2")
                                .arg(QString::fromStdString(run->calls_track))
                                .arg(static_cast<double>(run->calls_threshold), 0, 'g', 3),
                            {},
                            {},
                            run->calls,
                            run,
                            -1};
            calls.feature_rows = pack_feature_rows(calls.features, kMaxFeatureRows);
            tracks_.push_back(std::move(calls));
        }
        if (run->components > 0)
            tracks_.push_back({ViewTrack::Kind::kHeatmap, "embedding", {}, {}, {}, run, -1});
    }
    fitHeight();
    update();
}

void GenomeView::setDisplay(const DisplaySettings& d) {
    display_ = d;
    fitHeight();
    update();
}

int GenomeView::trackHeight(const ViewTrack& t) const {
    switch (t.kind) {
        case ViewTrack::Kind::kSequence:
            return kSequenceHeight;
        case ViewTrack::Kind::kFeatures: {
            int rows = 0;
            for (const Panel& p : panels_) rows = std::max(rows, t.feature_rows.on(p.locus.contig));
            return kFeatureRowHeight * rows + 2;
        }
        case ViewTrack::Kind::kCoverage:
            return kCoverageHeight;
        case ViewTrack::Kind::kHeatmap:
            return kHeatRowHeight * static_cast<int>(t.run->components);
        default:
            return display_.track_height;
    }
}

void GenomeView::fitHeight() {
    // At least as tall as all tracks, so the scroll area around the view scrolls instead of
    // clipping them.
    setMinimumHeight(std::max(200, preferredHeight()));
}

int GenomeView::preferredHeight() const {
    int h = rulerHeight();
    for (const auto& t : tracks_) h += trackHeight(t) + 6;
    return h;
}

QRect GenomeView::trackRect(int i, QSize size) const {
    int y = rulerHeight();
    for (int k = 0; k < i; ++k) y += trackHeight(tracks_[static_cast<size_t>(k)]) + 6;
    return {kLabelWidth, y + 3, size.width() - kLabelWidth - 4,
            trackHeight(tracks_[static_cast<size_t>(i)])};
}

bool GenomeView::zoomedOut(QRect r, const Locus& l) {
    return l.width() >= kSummaryBasesPerPixel * std::max(1, r.width());
}

double GenomeView::baseAt(double x, Columns c, const Locus& l) {
    const double plot = std::max(1, c.second - c.first);
    return static_cast<double>(l.beg) + (x - c.first) / plot * static_cast<double>(l.width());
}

std::vector<float> GenomeView::trackValues(int i, const Locus& l) {
    const ViewTrack& t = tracks_.at(static_cast<size_t>(i));
    switch (t.kind) {
        case ViewTrack::Kind::kSignal:
            return t.signal->values(l);
        case ViewTrack::Kind::kCoverage: {
            if (l.width() > kMaxCoverageWidth) return {};
            auto key = std::make_pair(t.path, l.label());
            auto it = coverage_cache_.find(key);
            if (it == coverage_cache_.end()) {
                if (coverage_cache_.size() > 16) coverage_cache_.clear();
                it = coverage_cache_
                         .emplace(key, bam_coverage(t.path.toStdString(), l, fasta_->path()))
                         .first;
            }
            return it->second;
        }
        case ViewTrack::Kind::kPrediction:
            return t.run->values_over(static_cast<size_t>(t.run_track), l);
        default:
            return {};
    }
}

bool GenomeView::event(QEvent* e) {
    return show_tooltip(this, e, [&](QPoint pos) { return describeAt(pos, size()); }) ||
           QWidget::event(e);
}

QString GenomeView::describeAt(QPoint pos, QSize size) {
    if (!fasta_) return {};
    const int under = panelAt(pos.x(), size);  // -1: the label column, or a gap between panels
    if (under < 0 && pos.x() >= kLabelWidth) return {};
    const Panel& panel = panels_[static_cast<size_t>(under < 0 ? focus_ : under)];
    const Locus& l = panel.locus;
    const Columns cols = columns(size)[static_cast<size_t>(under < 0 ? focus_ : under)];
    // The bases under pixel column pos.x(): [b0, b1), at least one.
    const auto b0 = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(std::floor(baseAt(pos.x(), cols, l))), l.beg, l.end - 1);
    const auto b1 = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(std::floor(baseAt(pos.x() + 1, cols, l))), b0 + 1, l.end);
    const QString where = QString::fromStdString(Locus{l.contig, b0, b1}.label());
    const QString at = QString::fromStdString(span_label(l.contig, b0, b1));
    if (pos.y() < rulerHeight()) {
        if (under < 0) return {};
        if (pos.y() < rulerHeight() - kRulerHeight)  // a split view's panel name
            return QString::fromStdString((panel.name.empty() ? "" : panel.name + "  ") +
                                          l.label() + ", " + with_commas(l.width()) +
                                          " bp (click to show it alone)");
        QString text = at;
        for (const Region& r : regions_)  // the regions of interest under the pointer
            if (r.contig == l.contig && r.beg < b1 && b0 < r.end)
                text += QString("\nregion %1  %2, %3 bp")
                            .arg(QString::fromStdString(r.name),
                                 QString::fromStdString(span_label(r.contig, r.beg, r.end)),
                                 QString::fromStdString(with_commas(r.length())));
        return text;
    }
    for (int i = 0; i < static_cast<int>(tracks_.size()); ++i) {
        QRect r = trackRect(i, size);
        if (pos.y() < r.top() || pos.y() > r.bottom()) continue;
        r.setLeft(cols.first);
        r.setRight(cols.second - 1);
        const ViewTrack& t = tracks_[static_cast<size_t>(i)];
        if (pos.x() < kLabelWidth) {  // the file, and what produced it where it says
            QString label = t.path.isEmpty() ? t.name : t.path;
            if (t.signal)
                for (const auto& [key, value] : t.signal->description())
                    label += "\n" + QString::fromStdString(key + ": " + value);
            return label;
        }
        switch (t.kind) {
            case ViewTrack::Kind::kSequence: {
                if (b1 - b0 > 1) return where;
                return at + "  " + QString::fromStdString(fasta_->fetch({l.contig, b0, b1}));
            }
            case ViewTrack::Kind::kFeatures: {
                // Drawn as a density, the features under the pixel are counted, whatever the row.
                const bool dense = drawn_as_density(t.features, l, r.width());
                const int row = (pos.y() - r.top() - 4) / kFeatureRowHeight;
                QStringList hits;
                std::int64_t hit_count = 0;
                for (size_t k = 0; k < t.features.size(); ++k) {
                    const Region& f = t.features[k];
                    if (f.contig != l.contig || f.end <= b0 || f.beg >= b1 ||
                        (!dense && t.feature_rows.row[k] != row))
                        continue;
                    if (++hit_count > 5) {
                        if (dense) continue;
                        break;
                    }
                    QString line = QString::fromStdString(f.name.empty() ? "(unnamed)" : f.name) +
                                   "  " +
                                   QString::fromStdString(span_label(f.contig, f.beg, f.end));
                    if (f.strand != '.') line += QString(" (%1)").arg(QChar(f.strand));
                    line += QString(", %1 bp").arg(QString::fromStdString(with_commas(f.length())));
                    if (k < t.models.size() && t.models[k].exons.size() > 1)
                        line += QString(", %1 exons").arg(t.models[k].exons.size());
                    hits << line;
                }
                if (dense && hit_count > 0)
                    hits.prepend(QString("%1 feature%2 at %3 (zoom in to see each)")
                                     .arg(hit_count)
                                     .arg(hit_count == 1 ? "" : "s")
                                     .arg(where));
                return hits.join("\n");
            }
            case ViewTrack::Kind::kHeatmap: {
                const RunResult& run = *t.run;
                const auto c = static_cast<std::int64_t>((pos.y() - r.top()) / kHeatRowHeight);
                const RunPart* part = run.part_at(l.contig, b0);
                if (!part || c < 0 || c >= run.components) return {};
                const std::int64_t bin = part->bin_offset + (b0 - part->locus.beg) / run.bin_size;
                return QString("%1  %2 = %3")
                    .arg(QString::fromStdString(run.row_labels[static_cast<size_t>(c)]), at)
                    .arg(run.heatmap[static_cast<size_t>(c * run.bins + bin)], 0, 'g', 4);
            }
            default: {
                // Line tracks: the values under the pixel (a zoomed-out signal reads just those).
                std::vector<float> v;
                if (t.kind == ViewTrack::Kind::kSignal && zoomedOut(r, l)) {
                    v = t.signal->values({l.contig, b0, b1});
                } else {
                    const auto all = trackValues(i, l);
                    if (all.empty()) return t.name + "  " + where + ": zoom in to see values";
                    v.assign(all.begin() + (b0 - l.beg), all.begin() + (b1 - l.beg));
                }
                std::vector<float> defined;
                for (float x : v)
                    if (!std::isnan(x)) defined.push_back(x);
                if (defined.empty()) return t.name + "  " + at + ": no value";
                if (v.size() == 1)
                    return QString("%1  %2 = %3").arg(t.name, at).arg(defined[0], 0, 'g', 6);
                const auto [lo, hi] = std::minmax_element(defined.begin(), defined.end());
                double sum = 0;
                for (float x : defined) sum += x;
                return QString("%1  %2: mean %3, min %4, max %5 (%6 of %7 bases with a value)")
                    .arg(t.name, where)
                    .arg(sum / static_cast<double>(defined.size()), 0, 'g', 6)
                    .arg(*lo, 0, 'g', 6)
                    .arg(*hi, 0, 'g', 6)
                    .arg(defined.size())
                    .arg(v.size());
            }
        }
    }
    return {};
}

void GenomeView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    render(p, size());
}

void GenomeView::render(QPainter& p, QSize size) {
    p.fillRect(QRect(QPoint(0, 0), size), Qt::white);
    if (!fasta_) {
        p.setPen(Qt::darkGray);
        p.drawText(QRect(QPoint(0, 0), size), Qt::AlignCenter, "File > Open FASTA… to start");
        return;
    }
    const auto cols = columns(size);
    const bool split = panels_.size() > 1;
    const int title = rulerHeight() - kRulerHeight;
    for (size_t k = 0; k < panels_.size(); ++k) {
        const QRect ruler(cols[k].first, title, cols[k].second - cols[k].first, kRulerHeight);
        if (split) {  // the panel's name (bold: the focused one), clicked to show it alone
            const Panel& panel = panels_[k];
            QFont f = p.font();
            f.setBold(static_cast<int>(k) == focus_);
            p.setFont(f);
            p.setPen(QColor(40, 40, 40));
            p.drawText(QRect(ruler.left(), 0, ruler.width(), title), Qt::AlignCenter,
                       panel_title(panel, p.fontMetrics(), ruler.width()));
            p.setFont(QFont());
        }
        drawRuler(p, ruler, panels_[k].locus);
        if (selecting_ && static_cast<int>(k) == press_panel_) {
            const int a = std::clamp(std::min(press_x_, current_x_), ruler.left(), ruler.right());
            const int b = std::clamp(std::max(press_x_, current_x_), ruler.left(), ruler.right());
            p.fillRect(QRect(a, ruler.top(), b - a, ruler.height()),
                       marking_ ? QColor(200, 30, 30, 80) : QColor(100, 150, 255, 80));
        }
    }
    p.setPen(Qt::black);
    p.drawText(
        4, title + 2, kLabelWidth - 8, kRulerHeight - 4, Qt::AlignLeft | Qt::AlignVCenter,
        split ? QString("%1 loci").arg(panels_.size()) : QString::fromStdString(locus().contig));
    for (int i = 0; i < static_cast<int>(tracks_.size()); ++i) {
        const ViewTrack& t = tracks_[static_cast<size_t>(i)];
        const QRect r = trackRect(i, size);
        if (r.top() > size.height()) break;
        p.setPen(QColor(60, 60, 60));
        // A name too long for the column keeps both ends ("ecoli_k…genes.bed"): tracks from
        // files that share a prefix stay apart.
        const QString name = t.kind == ViewTrack::Kind::kSequence && display_.reverse_complement
                                 ? "sequence (−)"
                                 : t.name;
        if (t.kind == ViewTrack::Kind::kHeatmap)
            drawHeatmapLabels(p, r, t);
        else
            p.drawText(QRect(4, r.top(), kLabelWidth - 8, r.height()),
                       Qt::AlignLeft | Qt::AlignVCenter,
                       p.fontMetrics().elidedText(name, Qt::ElideMiddle, kLabelWidth - 8));
        p.setPen(QColor(225, 225, 225));
        p.drawLine(0, r.bottom() + 3, size.width(), r.bottom() + 3);
        // A heatmap's colours: one scale over every panel, the 98th percentile of |score| of
        // all cells drawn (robust to outliers), so panels side by side compare.
        std::vector<std::vector<float>> heat;
        std::vector<float> mags;
        if (t.kind == ViewTrack::Kind::kHeatmap)
            for (size_t k = 0; k < panels_.size(); ++k) {
                heat.push_back(heatmapCells(t, panels_[k].locus, cols[k].second - cols[k].first));
                for (float v : heat.back())
                    if (!std::isnan(v)) mags.push_back(std::fabs(v));
            }
        const float scale = std::max(robust_range(mags, 0.0, 0.98).hi, 1e-6f);
        for (size_t k = 0; k < panels_.size(); ++k) {
            QRect in = r;
            in.setLeft(cols[k].first);
            in.setRight(cols[k].second - 1);
            p.save();
            if (split) p.setClipRect(in.adjusted(0, 0, 0, 3));  // a feature's name stays in
            if (t.kind == ViewTrack::Kind::kHeatmap)
                drawHeatmap(p, in, heat[k], scale);
            else
                drawTrack(p, i, in, panels_[k].locus);
            p.restore();
        }
    }
    for (size_t k = 0; k < panels_.size(); ++k) {
        const QRect panel(cols[k].first, 0, cols[k].second - cols[k].first, size.height());
        drawRegions(p, panel, panels_[k].locus);
        drawVariant(p, panel, panels_[k].locus);
        if (k > 0)  // the gap between panels
            p.fillRect(
                QRect(cols[k - 1].second, 0, cols[k].first - cols[k - 1].second, size.height()),
                QColor(235, 235, 235));
    }
}

void GenomeView::drawTrack(QPainter& p, int i, QRect r, const Locus& l) {
    const ViewTrack& t = tracks_[static_cast<size_t>(i)];
    try {
        switch (t.kind) {
            case ViewTrack::Kind::kSequence:
                drawSequence(p, r, l);
                break;
            case ViewTrack::Kind::kFeatures:
                drawFeatures(p, r, t, l);
                break;
            case ViewTrack::Kind::kHeatmap:  // render draws it, on one scale across panels
                break;
            case ViewTrack::Kind::kCoverage:
                if (l.width() > kMaxCoverageWidth) {
                    draw_zoom_note(p, r, "zoom in to see coverage (≤ 2 Mb)");
                    break;
                }
                drawLine(p, r, trackValues(i, l), QColor(110, 110, 110), true);
                break;
            case ViewTrack::Kind::kSignal:
                // Zoomed out, the file's own summaries (a bigWig's zoom levels) are drawn.
                if (zoomedOut(r, l))
                    drawBins(p, r, t.signal->bins(l, std::max(1, r.width())), QColor(0, 110, 180));
                else
                    drawLine(p, r, trackValues(i, l), QColor(0, 110, 180));
                break;
            case ViewTrack::Kind::kPrediction:
                drawLine(p, r, trackValues(i, l), QColor(150, 40, 160));
                break;
        }
    } catch (const Error& e) {
        p.setPen(Qt::red);
        p.drawText(r, Qt::AlignCenter, QString::fromStdString(e.what()));
    }
}

std::pair<double, double> GenomeView::spanX(std::int64_t beg,
                                            std::int64_t end,
                                            Columns c,
                                            const Locus& l) {
    const double per_base =
        static_cast<double>(std::max(1, c.second - c.first)) / static_cast<double>(l.width());
    const double a = c.first + static_cast<double>(std::max(beg, l.beg) - l.beg) * per_base;
    const double b = c.first + static_cast<double>(std::min(end, l.end) - l.beg) * per_base;
    return {a, std::max(b, a + 1.0)};
}

void GenomeView::drawRegions(QPainter& p, QRect panel, const Locus& l) {
    const int top = rulerHeight();
    for (const Region& r : regions_) {
        if (r.contig != l.contig || r.end <= l.beg || r.beg >= l.end) continue;
        const auto [a, b] = spanX(r.beg, r.end, {panel.left(), panel.right() + 1}, l);
        p.fillRect(QRectF(a, top - 3, b - a, 3), QColor(200, 30, 30));
        p.fillRect(QRectF(a, top, b - a, panel.height() - top), QColor(200, 30, 30, 22));
    }
}

void GenomeView::drawVariant(QPainter& p, QRect panel, const Locus& l) {
    const auto run = std::find_if(tracks_.begin(), tracks_.end(), [](const ViewTrack& t) {
        return t.run && !t.run->variant.empty();
    });
    if (run == tracks_.end()) return;
    const Snv& v = run->run->variant;
    if (v.contig != l.contig || v.pos < l.beg || v.pos >= l.end) return;
    // A band over the variant's base (at least a pixel wide) from the ruler down, as IGV marks
    // a region of interest.
    const auto [x, x_end] = spanX(v.pos, v.pos + 1, {panel.left(), panel.right() + 1}, l);
    const int top = rulerHeight();
    QColor band(230, 120, 0, 70);
    p.fillRect(QRectF(x, top - 6, x_end - x, panel.height()), band);
    p.setPen(QColor(200, 90, 0));
    p.drawText(QPointF(x_end + 2, top - 8),
               QString::fromStdString(std::string(1, v.ref) + ">" + v.alt));
}

void GenomeView::setRegions(std::vector<Region> regions) {
    regions_ = std::move(regions);
    update();
}

void GenomeView::drawRuler(QPainter& p, QRect r, const Locus& l) {
    p.setPen(Qt::black);
    p.drawLine(r.left(), r.bottom() - 4, r.right(), r.bottom() - 4);
    const double w = static_cast<double>(l.width());
    int free_from = r.left();  // labels do not overlap each other or leave the panel
    for (const RulerTick& tick : ruler_ticks(l)) {
        const int x =
            r.left() + static_cast<int>(static_cast<double>(tick.pos - l.beg) / w * r.width());
        p.drawLine(x, r.bottom() - 10, x, r.bottom() - 4);
        const QString text = QString::fromStdString(tick.label);
        const int tw = p.fontMetrics().horizontalAdvance(text);
        const int left = std::clamp(x - tw / 2, r.left(), std::max(r.left(), r.right() + 1 - tw));
        if (left < free_from) continue;
        p.drawText(QRect(left, r.top() + 4, tw, 14), Qt::AlignCenter, text);
        free_from = left + tw + 6;
    }
}

void GenomeView::drawSequence(QPainter& p, QRect r, const Locus& l) {
    const double px_per_base = static_cast<double>(r.width()) / static_cast<double>(l.width());
    if (px_per_base < 1.0) {
        draw_zoom_note(p, r, "zoom in to see the sequence");
        return;
    }
    const std::string seq = fasta_->fetch(l);
    QFont f = p.font();
    f.setFamily("monospace");
    f.setPixelSize(std::min(14, static_cast<int>(px_per_base)));
    p.setFont(f);
    for (std::int64_t i = 0; i < l.width(); ++i) {
        const char b = display_.reverse_complement ? complement_base(seq[static_cast<size_t>(i)])
                                                   : seq[static_cast<size_t>(i)];
        const int x0 = r.left() + static_cast<int>(static_cast<double>(i) * px_per_base);
        const int x1 = r.left() + static_cast<int>(static_cast<double>(i + 1) * px_per_base);
        if (px_per_base >= 8) {
            p.setPen(base_color(b));
            p.drawText(QRect(x0, r.top(), x1 - x0, r.height()), Qt::AlignCenter, QString(QChar(b)));
        } else {
            p.fillRect(QRect(x0, r.top() + 4, std::max(1, x1 - x0), r.height() - 8), base_color(b));
        }
    }
    p.setFont(QFont());
}

void GenomeView::drawLine(
    QPainter& p, QRect r, const std::vector<float>& values, QColor color, bool filled) {
    if (values.empty()) return;
    drawBins(p, r, summarize(values, r.width()), color, filled);
}

void GenomeView::drawBins(
    QPainter& p, QRect r, const std::vector<PixelBin>& bins, QColor color, bool filled) {
    // The scale: robust quantiles of the pixels' means (autoscale), or the full min..max.
    std::vector<float> scale_values;
    for (const PixelBin& b : bins) {
        if (!b.valid) continue;
        if (display_.autoscale) {
            scale_values.push_back(b.mean);
        } else {
            scale_values.push_back(b.min);
            scale_values.push_back(b.max);
        }
    }
    const ValueRange range =
        display_.autoscale ? robust_range(scale_values) : robust_range(scale_values, 0.0, 1.0);
    const float lo = range.lo;
    auto y_of = [&](float v) {
        const float f = std::clamp((v - lo) / (range.hi - lo), 0.0f, 1.0f);
        return r.bottom() - static_cast<int>(f * static_cast<float>(r.height() - 1));
    };
    QColor band = color;
    band.setAlpha(70);
    const QColor fill = color.lighter(160);
    QPainterPath mean;
    bool pen_down = false;
    for (int x = 0; x < static_cast<int>(bins.size()); ++x) {
        const PixelBin& b = bins[static_cast<size_t>(x)];
        if (!b.valid) {
            pen_down = false;
            continue;
        }
        if (filled)
            p.fillRect(QRect(r.left() + x, y_of(b.mean), 1, r.bottom() - y_of(b.mean) + 1), fill);
        if (b.max > b.min)
            p.fillRect(QRect(r.left() + x, y_of(b.max), 1, y_of(b.min) - y_of(b.max) + 1), band);
        const QPointF pt(r.left() + x + 0.5, y_of(b.mean));
        if (pen_down)
            mean.lineTo(pt);
        else
            mean.moveTo(pt);
        pen_down = true;
    }
    p.setPen(QPen(color, 1.2));
    p.drawPath(mean);
    p.setPen(Qt::darkGray);
    QFont f = p.font();
    f.setPixelSize(9);
    p.setFont(f);
    p.drawText(r.left() + 2, r.top() + 9,
               QString("[%1, %2]").arg(lo, 0, 'g', 3).arg(range.hi, 0, 'g', 3));
    p.setFont(QFont());
}

void GenomeView::drawFeatureDensity(QPainter& p, QRect r, const ViewTrack& t, const Locus& l) {
    // Features per pixel column, by a running sum over where each one starts and ends.
    const int width = std::max(1, r.width());
    const double per_base = width / static_cast<double>(l.width());
    std::vector<std::int64_t> count(static_cast<size_t>(width) + 1, 0);
    for (const Region& f : t.features) {
        if (f.contig != l.contig || f.end <= l.beg || f.beg >= l.end) continue;
        const auto a = std::clamp(
            static_cast<int>(static_cast<double>(std::max(f.beg, l.beg) - l.beg) * per_base), 0,
            width - 1);
        const auto b = std::clamp(
            static_cast<int>(
                std::ceil(static_cast<double>(std::min(f.end, l.end) - l.beg) * per_base)),
            a + 1, width);
        ++count[static_cast<size_t>(a)];
        --count[static_cast<size_t>(b)];
    }
    std::partial_sum(count.begin(), count.end(), count.begin());
    const std::int64_t most = *std::max_element(count.begin(), count.end() - 1);
    const int bar_space = std::max(1, r.height() - 12);  // under the scale's label
    for (int x = 0; x < width; ++x) {
        const std::int64_t n = count[static_cast<size_t>(x)];
        if (n == 0) continue;
        const int h = std::max(
            1, static_cast<int>(std::lround(static_cast<double>(bar_space) *
                                            static_cast<double>(n) / static_cast<double>(most))));
        p.fillRect(QRect(r.left() + x, r.bottom() - h + 1, 1, h), QColor(40, 40, 140));
    }
    p.setPen(Qt::darkGray);
    QFont f = p.font();
    f.setPixelSize(9);
    p.setFont(f);
    p.drawText(r.left() + 2, r.top() + 9,
               QString("[0, %1] features per pixel; zoom in to see each").arg(most));
    p.setFont(QFont());
}

void GenomeView::drawFeatures(QPainter& p, QRect r, const ViewTrack& t, const Locus& l) {
    if (drawn_as_density(t.features, l, r.width())) return drawFeatureDensity(p, r, t, l);
    const double w = static_cast<double>(l.width());
    for (size_t i = 0; i < t.features.size(); ++i) {
        const Region& f = t.features[i];
        if (f.contig != l.contig || f.end <= l.beg || f.beg >= l.end) continue;
        const int x0 =
            r.left() +
            static_cast<int>(std::max(0.0, static_cast<double>(f.beg - l.beg) / w) * r.width());
        const int x1 =
            r.left() +
            static_cast<int>(std::min(1.0, static_cast<double>(f.end - l.beg) / w) * r.width());
        const int top = r.top() + 4 + kFeatureRowHeight * t.feature_rows.row[i];
        // A pixel apart from a neighbour that ends where this one starts.
        const QRect box(x0, top, std::max(1, x1 - x0 > 3 ? x1 - x0 - 1 : x1 - x0), 10);
        const QColor color(40, 40, 140);
        const auto x_of = [&](std::int64_t pos) {
            return r.left() +
                   static_cast<int>(std::clamp(static_cast<double>(pos - l.beg) / w, 0.0, 1.0) *
                                    r.width());
        };
        // Exons as boxes (coding parts full height, UTRs and non-coding exons half) on a line
        // through the introns, as IGV and the UCSC browser draw genes; a feature a few pixels
        // wide (a chromosome of genes in view) is one box, which is all it can show.
        const bool narrow = x1 - x0 < 4;
        const auto pieces =
            feature_pieces(f, i < t.models.size() && !narrow ? &t.models[i] : nullptr);
        const bool whole = pieces.size() == 1 && pieces[0].thick && pieces[0].beg == f.beg &&
                           pieces[0].end == f.end;
        if (whole) {
            p.fillRect(box, color);
        } else {
            p.fillRect(QRect(box.left(), top + 5, box.width(), 1), color);
            for (const FeaturePiece& piece : pieces) {
                if (piece.end <= l.beg || piece.beg >= l.end) continue;
                const int a = x_of(piece.beg), b = x_of(piece.end);
                p.fillRect(piece.thick ? QRect(a, top, std::max(1, b - a), 10)
                                       : QRect(a, top + 3, std::max(1, b - a), 5),
                           color);
            }
        }
        if (f.strand == '+' || f.strand == '-') {  // chevrons pointing along the strand
            const int dir = f.strand == '+' ? 1 : -1;
            // The piece under pixel column px; pieces.end() on an intron's line.
            const auto piece_at = [&](int px) {
                const auto base =
                    l.beg + static_cast<std::int64_t>((px - r.left()) * w / r.width());
                return std::find_if(pieces.begin(), pieces.end(), [&](const auto& piece) {
                    return piece.beg <= base && base < piece.end;
                });
            };
            for (int x = box.left() + 6; x + 3 < box.right(); x += 14) {
                // White on a coding box, the feature's colour on an intron's line, none on a
                // thin box (too low to hold one), nor where the chevron would straddle an
                // exon's edge (it would notch a small exon).
                const auto on = piece_at(x);
                if ((on != pieces.end() && !on->thick) || piece_at(x - 3) != on ||
                    piece_at(x + 3) != on)
                    continue;
                p.setPen(QPen(on != pieces.end() ? QColor(Qt::white) : color, 1));
                const int tip = x + 2 * dir;
                p.drawLine(x - 2 * dir, top + 2, tip, top + 5);
                p.drawLine(tip, top + 5, x - 2 * dir, top + 8);
            }
        }
        if (x1 - x0 > 30 && !f.name.empty()) {
            p.setPen(Qt::black);
            // A long name ("thrA|protein_coding") keeps its start, as IGV's labels do.
            p.drawText(QRect(x0, top + 11, x1 - x0, kFeatureRowHeight - 13),
                       Qt::AlignHCenter | Qt::AlignTop,
                       p.fontMetrics().elidedText(QString::fromStdString(f.name), Qt::ElideRight,
                                                  x1 - x0));
        }
    }
}

std::vector<float> GenomeView::heatmapCells(const ViewTrack& t, const Locus& l, int width) {
    // Column averages (several bases share a pixel when zoomed out), {rows, width}, NaN where
    // the run has no part.
    const RunResult& run = *t.run;
    const auto rows = static_cast<size_t>(run.components);
    const double w = static_cast<double>(l.width());
    std::vector<float> cells(rows * static_cast<size_t>(width),
                             std::numeric_limits<float>::quiet_NaN());
    for (int x = 0; x < width; ++x) {
        const double b0 = static_cast<double>(l.beg) + x * w / width;
        const double b1 = static_cast<double>(l.beg) + (x + 1) * w / width;
        // The run's part under the pixel (a split view's run has one per panel).
        const auto part = std::find_if(run.parts.begin(), run.parts.end(), [&](const RunPart& rp) {
            return rp.locus.contig == l.contig && static_cast<double>(rp.locus.beg) < b1 &&
                   b0 < static_cast<double>(rp.locus.end);
        });
        if (part == run.parts.end()) continue;
        const auto lo = static_cast<std::int64_t>(std::floor(
            (b0 - static_cast<double>(part->locus.beg)) / static_cast<double>(run.bin_size)));
        auto hi = static_cast<std::int64_t>(std::ceil((b1 - static_cast<double>(part->locus.beg)) /
                                                      static_cast<double>(run.bin_size)));
        if (hi <= lo) hi = lo + 1;
        const std::int64_t from = part->bin_offset + std::max<std::int64_t>(lo, 0),
                           to = part->bin_offset + std::min(hi, part->bins);
        if (to <= from) continue;
        for (size_t c = 0; c < rows; ++c) {
            double s = 0;
            for (std::int64_t b = from; b < to; ++b)
                s += run.heatmap[c * static_cast<size_t>(run.bins) + static_cast<size_t>(b)];
            cells[c * static_cast<size_t>(width) + static_cast<size_t>(x)] =
                static_cast<float>(s / static_cast<double>(to - from));
        }
    }
    return cells;
}

void GenomeView::drawHeatmap(QPainter& p, QRect r, const std::vector<float>& cells, float scale) {
    const auto width = static_cast<size_t>(r.width());
    for (size_t c = 0; width > 0 && c < cells.size() / width; ++c)
        for (size_t x = 0; x < width; ++x) {
            const float v = cells[c * width + x];
            if (!std::isnan(v))
                p.fillRect(QRect(r.left() + static_cast<int>(x),
                                 r.top() + static_cast<int>(c) * kHeatRowHeight, 1, kHeatRowHeight),
                           diverging(v / scale));
        }
}

void GenomeView::drawHeatmapLabels(QPainter& p, QRect r, const ViewTrack& t) {
    // A row's label (its PC or dimension) instead of the track's name; clustered rows have their
    // dendrogram on the left, leaves at the rows, a merge as far right as its rows are alike.
    const RunResult& run = *t.run;
    const int rows = static_cast<int>(run.components);
    const bool tree = !run.row_merges.empty();
    constexpr int kTreeLeft = 4, kTreeWidth = 44;
    QFont f = p.font();
    f.setPixelSize(8);
    p.setFont(f);
    p.setPen(QColor(60, 60, 60));
    for (int c = 0; c < rows; ++c)
        p.drawText(QRect(tree ? kTreeLeft + kTreeWidth + 2 : 4, r.top() + c * kHeatRowHeight,
                         tree ? kLabelWidth - kTreeWidth - 10 : kLabelWidth - 8, kHeatRowHeight),
                   Qt::AlignRight | Qt::AlignVCenter,
                   (tree ? QString() : QString("embedding ")) +
                       QString::fromStdString(run.row_labels[static_cast<size_t>(c)]));
    p.setFont(QFont());
    if (!tree) return;
    double top = 0;
    for (const RowMerge& m : run.row_merges) top = std::max(top, m.height);
    // Each node's point: a leaf at its row's middle, at the right; a merge between its two.
    std::vector<QPointF> at;
    for (int c = 0; c < rows; ++c)
        at.emplace_back(kTreeLeft + kTreeWidth, r.top() + (c + 0.5) * kHeatRowHeight);
    p.setPen(QPen(QColor(90, 90, 90), 1));
    for (const RowMerge& m : run.row_merges) {
        const QPointF a = at[static_cast<size_t>(m.a)], b = at[static_cast<size_t>(m.b)];
        const double x = kTreeLeft + kTreeWidth * (1.0 - (top > 0 ? m.height / top : 0.0));
        p.drawLine(QPointF(a.x(), a.y()), QPointF(x, a.y()));
        p.drawLine(QPointF(b.x(), b.y()), QPointF(x, b.y()));
        p.drawLine(QPointF(x, a.y()), QPointF(x, b.y()));
        at.emplace_back(x, (a.y() + b.y()) / 2);
    }
}

void GenomeView::mousePressEvent(QMouseEvent* e) {
    if (e->button() != Qt::LeftButton || !fasta_) return;
    press_x_ = current_x_ = static_cast<int>(e->position().x());
    const int y = static_cast<int>(e->position().y());
    const int k = panelAt(press_x_, size());
    if (k < 0 && press_x_ >= kLabelWidth) return;      // a gap between panels
    if (k >= 0 && y < rulerHeight() - kRulerHeight) {  // a panel's name: that locus alone
        setLocus(panels_[static_cast<size_t>(k)].locus);
        return;
    }
    press_panel_ = k < 0 ? focus_ : k;  // a drag from the label column pans the focused panel
    if (press_panel_ != focus_) {
        focus_ = press_panel_;
        emit locusChanged(locus());  // the focused panel is the one "the locus" means
    }
    press_locus_ = locus();
    selecting_ = y < rulerHeight() && k >= 0;
    marking_ = selecting_ && (e->modifiers() & Qt::ShiftModifier);
    dragging_ = !selecting_;
    update();  // the focused panel's name is bold
}

void GenomeView::mouseMoveEvent(QMouseEvent* e) {
    current_x_ = static_cast<int>(e->position().x());
    if (dragging_) {
        const Columns c = columns(size())[static_cast<size_t>(press_panel_)];
        const double bases_per_px =
            static_cast<double>(press_locus_.width()) / std::max(1, c.second - c.first);
        movePanel(
            press_panel_,
            pan(press_locus_,
                static_cast<std::int64_t>(std::llround((press_x_ - current_x_) * bases_per_px)),
                fasta_->length(press_locus_.contig)));
    } else if (selecting_) {
        update();
    }
}

void GenomeView::mouseReleaseEvent(QMouseEvent* e) {
    if (selecting_) {
        selecting_ = false;
        const Columns c = columns(size())[static_cast<size_t>(press_panel_)];
        const Locus& l = panels_[static_cast<size_t>(press_panel_)].locus;
        const int release_x = std::clamp(static_cast<int>(e->position().x()), c.first, c.second);
        const double a = baseAt(std::min(press_x_, release_x), c, l);
        const double b = baseAt(std::max(press_x_, release_x), c, l);
        const Locus chosen{l.contig, static_cast<std::int64_t>(std::floor(a)),
                           static_cast<std::int64_t>(std::ceil(b))};
        if (marking_ && chosen.width() >= 1)
            emit regionSelected(chosen);
        else if (!marking_ && std::abs(release_x - press_x_) < 3)  // a click: centre there
            movePanel(press_panel_,
                      centre_at(l.contig, chosen.beg, l.width(), fasta_->length(l.contig)));
        else if (!marking_ && b - a >= 2)
            movePanel(press_panel_, chosen);
        marking_ = false;
        update();
    }
    dragging_ = false;
}

void GenomeView::mouseDoubleClickEvent(QMouseEvent* e) {
    // As IGV: a double click on the tracks centres the view there and zooms in twofold.
    const int k = panelAt(static_cast<int>(e->position().x()), size());
    if (e->button() != Qt::LeftButton || !fasta_ || k < 0 || e->position().y() < rulerHeight())
        return;
    const Locus& l = panels_[static_cast<size_t>(k)].locus;
    const auto base = static_cast<std::int64_t>(
        std::floor(baseAt(e->position().x(), columns(size())[static_cast<size_t>(k)], l)));
    const std::int64_t len = fasta_->length(l.contig);
    movePanel(k, zoom(centre_at(l.contig, base, l.width(), len), 0.5, 0.5, len));
}

void GenomeView::wheelEvent(QWheelEvent* e) {
    const int k = panelAt(static_cast<int>(e->position().x()), size());
    if (!(e->modifiers() & Qt::ControlModifier) || k < 0) {
        e->ignore();  // plain wheel scrolls the track list
        return;
    }
    const Columns c = columns(size())[static_cast<size_t>(k)];
    const double anchor =
        std::clamp((e->position().x() - c.first) / std::max(1, c.second - c.first), 0.0, 1.0);
    focus_ = k;
    zoomBy(e->angleDelta().y() > 0 ? 0.5 : 2.0, anchor);
}

void GenomeView::keyPressEvent(QKeyEvent* e) {
    switch (e->key()) {
        case Qt::Key_Left:
            panBy(-0.2);
            break;
        case Qt::Key_Right:
            panBy(0.2);
            break;
        case Qt::Key_Plus:
        case Qt::Key_Equal:
            zoomBy(0.5);
            break;
        case Qt::Key_Minus:
            zoomBy(2.0);
            break;
        case Qt::Key_Home:
            if (fasta_)
                movePanel(focus_, pan(locus(), -locus().beg, fasta_->length(locus().contig)));
            break;
        case Qt::Key_End:
            if (fasta_)
                movePanel(focus_, pan(locus(), fasta_->length(locus().contig),
                                      fasta_->length(locus().contig)));
            break;
        default:
            QWidget::keyPressEvent(e);
    }
}

}  // namespace dnassm::gui
