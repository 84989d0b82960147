// dnassm-gui: the desktop explorer. `dnassm-gui [FILES...] [--session S.json] [--locus L]`
// opens interactively; `--snapshot OUT.png|svg` renders without interaction (figures, tests).
#include <QApplication>
#include <QCommandLineParser>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <htslib/hts_log.h>

#include "dnassm/allocator.h"

#include "main_window.h"

namespace {

// Without a usable display Qt aborts (SIGABRT, a core dump) while creating the application,
// after printing a paragraph. What needs no window (help, version, a snapshot) runs on the
// offscreen platform; anything else ends with one line and exit code 1.
bool needs_no_window(const std::vector<std::string>& args) {
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help" || a == "--help-all" || a == "-v" || a == "--version" ||
            a == "--snapshot" || a.rfind("--snapshot=", 0) == 0)
            return true;
    }
    return false;
}

QStringList platform_messages;  // Qt's messages while it looks for a display, kept for a failure

void report_platform_failure(QtMsgType type, const QMessageLogContext&, const QString& message) {
    if (type != QtFatalMsg) {
        platform_messages << message;
        return;
    }
    const bool no_display =
        !platform_messages.filter("could not connect to display").isEmpty() ||
        (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY") &&
         qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"));
    if (no_display)
        std::fprintf(stderr,
                     "dnassm-gui: cannot open a window: no display could be reached (DISPLAY, "
                     "WAYLAND_DISPLAY); --snapshot OUT.png renders without one\n");
    else  // the platform's own reason (a plugin not found), else the first line of Qt's
        std::fprintf(stderr, "dnassm-gui: cannot start Qt: %s\n",
                     qPrintable(platform_messages.isEmpty() ? message.section('\n', 0, 0)
                                                            : platform_messages.last()));
    std::_Exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    dnassm::configure_allocator();
    hts_set_log_level(HTS_LOG_OFF);  // every failure is reported once, in our words
    // QGuiApplication swallows "--session ID" (X11 session management); ours is a file, so it
    // is renamed before Qt sees the command line.
    std::vector<std::string> renamed(argv, argv + argc);
    std::vector<char*> args;
    for (auto& a : renamed) {
        if (a == "--session" || a == "-session") a = "--session-file";
        if (a.rfind("--session=", 0) == 0) a = "--session-file=" + a.substr(10);
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY") &&
        qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") && needs_no_window(renamed))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    int qt_argc = argc;
    qInstallMessageHandler(report_platform_failure);
    QApplication app(qt_argc, args.data());
    qInstallMessageHandler(nullptr);
    QApplication::setOrganizationName("dnassm");
    QApplication::setApplicationName("dnassm-gui");
    QApplication::setApplicationVersion(DNASSM_VERSION);
    QCommandLineParser cli;
    cli.setApplicationDescription(
        "dnassm explorer: sequences, alignments, tracks and model predictions");
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addPositionalArgument(
        "files", "FASTA, BAM/CRAM, BED, bigWig/bedGraph, model folders or a session .json");
    QCommandLineOption session({"s", "session-file"}, "open a session file (also --session)",
                               "S.json");
    QCommandLineOption locus(
        {"l", "locus"},
        "go to a locus (chr:start-end, 12k, 1.5M, a feature name); several, space-separated, "
        "side by side",
        "LOCUS");
    QCommandLineOption snapshot("snapshot", "render to an image (PNG or SVG) and exit", "OUT");
    QCommandLineOption size("size", "window or snapshot size", "WxH", "1280x800");
    cli.addOptions({session, locus, snapshot, size});
    cli.process(app);

    const QStringList wh = cli.value(size).split('x');
    const QSize sz(wh.value(0).toInt(), wh.value(1).toInt());
    if (wh.size() != 2 || sz.width() < 200 || sz.height() < 200) {
        std::fprintf(stderr, "dnassm-gui: --size: expected WxH of at least 200x200, got '%s'\n",
                     qPrintable(cli.value(size)));
        return 2;
    }
    const bool batch = cli.isSet(snapshot);
    dnassm::gui::MainWindow window;
    try {
        for (const QString& f : cli.positionalArguments()) window.openAny(f);
        if (cli.isSet(session)) window.loadSession(cli.value(session), batch);
        if (cli.isSet(locus) && !window.goTo(cli.value(locus))) {
            std::fprintf(stderr, "dnassm-gui: %s\n", qPrintable(window.lastError()));
            return 2;
        }
        if (batch) {
            window.exportImage(cli.value(snapshot), sz);
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dnassm-gui: %s\n", e.what());
        return 1;
    }
    window.resize(sz);
    window.show();
    return QApplication::exec();
}
