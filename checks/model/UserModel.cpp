//===--- UserModel.cpp ----------------------------------------------------===//

#include "model/UserModel.h"

namespace clang::tidy::threadleak {

const ModelConfig *userModelFor(ClangTidyContext *Context, std::string &Error) {
  std::string Path;
  const ClangTidyOptions::OptionMap &Opts = Context->getOptions().CheckOptions;
  auto It = Opts.find(ModelFileOption);
  if (It != Opts.end() && !It->second.Value.empty())
    Path = It->second.Value;
  else
    Path = findModelConfigFile(Context->getCurrentFile());
  if (Path.empty())
    return nullptr;
  const LoadedModelConfig &Loaded = loadModelConfig(Path);
  if (!Loaded.Error.empty()) {
    Error = Loaded.Error;
    return nullptr;
  }
  return &Loaded.Model;
}

} // namespace clang::tidy::threadleak
