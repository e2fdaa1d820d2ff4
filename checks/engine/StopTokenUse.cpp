//===--- StopTokenUse.cpp -------------------------------------------------===//

#include "engine/StopTokenUse.h"
#include "engine/ForeverAnalysis.h"
#include "engine/StmtWalk.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"

namespace clang::tidy::threadleak {

namespace {

/// The variable an argument names, looking through copies and conversions.
const DeclRefExpr *namedVar(const Expr *E) {
  E = E->IgnoreImplicit()->IgnoreParenImpCasts();
  if (const auto *CCE = llvm::dyn_cast<CXXConstructExpr>(E))
    if (CCE->getNumArgs() == 1)
      E = CCE->getArg(0)->IgnoreImplicit()->IgnoreParenImpCasts();
  return llvm::dyn_cast<DeclRefExpr>(E);
}

class TokenUseFinder {
public:
  TokenUseFinder(ASTContext &Ctx, unsigned MaxDepth)
      : Ctx(Ctx), MaxDepth(MaxDepth) {}

  bool consults(const ParmVarDecl *Token, const FunctionDecl *Fn,
                unsigned Depth) {
    if (Depth > MaxDepth)
      return true; // Beyond what we follow: assume it does.
    if (!Visiting.insert(Token).second)
      return false; // Recursion adds nothing new.
    unsigned Uses = 0, Benign = 0;
    bool Consulted = false;
    visit(Fn->getBody(), Token, Depth, Uses, Benign, Consulted);
    Visiting.erase(Token);
    return Consulted || Uses != Benign;
  }

private:
  /// Counts \p Token's uses in \p S (lambdas included), the benign ones
  /// apart, and follows it into the functions it is handed to. Keeps its
  /// own stack (StmtWalk.h): the plugin runs on clang-tidy's.
  void visit(const Stmt *S, const ParmVarDecl *Token, unsigned Depth,
             unsigned &Uses, unsigned &Benign, bool &Consulted) {
    walkWithLambdas(S, nullptr, [&](const Stmt *Node) {
      if (Consulted)
        return;
      visitOne(Node, Token, Depth, Uses, Benign, Consulted);
    });
  }

  void visitOne(const Stmt *S, const ParmVarDecl *Token, unsigned Depth,
                unsigned &Uses, unsigned &Benign, bool &Consulted) {
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
      if (DRE->getDecl() == Token)
        ++Uses;
    // (void)token;
    if (const auto *Cast = llvm::dyn_cast<ExplicitCastExpr>(S))
      if (Cast->getType()->isVoidType())
        if (const DeclRefExpr *DRE = namedVar(Cast->getSubExpr()))
          if (DRE->getDecl() == Token)
            ++Benign;
    // token handed to a function we can read: follow it.
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
      const FunctionDecl *Callee =
          analysableDefinition(Call->getDirectCallee(), Ctx);
      unsigned Offset = 0;
      if (llvm::isa<CXXOperatorCallExpr>(Call) && Callee &&
          llvm::isa<CXXMethodDecl>(Callee) &&
          !llvm::cast<CXXMethodDecl>(Callee)->isStatic())
        Offset = 1; // The object is argument 0.
      for (unsigned I = Offset; Callee && I < Call->getNumArgs(); ++I) {
        const DeclRefExpr *DRE = namedVar(Call->getArg(I));
        if (!DRE || DRE->getDecl() != Token)
          continue;
        unsigned ParamIdx = I - Offset;
        if (ParamIdx >= Callee->getNumParams() ||
            !isStopTokenType(Callee->getParamDecl(ParamIdx)->getType()))
          continue;
        if (consults(Callee->getParamDecl(ParamIdx), Callee, Depth + 1))
          Consulted = true;
        else
          ++Benign;
      }
    }
  }


  ASTContext &Ctx;
  unsigned MaxDepth;
  llvm::DenseSet<const ParmVarDecl *> Visiting;
};

} // namespace

StopTokenInfo analyzeStopToken(const FunctionDecl *Body, ASTContext &Ctx,
                               unsigned MaxDepth) {
  StopTokenInfo Info;
  if (!Body || Body->getNumParams() == 0 ||
      !isStopTokenType(Body->getParamDecl(0)->getType()))
    return Info;
  Info.Token = Body->getParamDecl(0);
  TokenUseFinder Finder(Ctx, MaxDepth);
  Info.Use = Finder.consults(Info.Token, Body, 0) ? TokenUse::Consulted
                                                  : TokenUse::Ignored;
  return Info;
}

} // namespace clang::tidy::threadleak
