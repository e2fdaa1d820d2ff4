//===--- Compat.h - the Clang versions threadleak builds against ---------===//
//
// threadleak builds from one source against LLVM/Clang 19 and 22 (the two
// majors Debian 12 packages; both are tested, see docs/user-guide.md).
// Every API difference between them is bridged here, behind
// CLANG_VERSION_MAJOR, and nowhere else: code that needs one of these
// includes this header instead of the Clang header it would otherwise name.
//
// The version boundaries are where LLVM's history moved the API; only 19
// and 22 are built and tested.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_COMPAT_H
#define THREADLEAK_COMPAT_H

#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Basic/Version.h" // CLANG_VERSION_MAJOR
#include <memory>

// ClangTidyModuleRegistry: its own header up to 21; in ClangTidyModule.h
// since 22, which deprecates the old header with a #warning.
#if CLANG_VERSION_MAJOR < 22
#include "clang-tidy/ClangTidyModuleRegistry.h"
#endif

namespace threadleak::compat {

/// A DiagnosticsEngine that reports to \p Client and is installed as
/// \p Context's engine. Up to 20 the engine shares its DiagnosticOptions
/// (IntrusiveRefCntPtr); since 21 it only refers to them and the
/// ClangTidyContext owns them (setDiagnosticsEngine takes a unique_ptr).
class TidyDiagnosticsEngine {
public:
  TidyDiagnosticsEngine(clang::tidy::ClangTidyContext &Context,
                        clang::DiagnosticConsumer *Client)
#if CLANG_VERSION_MAJOR >= 21
      : Opts(std::make_unique<clang::DiagnosticOptions>()),
        Engine(llvm::makeIntrusiveRefCnt<clang::DiagnosticIDs>(), *Opts,
               Client, /*ShouldOwnClient=*/false) {
    Context.setDiagnosticsEngine(std::move(Opts), &Engine);
  }
#else
      : Engine(llvm::makeIntrusiveRefCnt<clang::DiagnosticIDs>(),
               llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>(), Client,
               /*ShouldOwnClient=*/false) {
    Context.setDiagnosticsEngine(&Engine);
  }
#endif
  clang::DiagnosticsEngine &engine() { return Engine; }

private:
#if CLANG_VERSION_MAJOR >= 21
  std::unique_ptr<clang::DiagnosticOptions> Opts; // moved into the Context
#endif
  clang::DiagnosticsEngine Engine;
};

} // namespace threadleak::compat

#endif // THREADLEAK_COMPAT_H
