#include "genome_view.h"

#include <QContextMenuEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "genome_view_layout.h"
#include "model/track_summary.h"
#include "tooltip.h"

namespace dnassm::gui {

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
