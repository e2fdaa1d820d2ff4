//===--- Reports.cpp ------------------------------------------------------===//

#include "Reports.h"
#include "CheckRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <map>

namespace threadleak {

using clang::tidy::threadleak::allChecks;

void writeJSON(const std::vector<Finding> &Findings, const ReportContext &Ctx,
               llvm::raw_ostream &OS) {
  llvm::json::Array A;
  for (const Finding &F : Findings)
    A.push_back(toJSON(F, Ctx.ProjectRoot));
  for (const TUOutcome &O : Ctx.Failures) {
    Finding F;
    F.Check = FailureCheck;
    F.Level = "error";
    F.Message = O.Detail;
    F.Loc.Path = O.File;
    A.push_back(toJSON(F, Ctx.ProjectRoot));
  }
  OS << llvm::formatv("{0:2}", llvm::json::Value(std::move(A))) << "\n";
}

llvm::Expected<JSONReport> readJSONReport(llvm::StringRef Path,
                                          llvm::StringRef Root) {
  auto Fail = [&](const llvm::Twine &Why) {
    return llvm::createStringError(std::errc::invalid_argument,
                                   "%s: %s", Path.str().c_str(),
                                   Why.str().c_str());
  };
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  if (!Buf)
    return Fail("cannot read: " + Buf.getError().message());
  return parseJSONReport((*Buf)->getBuffer(), Path, Root);
}

llvm::Expected<JSONReport> parseJSONReport(llvm::StringRef Text,
                                           llvm::StringRef Path,
                                           llvm::StringRef Root) {
  auto Fail = [&](const llvm::Twine &Why) {
    return llvm::createStringError(std::errc::invalid_argument,
                                   "%s: %s", Path.str().c_str(),
                                   Why.str().c_str());
  };
  llvm::Expected<llvm::json::Value> V = parseJSONInput(Text);
  if (!V)
    return Fail(llvm::toString(V.takeError()));
  const llvm::json::Array *A = V->getAsArray();
  if (!A)
    return Fail("expected a JSON array of findings (threadleak --format=json)");
  JSONReport Result;
  for (size_t I = 0; I < A->size(); ++I) {
    Finding F;
    llvm::json::Path::Root R;
    if (!fromJSON((*A)[I], F, R))
      return Fail("finding " + llvm::Twine(I) + " is malformed");
    auto Absolute = [&](std::string &P) {
      if (!P.empty() && !llvm::sys::path::is_absolute(P) && !Root.empty())
        P = (Root + "/" + P).str();
    };
    Absolute(F.Loc.Path);
    for (Note &N : F.Notes)
      Absolute(N.Loc.Path);
    if (F.Check == FailureCheck) {
      TUOutcome O;
      O.Status = TUOutcome::NotRun;
      O.File = F.Loc.Path;
      O.Detail = F.Message;
      Result.Failures.push_back(std::move(O));
      continue;
    }
    Result.Findings.push_back(std::move(F));
  }
  return Result;
}

namespace {

std::string fileUri(llvm::StringRef AbsolutePath) {
  std::string U = "file://";
  for (char C : AbsolutePath) {
    if (llvm::isAlnum(C) || llvm::StringRef("/-._~").contains(C))
      U += C;
    else
      U += llvm::formatv("%{0:X-2}", (unsigned char)C).str();
  }
  return U;
}

/// A repo-relative URI (percent-encoded) under %SRCROOT%, or an absolute
/// file URI for files outside the project.
llvm::json::Object artifactLocation(llvm::StringRef Path,
                                    llvm::StringRef Root) {
  std::string Rel = relativeTo(Path, Root);
  if (Rel == Path.str())
    return llvm::json::Object{{"uri", fileUri(Path)}};
  std::string Uri;
  for (char C : Rel) {
    if (llvm::isAlnum(C) || llvm::StringRef("/-._~").contains(C))
      Uri += C;
    else
      Uri += llvm::formatv("%{0:X-2}", (unsigned char)C).str();
  }
  return llvm::json::Object{{"uri", Uri}, {"uriBaseId", "%SRCROOT%"}};
}

/// Clang's columns count bytes; SARIF's count UTF-16 code units.
unsigned utf16Column(llvm::StringRef Line, unsigned ByteColumn) {
  unsigned Units = 0;
  for (size_t I = 0; I + 1 < ByteColumn && I < Line.size();) {
    unsigned char C = Line[I];
    size_t Len = C < 0x80 ? 1 : C >= 0xF0 ? 4 : C >= 0xE0 ? 3 : C >= 0xC0 ? 2 : 1;
    Units += Len == 4 ? 2 : 1; // Outside the BMP: a surrogate pair.
    I += Len;
  }
  return Units + 1;
}

SourceCache SarifSources;

llvm::json::Object physicalLocation(const SourceLocation &L,
                                    llvm::StringRef Root) {
  llvm::json::Object P{{"artifactLocation", artifactLocation(L.Path, Root)}};
  if (L.Line)
    P["region"] = llvm::json::Object{
        {"startLine", L.Line},
        {"startColumn",
         utf16Column(SarifSources.lineText(L.Path, L.Line), L.Column)}};
  return P;
}

/// Where a note stands on the path, from its message: the channel's
/// creation, the spawn, the calls into the body, anything else.
unsigned causalRank(llvm::StringRef Message) {
  if (Message.contains(" created here") || Message.contains(" declared here"))
    return 0;
  if (Message.contains(" started here"))
    return 1;
  if (Message.contains("'s body calls ") || Message.starts_with("which calls ") ||
      Message.starts_with("the loop calls ") || Message.ends_with(" is called here"))
    return 2;
  return 3;
}

std::vector<size_t> causalOrder(const std::vector<Note> &Notes) {
  std::vector<size_t> Order(Notes.size());
  for (size_t I = 0; I < Order.size(); ++I)
    Order[I] = I;
  std::stable_sort(Order.begin(), Order.end(), [&](size_t A, size_t B) {
    return causalRank(Notes[A].Message) < causalRank(Notes[B].Message);
  });
  return Order;
}

} // namespace

void writeSarif(const std::vector<Finding> &Findings, const ReportContext &Ctx,
                llvm::raw_ostream &OS) {
  // Rules: every threadleak check, then whatever else produced a result.
  llvm::json::Array Rules;
  std::map<std::string, unsigned> RuleIndex;
  for (const auto &C : allChecks()) {
    RuleIndex[C.Name.str()] = Rules.size();
    std::string Url = Ctx.DocsBaseUrl + C.Name.str() + ".md";
    std::string Fix = checkHelp(C.Name).str();
    // What code scanning shows under an alert: the why and the fix.
    std::string Markdown =
        "**" + C.Summary.str() + "**\n\n" + C.Description.str() + "\n\n";
    if (!Fix.empty())
      Markdown += "**How to fix:** " + Fix + ".\n\n";
    Markdown += "See [" + C.Name.str() + "](" + Url + ").";
    Rules.push_back(llvm::json::Object{
        {"id", C.Name},
        {"name", C.Name},
        {"shortDescription", llvm::json::Object{{"text", C.Summary}}},
        {"fullDescription", llvm::json::Object{{"text", C.Description}}},
        {"help", llvm::json::Object{{"text", C.Description.str() + " See " + Url},
                                    {"markdown", Markdown}}},
        {"helpUri", Url},
        {"defaultConfiguration", llvm::json::Object{{"level", "warning"}}},
        // Code scanning's filters: the kind of problem and how often a
        // finding is right (the checks favour silence over guesses).
        {"properties",
         llvm::json::Object{
             {"tags", llvm::json::Array{"concurrency", "reliability", "threadleak"}},
             {"precision", "high"},
             {"problem.severity", "warning"}}}});
  }
  llvm::json::Array Results;
  for (const Finding &F : Findings) {
    if (F.isCompilerDiagnostic())
      continue; // Reported as tool execution notifications.
    if (!RuleIndex.count(F.Check)) {
      RuleIndex[F.Check] = Rules.size();
      Rules.push_back(llvm::json::Object{
          {"id", F.Check},
          {"shortDescription", llvm::json::Object{{"text", F.Check}}}});
    }
    llvm::json::Object R{
        {"ruleId", F.Check},
        {"ruleIndex", RuleIndex[F.Check]},
        {"level", F.Level == "error" ? "error" : "warning"},
        {"message", llvm::json::Object{{"text", F.Message}}},
        {"locations",
         llvm::json::Array{llvm::json::Object{
             {"physicalLocation", physicalLocation(F.Loc, Ctx.ProjectRoot)}}}},
        // GitHub matches alerts across commits on primaryLocationLineHash
        // alone; the fingerprint (content-based, so it survives edits
        // elsewhere and reindentation, as the baseline does) is that.
        {"partialFingerprints",
         llvm::json::Object{{"primaryLocationLineHash", F.Fingerprint + ":1"},
                            {"threadleakFingerprint/v1", F.Fingerprint}}}};
    if (!F.Notes.empty()) {
      llvm::json::Array Related, Flow;
      unsigned Id = 1;
      for (const Note &N : F.Notes)
        Related.push_back(llvm::json::Object{
            {"id", Id++},
            {"physicalLocation", physicalLocation(N.Loc, Ctx.ProjectRoot)},
            {"message", llvm::json::Object{{"text", N.Message}}}});
      // The code flow in causal order: what the context waits on is
      // created, the context started, the calls into its body, then the
      // rest of the path (the early return, the write), ending where the
      // finding is reported.
      for (size_t I : causalOrder(F.Notes))
        Flow.push_back(llvm::json::Object{
            {"location",
             llvm::json::Object{
                 {"physicalLocation",
                  physicalLocation(F.Notes[I].Loc, Ctx.ProjectRoot)},
                 {"message", llvm::json::Object{{"text", F.Notes[I].Message}}}}}});
      // The path ends where the finding is reported.
      Flow.push_back(llvm::json::Object{
          {"location",
           llvm::json::Object{
               {"physicalLocation", physicalLocation(F.Loc, Ctx.ProjectRoot)},
               {"message", llvm::json::Object{{"text", F.Message}}}}}});
      R["relatedLocations"] = std::move(Related);
      R["codeFlows"] = llvm::json::Array{llvm::json::Object{
          {"threadFlows",
           llvm::json::Array{llvm::json::Object{{"locations", std::move(Flow)}}}}}};
    }
    Results.push_back(std::move(R));
  }

  llvm::json::Array Notifications;
  for (const TUOutcome &O : Ctx.Failures)
    Notifications.push_back(llvm::json::Object{
        {"level", "error"},
        {"message", llvm::json::Object{{"text", O.Detail}}},
        {"locations",
         llvm::json::Array{llvm::json::Object{
             {"physicalLocation",
              llvm::json::Object{{"artifactLocation",
                                  artifactLocation(O.File, Ctx.ProjectRoot)}}}}}}});
  for (const Finding &F : Findings)
    if (F.isCompilerDiagnostic() && F.Level == "error")
      Notifications.push_back(llvm::json::Object{
          {"level", "error"},
          {"message", llvm::json::Object{{"text", F.Message}}},
          {"locations",
           llvm::json::Array{llvm::json::Object{
               {"physicalLocation", physicalLocation(F.Loc, Ctx.ProjectRoot)}}}}});

  std::string RootUri = fileUri(Ctx.ProjectRoot);
  if (!llvm::StringRef(RootUri).ends_with("/"))
    RootUri += "/";
  llvm::json::Object Run{
      {"tool",
       llvm::json::Object{
           {"driver",
            llvm::json::Object{{"name", "threadleak"},
                               {"version", THREADLEAK_VERSION},
                               {"semanticVersion", THREADLEAK_VERSION},
                               {"informationUri", Ctx.DocsBaseUrl},
                               {"rules", std::move(Rules)}}}}},
      {"originalUriBaseIds",
       llvm::json::Object{{"%SRCROOT%", llvm::json::Object{{"uri", RootUri}}}}},
      {"invocations",
       llvm::json::Array{llvm::json::Object{
           {"executionSuccessful", Ctx.Failures.empty()},
           {"toolExecutionNotifications", std::move(Notifications)}}}},
      {"columnKind", "utf16CodeUnits"},
      {"results", std::move(Results)}};
  if (!Ctx.AutomationId.empty())
    Run["automationDetails"] = llvm::json::Object{{"id", Ctx.AutomationId}};
  llvm::json::Object Log{
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", llvm::json::Array{std::move(Run)}}};
  OS << llvm::formatv("{0:2}", llvm::json::Value(std::move(Log))) << "\n";
}

} // namespace threadleak
