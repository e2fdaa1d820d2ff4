//===--- Cache.h - reuse a translation unit's findings when nothing changed -===//
//
// A run on an unchanged tree reuses each translation unit's outcome. The key
// covers what the analysis was told: the threadleak executable itself, the
// effective configuration for the file, and its compile command. The entry
// records the content hash of every file the analysis read (system headers
// included); it is reused only if each of them still has that content. So
// an entry is invalidated exactly by a change of the tool, the options, the
// flags, or any file the unit reads.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_CLI_CACHE_H
#define THREADLEAK_CLI_CACHE_H

#include "Workers.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "llvm/ADT/StringMap.h"
#include <optional>

namespace threadleak {

class FindingsCache {
public:
  /// \p ToolIdentity: what identifies this build of threadleak.
  FindingsCache(std::string Directory, std::string ToolIdentity)
      : Directory(std::move(Directory)), ToolIdentity(std::move(ToolIdentity)) {}

  /// The key of a unit analysed with \p Command under \p EffectiveConfig.
  std::string key(const clang::tooling::CompileCommand &Command,
                  llvm::StringRef EffectiveConfig) const;
  /// The key of a unit's second, cross-TU pass (\p Key: its first pass's)
  /// with the summaries \p Read of other units, (identity, summary) in
  /// identity order: a changed summary is another key.
  static std::string crossKey(
      llvm::StringRef Key,
      const std::vector<std::pair<std::string, std::string>> &Read);
  /// The stored outcome, if every file it depends on is unchanged.
  std::optional<TUOutcome> lookup(llvm::StringRef Key);
  /// Stores \p O (analysed or failed to compile; crashes and timeouts are
  /// not cached). Best effort: a cache that cannot be written is skipped.
  void store(llvm::StringRef Key, const TUOutcome &O);

  /// SHA-256 (hex) of a file's content, memoized for the run; empty if the
  /// file cannot be read.
  std::string contentHash(llvm::StringRef Path);

  /// What identifies the running executable: its own content's hash.
  static std::string executableIdentity(const char *Argv0);
  /// ${THREADLEAK_CACHE_DIR}, else ${XDG_CACHE_HOME:-$HOME/.cache}/threadleak.
  static std::string defaultDirectory();

private:
  std::string entryPath(llvm::StringRef Key) const;

  std::string Directory;
  std::string ToolIdentity;
  llvm::StringMap<std::string> Hashes;
};

} // namespace threadleak

#endif
