//===--- Reports.h - text, JSON and SARIF 2.1.0 reports -------------------===//

#ifndef THREADLEAK_CLI_REPORTS_H
#define THREADLEAK_CLI_REPORTS_H

#include "Findings.h"
#include "Workers.h"

namespace threadleak {

struct ReportContext {
  /// Paths are reported relative to this (SARIF: %SRCROOT%).
  std::string ProjectRoot;
  /// SARIF runs[].automationDetails.id, for several uploads per commit.
  std::string AutomationId;
  /// Base URL of the checks' docs pages (helpUri = base + name + ".md").
  std::string DocsBaseUrl;
  /// Translation units that failed (SARIF toolExecutionNotifications).
  std::vector<TUOutcome> Failures;
};

/// An array of findings: check, level, file, line, column, message, notes,
/// fingerprint. A translation unit that failed is an entry too, with check
/// FailureCheck, level "error", its file and why, so that merging shards
/// keeps the failures.
void writeJSON(const std::vector<Finding> &Findings, const ReportContext &Ctx,
               llvm::raw_ostream &OS);

/// The check name of a failed translation unit's entry in a JSON report.
inline constexpr const char FailureCheck[] = "threadleak-failure";

struct JSONReport {
  std::vector<Finding> Findings;
  std::vector<TUOutcome> Failures;
};

/// Reads a report written by writeJSON; paths are made absolute again
/// against \p Root. Errors name the file.
llvm::Expected<JSONReport> readJSONReport(llvm::StringRef Path,
                                          llvm::StringRef Root);
/// The same, from the report's \p Text (read from \p Path, for messages).
llvm::Expected<JSONReport> parseJSONReport(llvm::StringRef Text,
                                           llvm::StringRef Path,
                                           llvm::StringRef Root);

/// A SARIF 2.1.0 log with one run.
void writeSarif(const std::vector<Finding> &Findings, const ReportContext &Ctx,
                llvm::raw_ostream &OS);

} // namespace threadleak

#endif
