// Tooltips the explorer's views compute from the pointer's position (GenomeView and PcaView
// describeAt): one handler for Qt's ToolTip event.
#pragma once

#include <QHelpEvent>
#include <QToolTip>
#include <QWidget>

namespace dnassm::gui {

/// For a ToolTip event, shows text_at(position) (hides the tooltip when it is empty) and returns
/// true; any other event is left to the widget (false).
template <typename TextAt>
bool show_tooltip(QWidget* widget, QEvent* e, TextAt text_at) {
    if (e->type() != QEvent::ToolTip) return false;
    const auto* help = static_cast<QHelpEvent*>(e);
    const QString text = text_at(help->pos());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(help->globalPos(), text, widget);
    return true;
}

}  // namespace dnassm::gui
