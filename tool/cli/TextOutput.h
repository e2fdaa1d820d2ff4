//===--- TextOutput.h - clang-style diagnostics ---------------------------===//

#ifndef THREADLEAK_CLI_TEXTOUTPUT_H
#define THREADLEAK_CLI_TEXTOUTPUT_H

#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>
#include <vector>

namespace threadleak {

/// Prints findings the way clang and clang-tidy do:
///   file:line:col: warning: message [check-name]
///   <source line>
///   <caret>
/// followed by the notes, each with its own location and snippet.
class TextPrinter {
public:
  explicit TextPrinter(llvm::raw_ostream &OS) : OS(OS) {}
  void print(const clang::tidy::ClangTidyError &Error);

private:
  struct SourceFile {
    std::unique_ptr<llvm::MemoryBuffer> Buffer;
    std::vector<unsigned> LineStarts;
  };
  void printMessage(const clang::tooling::DiagnosticMessage &Message,
                    llvm::StringRef Level, llvm::StringRef Suffix,
                    llvm::StringRef BuildDirectory);
  const SourceFile *load(llvm::StringRef Path);

  llvm::raw_ostream &OS;
  llvm::StringMap<SourceFile> Files;
};

/// The absolute, normalised path of a diagnostic's file.
std::string diagnosticPath(llvm::StringRef FilePath,
                           llvm::StringRef BuildDirectory);

} // namespace threadleak

#endif
