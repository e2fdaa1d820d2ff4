//===--- PathNotes.cpp ----------------------------------------------------===//

#include "engine/PathNotes.h"
#include "engine/Templates.h"
#include "clang/Lex/Lexer.h"

namespace clang::tidy::threadleak {

std::string shortSourceText(const Expr *E, const ASTContext &Ctx) {
  llvm::StringRef Text = Lexer::getSourceText(
      CharSourceRange::getTokenRange(E->getSourceRange()),
      Ctx.getSourceManager(), Ctx.getLangOpts());
  std::string Flat;
  for (char C : Text) {
    if (C == '\n' || C == '\t' || C == '\r')
      C = ' ';
    if (C == ' ' && !Flat.empty() && Flat.back() == ' ')
      continue;
    Flat += C;
  }
  if (Flat.size() > 40)
    Flat = Flat.substr(0, 37) + "...";
  return Flat;
}

void emitCallChainNotes(ClangTidyCheck &Check,
                        llvm::ArrayRef<const CallExpr *> Chain,
                        llvm::StringRef Noun) {
  bool First = true;
  for (const CallExpr *Call : Chain) {
    Check.diag(Call->getBeginLoc(),
               First ? "the %1's body calls %0 here" : "which calls %0 here",
               DiagnosticIDs::Note)
        << patternDecl(Call->getDirectCallee()) << Noun;
    First = false;
  }
}

void emitSpawnNotes(ClangTidyCheck &Check, const Expr *Start,
                    llvm::StringRef Noun,
                    llvm::ArrayRef<const CallExpr *> Chain) {
  if (Start)
    Check.diag(Start->getBeginLoc(), "%0 started here", DiagnosticIDs::Note)
        << Noun;
  emitCallChainNotes(Check, Chain, Noun);
}

void emitEndlessLoopNotes(ClangTidyCheck &Check, const EndlessLoop &Loop,
                          const ASTContext &Ctx, llvm::StringRef Noun) {
  emitCallChainNotes(Check, Loop.CallChain, Noun);
  if (Loop.External) {
    // In the files of the unit that defines the function called last: the
    // same notes, from its summary.
    for (const auto &[At, Callee] : Loop.ExternalChain)
      Check.diag(At, "which calls '%0' here", DiagnosticIDs::Note) << Callee;
    if (Loop.Kind == EndlessLoop::DeadExitAfterWait) {
      Check.diag(Loop.ExternalLoop,
                 "this loop never exits: its way out '%0' is tested only "
                 "right after the wait returns with its predicate true, when "
                 "it cannot hold",
                 DiagnosticIDs::Note)
          << Loop.ExternalCondition;
      Check.diag(Loop.ExternalWait,
                 "a timeout of this wait leads back to waiting, not out of "
                 "the loop",
                 DiagnosticIDs::Note);
    } else if (Loop.Kind == EndlessLoop::UnchangingCondition) {
      Check.diag(Loop.ExternalLoop,
                 "this loop never exits: its condition '%0' cannot change "
                 "while the loop runs",
                 DiagnosticIDs::Note)
          << Loop.ExternalCondition;
    } else {
      Check.diag(Loop.ExternalLoop,
                 Noun == "coroutine"
                     ? "this loop never exits: nothing in it breaks, "
                       "returns, throws or observes cancellation"
                     : "this loop never exits: nothing in it breaks, "
                       "returns, throws or observes a stop request",
                 DiagnosticIDs::Note);
    }
    return;
  }
  if (Loop.Kind == EndlessLoop::DeadExitAfterWait) {
    Check.diag(Loop.Loop->getBeginLoc(),
               "this loop never exits: its way out '%0' is tested only "
               "right after the wait returns with its predicate true, when "
               "it cannot hold",
               DiagnosticIDs::Note)
        << shortSourceText(Loop.Condition, Ctx)
        << Loop.Condition->getSourceRange();
    Check.diag(Loop.Wait->getBeginLoc(),
               "a timeout of this wait leads back to waiting, not out of "
               "the loop",
               DiagnosticIDs::Note);
    return;
  }
  if (Loop.Kind == EndlessLoop::UnchangingCondition) {
    Check.diag(Loop.Loop->getBeginLoc(),
               "this loop never exits: its condition '%0' cannot change "
               "while the loop runs",
               DiagnosticIDs::Note)
        << shortSourceText(Loop.Condition, Ctx)
        << Loop.Condition->getSourceRange();
    return;
  }
  Check.diag(Loop.Loop->getBeginLoc(),
             Noun == "coroutine"
                 ? "this loop never exits: nothing in it breaks, returns, "
                   "throws or observes cancellation"
                 : "this loop never exits: nothing in it breaks, returns, "
                   "throws or observes a stop request",
             DiagnosticIDs::Note);
}

} // namespace clang::tidy::threadleak
