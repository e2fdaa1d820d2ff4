//===--- StopTokenUse.h - does a body consult its std::stop_token? --------===//

#ifndef THREADLEAK_ENGINE_STOPTOKENUSE_H
#define THREADLEAK_ENGINE_STOPTOKENUSE_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"

namespace clang::tidy::threadleak {

enum class TokenUse {
  /// The callable takes no std::stop_token.
  NoToken,
  /// It takes one and never looks at it: no stop_requested(), not passed to
  /// a stop-aware wait, a std::stop_callback or any code that might.
  Ignored,
  /// It looks at it, or hands it to code that may.
  Consulted,
};

struct StopTokenInfo {
  TokenUse Use = TokenUse::NoToken;
  const ParmVarDecl *Token = nullptr;
};

/// How \p Body uses a std::stop_token first parameter. Handing the token to
/// a function of the translation unit is followed (up to \p MaxDepth); any
/// other use counts as consulting it, so that unknown code keeps us silent.
StopTokenInfo analyzeStopToken(const FunctionDecl *Body, ASTContext &Ctx,
                               unsigned MaxDepth);

} // namespace clang::tidy::threadleak

#endif
