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

std::vector<ChannelSpec> channelSpecsFor(const ClangTidyCheck &Check,
                                         llvm::StringRef CheckName,
                                         llvm::StringRef Option,
                                         ClangTidyContext *Context,
                                         const ModelConfig *&Model) {
  std::vector<ChannelSpec> Specs;
  if (!Option.trim().empty()) {
    auto Parsed =
        parseChannelSpecs(Option, "option '" + CheckName.str() + ".Channels'");
    if (Parsed)
      Specs = std::move(*Parsed);
    else
      Check.configurationDiag("invalid configuration value for %0")
          << llvm::toString(Parsed.takeError());
  }
  std::string Error;
  Model = userModelFor(Context, Error);
  if (Model)
    Specs.insert(Specs.end(), Model->Channels.begin(), Model->Channels.end());
  else if (!Error.empty())
    Check.configurationDiag("%0") << Error;
  return Specs;
}

} // namespace clang::tidy::threadleak
