//===--- Filters.h - which findings a run reports -------------------------===//
//
// Line filters (clang-tidy's --line-filter JSON, or the added lines of a
// unified diff) keep findings on changed lines; a baseline drops findings
// that were already there.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_CLI_FILTERS_H
#define THREADLEAK_CLI_FILTERS_H

#include "Findings.h"
#include "llvm/Support/Error.h"
#include <map>

namespace threadleak {

class LineFilter {
public:
  /// clang-tidy's format: [{"name":"file.cpp","lines":[[1,3],[5,7]]}, ...].
  /// A file without "lines" passes whole; files not named do not pass; an
  /// empty array filters nothing.
  static llvm::Expected<LineFilter> parseJSON(llvm::StringRef Text);
  /// The added or changed lines of a unified diff (`git diff -U0`): "+++"
  /// names the file (its a/ b/ prefixes dropped), "@@ ... +start,count @@"
  /// the lines. An empty diff passes no line.
  static llvm::Expected<LineFilter> parseUnifiedDiff(llvm::StringRef Text);

  /// Names match a path's trailing components, as in clang-tidy.
  bool passes(llvm::StringRef Path, unsigned Line) const;
  bool empty() const { return Files.empty(); }

private:
  struct FileLines {
    std::string Name;
    std::vector<std::pair<unsigned, unsigned>> Ranges; ///< Empty: all.
  };
  std::vector<FileLines> Files;
  bool FiltersNothing = false;
};

/// The file name of a diff's "+++ " line quoted by git, C-style
/// ("b/na\303\257ve.cpp" with its quotes): the name, unescaped; nullopt if
/// malformed.
std::optional<std::string> unquoteGitPath(llvm::StringRef Quoted);

/// Findings known when the baseline was written, by fingerprint (counted,
/// so that a second copy of a known finding is new).
class Baseline {
public:
  static llvm::Expected<Baseline> read(llvm::StringRef Path);
  /// The baseline \p Text (read from \p Path, for messages).
  static llvm::Expected<Baseline> parse(llvm::StringRef Text, llvm::StringRef Path);
  static void write(const std::vector<Finding> &Findings,
                    llvm::StringRef ProjectRoot, llvm::raw_ostream &OS);
  /// How many findings of each fingerprint it holds.
  const std::map<std::string, unsigned> &counts() const { return Counts; }
  /// Removes the findings the baseline knows; returns how many.
  unsigned subtract(std::vector<Finding> &Findings) const;

private:
  std::map<std::string, unsigned> Counts;
};

} // namespace threadleak

#endif
