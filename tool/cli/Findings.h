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
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace threadleak {

struct SourceLocation {
  std::string Path; ///< Absolute and normalised; empty if none.
  unsigned Offset = 0;
  unsigned Line = 0; ///< 1-based; 0 if the file could not be read.
  unsigned Column = 0;
};

/// A byte range of a file that a diagnostic highlights (clang's `~~~`).
struct SourceRange {
  std::string Path; ///< Absolute and normalised.
  unsigned Offset = 0;
  unsigned Length = 0;
};

/// One edit of a fix-it: replace Length bytes at Offset of Path by Text
/// (an insertion when Length is 0), as tooling::Replacement.
struct Replacement {
  std::string Path; ///< Absolute and normalised.
  unsigned Offset = 0;
  unsigned Length = 0;
  std::string Text;

  friend bool operator==(const Replacement &A, const Replacement &B) {
    return A.Path == B.Path && A.Offset == B.Offset && A.Length == B.Length &&
           A.Text == B.Text;
  }
};

struct Note {
  SourceLocation Loc;
  std::string Message;
  std::vector<SourceRange> Ranges;
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
  /// What the check highlights besides the location.
  std::vector<SourceRange> Ranges;
  /// The check's fix-it (clang-tidy's FixItHints on the warning itself, not
  /// on its notes), sorted by file and offset; empty if it has none.
  /// Compiler diagnostics carry none: like clang-tidy without --fix-errors,
  /// threadleak does not apply the compiler's own fix-its.
  std::vector<Replacement> Fixes;
  /// The compile command's directory (clang-tidy's BuildDirectory).
  std::string BuildDirectory;
  /// A warning turned into an error by --warnings-as-errors (or the
  /// configuration's WarningsAsErrors): printed `[check,-warnings-as-errors]`
  /// as clang-tidy does, and it fails even a --fail-on=none run.
  bool WarningAsError = false;

  /// A compiler diagnostic, not a finding of a check.
  bool isCompilerDiagnostic() const {
    return llvm::StringRef(Check).starts_with("clang-diagnostic-");
  }
  /// An invalid option value reported by clang-tidy's configuration code.
  bool isConfigurationError() const { return Check == "clang-tidy-config"; }
};

/// llvm::json::parse, after checking that \p Text does not nest deeper than
/// the parser's recursion can take (see model/InputLimits.h).
llvm::Expected<llvm::json::Value> parseJSONInput(llvm::StringRef Text);

/// The bounds of model/InputLimits.h, for the CLI's readers: where \p Text
/// nests too deeply (line, column), the message that says so, and a reader
/// of regular files of bounded size.
std::optional<std::pair<unsigned, unsigned>>
findExcessiveNesting(llvm::StringRef Text);
std::string nestingMessage();
llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(llvm::StringRef Path);
std::string inputFileError(std::error_code EC);

/// Reads source files once and maps offsets to lines and columns.
class SourceCache {
public:
  /// Fills Line/Column of \p Loc from Path/Offset.
  void resolve(SourceLocation &Loc);
  /// The text of line \p Line of \p Path, without its newline.
  llvm::StringRef lineText(llvm::StringRef Path, unsigned Line);

  /// The text of the line without whitespace (what fingerprints hash),
  /// computed once per line; a line longer than MaxNormalizedLine is its
  /// beginning and a hash of the whole.
  const std::string &normalizedLine(llvm::StringRef Path, unsigned Line);

private:
  struct File {
    std::unique_ptr<llvm::MemoryBuffer> Buffer;
    std::vector<unsigned> LineStarts;
  };
  const File *load(llvm::StringRef Path);
  llvm::StringMap<File> Files;
  std::map<std::pair<std::string, unsigned>, std::string> Normalized;
};

/// Bounds on what a finding stores and prints of its source line, so that a
/// report grows with the number of findings, not with findings times the
/// length of a (minified, generated) line.
constexpr size_t MaxNormalizedLine = 256;
constexpr size_t MaxExcerptBytes = 240;

/// The part of a source line printed under a diagnostic, and the caret's
/// indentation: the whole line if short, else a window around \p Column
/// with "..." where it is cut.
struct Excerpt {
  std::string Text;
  std::string Caret;
};
Excerpt excerptAround(llvm::StringRef Line, unsigned Column);

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

/// What travels from a worker to the parent (and into the findings cache)
/// besides the report's fields: ranges, fix-its and the build directory.
/// Not part of the JSON report, whose format stays as documented.
void addTransportFields(const Finding &F, llvm::json::Object &O);
bool readTransportFields(const llvm::json::Object &O, Finding &F);

/// How printText renders: colours (as clang: bold locations and messages,
/// magenta warnings, red errors, black notes, green carets and ranges) and
/// what follows a finding.
struct TextStyle {
  bool Color = false;
  /// After each finding of a threadleak check, `help: <how to fix>; see
  /// <docs URL>` (off with --quiet).
  bool Help = false;
  std::string DocsBaseUrl;
};

/// Prints like clang and clang-tidy: `file:line:col: warning: msg [check]`,
/// the source line and a caret; then each note the same way.
void printText(const Finding &F, SourceCache &Cache, llvm::raw_ostream &OS,
               const TextStyle &Style = TextStyle());

/// After a finding of a threadleak check: `help: <how to fix>; see <url>`
/// (if Style.Help).
void printHelp(const Finding &F, llvm::raw_ostream &OS,
               const TextStyle &Style);

/// A note at \p Loc printed like printText's notes (with --fix:
/// "FIX-IT applied suggested code changes").
void printNote(const SourceLocation &Loc, llvm::StringRef Message,
               SourceCache &Cache, llvm::raw_ostream &OS,
               const TextStyle &Style = TextStyle());

/// How to fix a threadleak check's finding, in one sentence; empty for
/// anything else.
llvm::StringRef checkHelp(llvm::StringRef Check);

} // namespace threadleak

#endif
