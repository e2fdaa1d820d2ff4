//===--- PluginMain.cpp - threadleak as a clang-tidy plugin ---------------===//
//
// The checks and their module registration come from the shared checks
// objects. This file adds the one thing only a plugin needs: refusing to run
// inside a clang-tidy built from another Clang than the one the plugin was
// compiled against, whose classes may have a different layout.
//
//===----------------------------------------------------------------------===//

#include "VersionCheck.h"
#include "clang/Basic/Version.h"
#include <cstdio>
#include <cstdlib>

namespace {

struct HostVersionGuard {
  HostVersionGuard() {
    // Resolved in the host process: this is the loading clang-tidy's version.
    std::string Host = clang::getClangFullVersion();
    // Lets the test suite impersonate another host.
    if (const char *Pretend = std::getenv("THREADLEAK_TEST_HOST_CLANG_VERSION"))
      Host = Pretend;
    if (threadleak::parseClangMajor(Host) == CLANG_VERSION_MAJOR)
      return;
    std::fprintf(stderr,
                 "threadleak: error: this plugin was built for clang-tidy %s "
                 "but was loaded into '%s'; rebuild threadleak against this "
                 "clang-tidy (cmake -DClang_DIR=...) or use the clang-tidy "
                 "%d it was built for\n",
                 CLANG_VERSION_STRING, Host.c_str(), CLANG_VERSION_MAJOR);
    std::fflush(stderr);
    std::_Exit(2);
  }
} Guard;

} // namespace
