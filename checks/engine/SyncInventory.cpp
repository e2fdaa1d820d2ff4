//===--- SyncInventory.cpp - the translation unit's waits, notifies, calls ===//

#include "engine/SyncInventory.h"
#include "engine/ClassHierarchy.h"
#include "engine/ForeverAnalysis.h"
#include "engine/ObjectKey.h"
#include "engine/StmtWalk.h"
#include "clang/AST/StmtCXX.h"

namespace clang::tidy::threadleak {

void SyncInventory::addFunction(const FunctionDecl *FD) {
  if (!FD || ByFunction.count(FD))
    return;
  const Stmt *Body = FD->getBody();
  if (const auto *CB = llvm::dyn_cast_or_null<CoroutineBodyStmt>(Body))
    Body = CB->getBody();
  if (Body)
    addUnit(FD, nullptr, Body);
  if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(FD))
    for (const CXXCtorInitializer *Init : Ctor->inits()) {
      const Expr *E = Init->getInit();
      if (const auto *DI = llvm::dyn_cast_or_null<CXXDefaultInitExpr>(E))
        E = DI->getExpr();
      addLambdasIn(E);
    }
}

void SyncInventory::addLambdasIn(const Expr *E) {
  llvm::SmallVector<const LambdaExpr *, 2> Lambdas;
  walkOwnCode(E, [&](const Stmt *S) {
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S))
      Lambdas.push_back(LE);
  });
  for (const LambdaExpr *LE : Lambdas)
    if (const CXXMethodDecl *Op = LE->getCallOperator())
      addUnit(Op, LE, LE->getBody());
}

void SyncInventory::addUnit(const FunctionDecl *Fn, const LambdaExpr *Lambda,
                            const Stmt *Body) {
  if (ByFunction.count(Fn))
    return;
  Units.push_back(std::make_unique<CodeUnit>());
  CodeUnit &U = *Units.back();
  U.Fn = Fn;
  U.Lambda = Lambda;
  U.Body = Body;
  ByFunction[Fn] = &U;
  llvm::SmallVector<const LambdaExpr *, 4> Lambdas;
  walkOwnCode(Body, [&](const Stmt *S) {
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
      Lambdas.push_back(LE);
      return;
    }
    const auto *Call = llvm::dyn_cast<CallExpr>(S);
    if (!Call)
      return;
    if (std::optional<ConditionWait> W = CVs.asWait(Call)) {
      U.Waits.push_back(*W);
      return;
    }
    if (const ValueDecl *CV = CVs.notified(Call)) {
      U.Notifies.push_back({Call, CV});
      return;
    }
    if (mayDispatchElsewhere(Call)) {
      const DispatchTargets &T = ClassHierarchy::of(Ctx).targets(Call);
      if (const FunctionDecl *Def = T.unique()) {
        U.Calls.push_back({Call, Def});
        Callers[Def].push_back({&U, Call});
      } else if (!T.Fns.empty()) {
        U.Dispatches.push_back({Call, T.Fns});
      }
      return;
    }
    // std::call_once runs its callable here, with this code's locks held:
    // a call of the callable.
    const FunctionDecl *Callee = invokedFunction(Call);
    if (!Callee)
      Callee = Call->getDirectCallee();
    if (const FunctionDecl *Def = analysableDefinition(Callee, Ctx)) {
      U.Calls.push_back({Call, Def});
      Callers[Def].push_back({&U, Call});
    }
  });
  for (const LambdaExpr *LE : Lambdas)
    if (const CXXMethodDecl *Op = LE->getCallOperator())
      addUnit(Op, LE, LE->getBody());
}

llvm::ArrayRef<std::pair<const CodeUnit *, const CallExpr *>>
SyncInventory::callersOf(const FunctionDecl *FD) const {
  auto It = Callers.find(FD);
  if (It == Callers.end())
    return {};
  return It->second;
}

void InventoryCollector::registerMatchers(
    ast_matchers::MatchFinder *Finder,
    ast_matchers::MatchFinder::MatchCallback *Check) {
  using namespace ast_matchers;
  Finder->addMatcher(functionDecl(isDefinition(),
                                  unless(isExpansionInSystemHeader()),
                                  unless(isImplicit()))
                         .bind("inventory-fn"),
                     Check);
  Finder->addMatcher(fieldDecl(unless(isExpansionInSystemHeader()),
                               hasInClassInitializer(expr()))
                         .bind("inventory-field"),
                     Check);
}

bool InventoryCollector::collect(
    const ast_matchers::MatchFinder::MatchResult &Result) {
  if (const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("inventory-fn")) {
    if (FD->hasBody())
      Functions.push_back(FD);
    return true;
  }
  if (const auto *FD = Result.Nodes.getNodeAs<FieldDecl>("inventory-field")) {
    Fields.push_back(FD);
    return true;
  }
  return false;
}

std::unique_ptr<SyncInventory>
InventoryCollector::take(const ASTContext &Ctx,
                         const ConditionVariableModel &CVs) {
  auto Inv = std::make_unique<SyncInventory>(Ctx, CVs);
  // A lambda's call operator is a definition the matcher finds too; the
  // code the lambda is written in adds it as a lambda (a thread's body, a
  // callback), so it comes last: only a lambda no code of ours holds (a
  // global's initialiser) is added as a plain function.
  auto IsLambda = [](const FunctionDecl *FD) {
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(FD);
    return MD && MD->getParent()->isLambda();
  };
  for (const FunctionDecl *FD : Functions)
    if (!IsLambda(FD))
      Inv->addFunction(FD);
  for (const FieldDecl *FD : Fields)
    Inv->addLambdasIn(FD->getInClassInitializer());
  for (const FunctionDecl *FD : Functions)
    if (IsLambda(FD))
      Inv->addFunction(FD);
  clear();
  return Inv;
}

} // namespace clang::tidy::threadleak
