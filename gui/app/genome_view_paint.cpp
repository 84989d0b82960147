// GenomeView's painting: the ruler, sequence, tracks (lines, bins, features, coverage, heatmaps
// with their row tree), regions and the variant, for the widget and for snapshots alike.
#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "dnassm/error.h"
#include "dnassm/tokenizer.h"

#include "genome_view.h"
#include "genome_view_layout.h"
#include "model/track_summary.h"

namespace dnassm::gui {

namespace {

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

}  // namespace dnassm::gui
