//===--- Database.cpp -----------------------------------------------------===//

#include "Database.h"
#include "Findings.h"
#include "llvm/Support/JSON.h"

namespace threadleak {

llvm::Expected<std::unique_ptr<clang::tooling::CompilationDatabase>>
parseCompilationDatabase(llvm::StringRef Content) {
  auto Error = [](const llvm::Twine &Why) {
    return llvm::createStringError(std::errc::invalid_argument, "%s",
                                   Why.str().c_str());
  };
  Content.consume_front("\xEF\xBB\xBF");
  llvm::Expected<llvm::json::Value> Json = parseJSONInput(Content);
  if (!Json)
    return Error(llvm::toString(Json.takeError()));
  const llvm::json::Array *Entries = Json->getAsArray();
  if (!Entries)
    return Error("expected an array of entries");
  for (size_t I = 0; I < Entries->size(); ++I) {
    const llvm::json::Object *E = (*Entries)[I].getAsObject();
    if (!E || !E->getString("directory") || !E->getString("file") ||
        (!E->getString("command") && !E->getArray("arguments")))
      return Error("entry " + llvm::Twine(I) +
                   " needs \"directory\", \"file\" and \"command\" or "
                   "\"arguments\"");
  }
  std::string Message;
  auto DB = clang::tooling::JSONCompilationDatabase::loadFromBuffer(
      Content, Message, clang::tooling::JSONCommandLineSyntax::AutoDetect);
  if (!DB)
    return Error(Message);
  return std::unique_ptr<clang::tooling::CompilationDatabase>(std::move(DB));
}

} // namespace threadleak
