//===--- UserModel.h - the .threadleak.yaml that applies to a file -------===//

#ifndef THREADLEAK_MODEL_USERMODEL_H
#define THREADLEAK_MODEL_USERMODEL_H

#include "model/ModelConfig.h"
#include "clang-tidy/ClangTidyCheck.h"

namespace clang::tidy::threadleak {

/// The user's model for the file \p Check is about to analyse: the file
/// named by the `threadleak.ConfigFile` option, else the `.threadleak.yaml`
/// nearest to the file. Null if there is none, or if the file cannot be
/// read or parsed: then \p Error says why, in one line with the file's
/// path:line:column, for the check's configurationDiag.
const ModelConfig *userModelFor(ClangTidyContext *Context, std::string &Error);

/// The channel types a check knows: its `Channels` option (\p Option, the
/// check named \p CheckName) followed by the user model's. A bad option
/// or model file is reported through the check's configurationDiag.
/// \p Model is set to the user model, if there is one.
std::vector<ChannelSpec> channelSpecsFor(const ClangTidyCheck &Check,
                                         llvm::StringRef CheckName,
                                         llvm::StringRef Option,
                                         ClangTidyContext *Context,
                                         const ModelConfig *&Model);

} // namespace clang::tidy::threadleak

#endif
