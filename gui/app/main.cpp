// dnassm-gui: the desktop explorer. `dnassm-gui [FILES...] [--session S.json] [--locus L]`
// opens interactively; `--snapshot OUT.png|svg` renders without interaction (figures, tests).
#include <QApplication>
#include <QCommandLineParser>
#include <cstdio>
#include <string>
#include <vector>

#include <htslib/hts_log.h>

#include "dnassm/allocator.h"

#include "main_window.h"

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
    int qt_argc = argc;
    QApplication app(qt_argc, args.data());
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
    QCommandLineOption locus({"l", "locus"}, "go to a locus (chr:start-end, 12k, 1.5M)", "LOCUS");
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
