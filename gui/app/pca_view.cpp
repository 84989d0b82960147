#include "pca_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "tooltip.h"

namespace dnassm::gui {

namespace {
constexpr int kMargin = 24;
}

PcaView::PcaView(QWidget* parent) : QWidget(parent) { setMinimumSize(200, 160); }

void PcaView::setRun(std::shared_ptr<const RunResult> run) {
    run_ = std::move(run);
    update();
}

void PcaView::setVisibleLocus(const Locus& l) {
    visible_ = l;
    update();
}

QPointF PcaView::pointOf(int w, QSize size) const {
    const auto& xy = run_->window_xy;
    float x0 = xy[0], x1 = xy[0], y0 = xy[1], y1 = xy[1];
    for (size_t i = 0; i + 1 < xy.size(); i += 2) {
        x0 = std::min(x0, xy[i]);
        x1 = std::max(x1, xy[i]);
        y0 = std::min(y0, xy[i + 1]);
        y1 = std::max(y1, xy[i + 1]);
    }
    const double fx = x1 > x0 ? (xy[static_cast<size_t>(2 * w)] - x0) / (x1 - x0) : 0.5;
    const double fy = y1 > y0 ? (xy[static_cast<size_t>(2 * w + 1)] - y0) / (y1 - y0) : 0.5;
    return {kMargin + fx * (size.width() - 2 * kMargin),
            size.height() - kMargin - fy * (size.height() - 2 * kMargin)};
}

int PcaView::windowAt(QPointF pos, QSize size) const {
    if (!run_ || run_->windows.empty()) return -1;
    int best = -1;
    double best_d = 12 * 12;  // pixels
    for (int w = 0; w < static_cast<int>(run_->windows.size()); ++w) {
        const QPointF d = pointOf(w, size) - pos;
        const double d2 = d.x() * d.x() + d.y() * d.y();
        if (d2 < best_d) {
            best_d = d2;
            best = w;
        }
    }
    return best;
}

void PcaView::render(QPainter& p, QSize size) const {
    p.fillRect(QRect(QPoint(0, 0), size), Qt::white);
    p.setPen(Qt::darkGray);
    if (!run_ || run_->windows.empty()) {
        p.drawText(QRect(QPoint(0, 0), size), Qt::AlignCenter,
                   "window PCA appears after a model run");
        return;
    }
    p.drawText(QRect(0, size.height() - kMargin + 4, size.width(), kMargin - 4), Qt::AlignCenter,
               "PC1 of pooled windows");
    p.save();
    p.translate(12, size.height() / 2);
    p.rotate(-90);
    p.drawText(QRect(-size.height() / 2, -12, size.height(), 14), Qt::AlignCenter, "PC2");
    p.restore();
    p.setRenderHint(QPainter::Antialiasing);
    for (int w = 0; w < static_cast<int>(run_->windows.size()); ++w) {
        const Locus& l = run_->windows[static_cast<size_t>(w)];
        const bool shown =
            l.contig == visible_.contig && l.end > visible_.beg && l.beg < visible_.end;
        p.setPen(Qt::NoPen);
        p.setBrush(shown ? QColor(220, 60, 40) : QColor(70, 110, 180, 150));
        p.drawEllipse(pointOf(w, size), shown ? 4.0 : 3.0, shown ? 4.0 : 3.0);
    }
}

void PcaView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    render(p, size());
}

QString PcaView::describeAt(QPointF pos, QSize size) const {
    const int w = windowAt(pos, size);
    if (w < 0) return {};
    const QPointF d = pointOf(w, size) - pos;
    if (d.x() * d.x() + d.y() * d.y() > 36.0) return {};  // farther than 6 px from any point
    return QString("window %1 of %2: %3 (click to go there)")
        .arg(w + 1)
        .arg(run_->windows.size())
        .arg(QString::fromStdString(run_->windows[static_cast<size_t>(w)].label()));
}

bool PcaView::event(QEvent* e) {
    return show_tooltip(this, e, [&](QPoint pos) { return describeAt(pos, size()); }) ||
           QWidget::event(e);
}

void PcaView::mousePressEvent(QMouseEvent* e) {
    const int w = windowAt(e->position(), size());
    if (w >= 0) emit navigate(run_->windows[static_cast<size_t>(w)]);
}

}  // namespace dnassm::gui
