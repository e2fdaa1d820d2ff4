//===--- Runner.h - analyse one translation unit --------------------------===//

#ifndef THREADLEAK_CLI_RUNNER_H
#define THREADLEAK_CLI_RUNNER_H

#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "clang-tidy/ClangTidyOptions.h"
#include "clang/Tooling/CompilationDatabase.h"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace threadleak {

/// Everything a run needs to configure each translation unit the same way.
struct RunConfig {
  /// Defaults for every file: threadleak's checks, header filter.
  clang::tidy::ClangTidyOptions Defaults;
  /// From --config-file / --config, replacing the .clang-tidy search.
  std::optional<clang::tidy::ClangTidyOptions> ConfigOptions;
  /// From the command line; applied last.
  clang::tidy::ClangTidyOptions Overrides;
  /// Passed as -resource-dir unless the compile command has one.
  std::string ResourceDir;
  /// Arguments removed from every compile command: --removed-arg, and the
  /// arguments clang's driver does not know (GCC's -fconcepts, say), found
  /// by unknownDriverArguments.
  std::vector<std::string> RemovedArgs;
};

/// The arguments of \p Command that clang's driver does not know (GCC-only
/// flags such as -fconcepts or -flifetime-dse=1): with them clang refuses
/// to compile, so they are dropped, as clangd drops them. None for a
/// clang-cl command line.
std::vector<std::string>
unknownDriverArguments(const clang::tooling::CompileCommand &Command);

struct TUResult {
  std::string File;
  std::vector<clang::tidy::ClangTidyError> Diagnostics;
  /// The compiler reported errors: the AST may be incomplete.
  bool CompileFailed = false;
  /// The file could not be processed at all (no command, I/O error).
  std::string ToolError;
  /// Every file the compiler read, system headers included: what a cached
  /// result depends on.
  std::vector<std::string> Dependencies;
  double Seconds = 0;
  /// Diagnostics hidden by NOLINT comments.
  unsigned SuppressedByNolint = 0;
  /// Cross-TU, first pass: the summaries of the functions the unit defines
  /// (JSON text by identity), and the functions it asked about.
  std::map<std::string, std::string> Summaries;
  std::vector<std::string> Asked, Wanted;
};

/// How a unit takes part in the cross-TU analysis (engine/CrossTU.h).
struct CrossTUMode {
  /// First pass: record the unit's summaries and what it asks for.
  bool Record = false;
  /// Second pass: the summaries of other units it may read, (identity,
  /// JSON text).
  const std::vector<std::pair<std::string, std::string>> *Read = nullptr;
};

/// Runs the enabled checks on \p File. Changes the working directory: run it
/// in a process of its own (see Workers.h).
TUResult analyzeTranslationUnit(const std::string &File,
                                const clang::tooling::CompilationDatabase &DB,
                                const RunConfig &Config,
                                CrossTUMode CrossTU = {});

/// The effective configuration for \p File as YAML, every option of the
/// enabled checks included (--dump-config).
/// A --config-file may hold threadleak's `Model` next to clang-tidy's keys.
struct ConfigFileParts {
  std::string Tidy;       ///< clang-tidy's part, other lines blanked
  bool HasModel = false;  ///< it has a `Model`
  std::string ModelError; ///< "<file>:<line>:<col>: <message>", or empty
};
ConfigFileParts splitConfigFile(llvm::StringRef Text, llvm::StringRef Name);

/// The check option that names the model file (threadleak.ConfigFile).
llvm::StringRef modelFileOption();

/// "invalid HeaderFilterRegex '<regex>' in <Origin>: <why>" if \p Options
/// has an invalid HeaderFilterRegex or ExcludeHeaderFilterRegex.
std::optional<std::string>
invalidFilterRegex(const clang::tidy::ClangTidyOptions &Options,
                   llvm::StringRef Origin);

std::string dumpConfig(const RunConfig &Config, llvm::StringRef File);

/// Where clang's builtin headers are: $THREADLEAK_RESOURCE_DIR, the directory
/// the CLI was configured with, or next to the executable. Empty if none
/// exists.
std::string findResourceDir(const char *Argv0);

} // namespace threadleak

#endif
