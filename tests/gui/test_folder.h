// Test folders for the explorer tests: one per name, under a folder of this test process's own in
// the system's temp directory (TMPDIR), removed when the process exits, so two runs of the suite
// at once never share a folder and nothing is left behind.
#pragma once

#include <QDir>
#include <QTemporaryDir>
#include <filesystem>
#include <string>

/// An empty folder named `name` (emptied if an earlier call made it).
inline std::filesystem::path test_folder(const std::string& name) {
    static QTemporaryDir root(QDir::tempPath() + "/dnassm_gui_XXXXXX");
    if (!root.isValid()) qFatal("cannot create a temp folder in %s", qPrintable(QDir::tempPath()));
    const auto d = std::filesystem::path(root.path().toStdString()) / name;
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}
