//===--- FuzzTargets.cpp --------------------------------------------------===//

#include "FuzzTargets.h"
#include "Database.h"
#include "Filters.h"
#include "Findings.h"
#include "Reports.h"
#include "Workers.h"
#include "model/ModelConfig.h"
#include "llvm/Support/JSON.h"
#include <cstdlib>
#include <map>
#include <optional>

namespace threadleak::fuzz {

void database(llvm::StringRef Input) {
  auto DB = parseCompilationDatabase(Input);
  if (!DB) {
    llvm::consumeError(DB.takeError());
    return;
  }
  for (const std::string &F : (*DB)->getAllFiles())
    (void)(*DB)->getCompileCommands(F);
  (void)(*DB)->getAllCompileCommands();
}

void model(llvm::StringRef Input) {
  namespace tl = clang::tidy::threadleak;
  (void)tl::splitConfigText(Input);
  if (auto M = tl::parseModelConfig(Input, "fuzz.yaml"); !M)
    llvm::consumeError(M.takeError());
  if (auto C = tl::parseChannelSpecs(Input, "Channels"); !C)
    llvm::consumeError(C.takeError());
  else
    (void)tl::channelSpecsToString(*C);
}

void baseline(llvm::StringRef Input) {
  auto B = Baseline::parse(Input, "fuzz.json");
  // Differential: Baseline::parse reads the findings one by one; parsed
  // whole, the same text must give the same verdict and fingerprints.
  std::optional<std::map<std::string, unsigned>> Whole;
  if (auto V = parseJSONInput(Input)) {
    const llvm::json::Object *O = V->getAsObject();
    const llvm::json::Array *A = O ? O->getArray("findings") : nullptr;
    if (O && A && O->getString("tool") == llvm::StringRef("threadleak") &&
        O->getInteger("version") == 1) {
      Whole.emplace();
      for (const llvm::json::Value &F : *A) {
        const llvm::json::Object *FO = F.getAsObject();
        auto FP = FO ? FO->getString("fingerprint") : std::nullopt;
        if (!FP) {
          Whole.reset();
          break;
        }
        ++(*Whole)[FP->str()];
      }
    }
  } else {
    llvm::consumeError(V.takeError());
  }
  if (!B) {
    llvm::consumeError(B.takeError());
    if (Whole)
      abort(); // rejected what is valid
    return;
  }
  if (!Whole || *Whole != B->counts())
    abort(); // accepted what is not, or read other fingerprints
  std::vector<Finding> None;
  (void)B->subtract(None);
}

void merge(llvm::StringRef Input) {
  auto R = parseJSONReport(Input, "fuzz.json", "/root");
  if (!R) {
    llvm::consumeError(R.takeError());
    return;
  }
  finalizeFindings(R->Findings, "/root");
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  ReportContext Ctx;
  Ctx.ProjectRoot = "/root";
  writeJSON(R->Findings, Ctx, OS);
  writeSarif(R->Findings, Ctx, OS);
}

void lineFilter(llvm::StringRef Input) {
  auto F = LineFilter::parseJSON(Input);
  if (!F) {
    llvm::consumeError(F.takeError());
    return;
  }
  (void)F->passes("/root/a.cpp", 1);
  (void)F->passes("/root/a.cpp", 4294967295u);
}

void diff(llvm::StringRef Input) {
  auto F = LineFilter::parseUnifiedDiff(Input);
  if (!F) {
    llvm::consumeError(F.takeError());
    return;
  }
  (void)F->passes("/root/a.cpp", 1);
}

void cacheEntry(llvm::StringRef Input) {
  auto V = parseJSONInput(Input);
  if (!V) {
    llvm::consumeError(V.takeError());
    return;
  }
  TUOutcome O;
  const llvm::json::Value *Outcome = V->getAsObject()
                                         ? V->getAsObject()->get("outcome")
                                         : nullptr;
  if (fromJSON(Outcome ? *Outcome : *V, O))
    (void)toJSON(O);
}

namespace {
struct Entry {
  const char *Name;
  Target Fn;
};
const Entry Targets[] = {{"database", database}, {"model", model},
                         {"baseline", baseline}, {"merge", merge},
                         {"line-filter", lineFilter}, {"diff", diff},
                         {"cache-entry", cacheEntry}};
} // namespace

Target find(llvm::StringRef Name) {
  for (const Entry &E : Targets)
    if (Name == E.Name)
      return E.Fn;
  return nullptr;
}

const char *names() {
  return "database model baseline merge line-filter diff cache-entry";
}

} // namespace threadleak::fuzz
