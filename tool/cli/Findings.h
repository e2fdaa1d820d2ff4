//===--- Findings.h - what a run found, independent of clang-tidy ---------===//
//
// The CLI's model of a result: where, which check, what, the notes along the
// path, and a content fingerprint that survives unrelated edits above the
// finding and reindentation (like CodeChecker's context-free hashes). Every
// output format (text, JSON, SARIF) and the baseline are built from it, and
// worker processes hand it to the parent as JSON.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_CLI_FINDINGS_H
#define THREADLEAK_CLI_FINDINGS_H

#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>
#include <string>
#include <vector>

namespace threadleak {

struct SourceLocation {
  std::string Path; ///< Absolute and normalised; empty if none.
  unsigned Offset = 0;
  unsigned Line = 0; ///< 1-based; 0 if the file could not be read.
  unsigned Column = 0;
};

struct Note {
  SourceLocation Loc;
  std::string Message;
};

struct Finding {
  std::string Check; ///< "threadleak-…", or "clang-diagnostic-error", …
  std::string Level; ///< "warning" or "error".
  std::string Message;
  SourceLocation Loc;
  std::vector<Note> Notes;
  /// The finding's source line with all whitespace removed: the content the
  /// fingerprint is computed from.
  std::string LineContent;
  /// The notes' lines, normalised the same way, one per line.
  std::string PathContent;
  std::string Fingerprint;

  /// A compiler diagnostic, not a finding of a check.
  bool isCompilerDiagnostic() const {
    return llvm::StringRef(Check).starts_with("clang-diagnostic-");
  }
  /// An invalid option value reported by clang-tidy's configuration code.
  bool isConfigurationError() const { return Check == "clang-tidy-config"; }
};

/// Reads source files once and maps offsets to lines and columns.
class SourceCache {
public:
  /// Fills Line/Column of \p Loc from Path/Offset.
  void resolve(SourceLocation &Loc);
  /// The text of line \p Line of \p Path, without its newline.
  llvm::StringRef lineText(llvm::StringRef Path, unsigned Line);

private:
  struct File {
    std::unique_ptr<llvm::MemoryBuffer> Buffer;
    std::vector<unsigned> LineStarts;
  };
  const File *load(llvm::StringRef Path);
  llvm::StringMap<File> Files;
};

/// The absolute, normalised path of a diagnostic's file.
std::string diagnosticPath(llvm::StringRef FilePath,
                           llvm::StringRef BuildDirectory);

/// Converts clang-tidy's diagnostic; the fingerprint is set later, by
/// assignFingerprints, once every finding of the run is known.
Finding toFinding(const clang::tidy::ClangTidyError &Error, SourceCache &Cache);

/// \p Path relative to \p Root when it lies under it, else unchanged.
std::string relativeTo(llvm::StringRef Path, llvm::StringRef Root);

/// Sorts by location, check and message, drops duplicates (a header's
/// finding seen from several TUs), and computes fingerprints:
/// hash(check, path relative to \p Root, message, the line's content without
/// whitespace, the notes' lines likewise, and the index among identical
/// findings in that file).
void finalizeFindings(std::vector<Finding> &Findings, llvm::StringRef Root);

llvm::json::Value toJSON(const Finding &F, llvm::StringRef Root);
llvm::json::Value toJSON(const SourceLocation &L, llvm::StringRef Root);
/// Reads what toJSON wrote with an empty root (absolute paths).
bool fromJSON(const llvm::json::Value &V, Finding &F, llvm::json::Path P);

/// Prints like clang and clang-tidy: `file:line:col: warning: msg [check]`,
/// the source line and a caret; then each note the same way.
void printText(const Finding &F, SourceCache &Cache, llvm::raw_ostream &OS);

} // namespace threadleak

#endif
