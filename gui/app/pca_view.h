// Scatter of the pooled-window embeddings on their first two principal components; windows in
// the visible range are highlighted, and a click navigates to the nearest window.
#pragma once

#include <QWidget>
#include <memory>

#include "model/model_run.h"

namespace dnassm::gui {

class PcaView : public QWidget {
    Q_OBJECT

  public:
    explicit PcaView(QWidget* parent = nullptr);
    void setRun(std::shared_ptr<const RunResult> run);
    void setVisibleLocus(const Locus& l);
    void render(QPainter& p, QSize size) const;
    /// Index of the window drawn nearest to `pos` in a view of `size`; -1 when none.
    [[nodiscard]] int windowAt(QPointF pos, QSize size) const;
    [[nodiscard]] QPointF pointOf(int window, QSize size) const;
    /// The tooltip at `pos`: the window drawn there (within a few pixels), else empty.
    [[nodiscard]] QString describeAt(QPointF pos, QSize size) const;

  signals:
    void navigate(const dnassm::gui::Locus& l);

  protected:
    bool event(QEvent* e) override;  // tooltips (describeAt)
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;

  private:
    std::shared_ptr<const RunResult> run_;
    Locus visible_;
};

}  // namespace dnassm::gui
