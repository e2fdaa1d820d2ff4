//===--- FutureModel.cpp --------------------------------------------------===//

#include "model/FutureModel.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclTemplate.h"
#include "llvm/ADT/STLExtras.h"
#include <initializer_list>

namespace clang::tidy::threadleak {

namespace {
enum class End { None, Promise, Task, Future };

bool oneOf(llvm::StringRef N, std::initializer_list<llvm::StringRef> Names) {
  return llvm::is_contained(Names, N);
}

End endOf(QualType T) {
  const CXXRecordDecl *RD = T.isNull() ? nullptr : recordOf(T);
  if (!RD || !RD->getIdentifier())
    return End::None;
  llvm::StringRef N = RD->getName();
  if (N != "promise" && N != "packaged_task" && N != "future" &&
      N != "shared_future" && N != "unique_future")
    return End::None;
  std::string Q = plainQualifiedName(RD);
  if (oneOf(Q, {"std::promise", "boost::fibers::promise", "boost::promise"}))
    return End::Promise;
  if (oneOf(Q, {"std::packaged_task", "boost::fibers::packaged_task",
                "boost::packaged_task"}))
    return End::Task;
  if (oneOf(Q, {"std::future", "std::shared_future", "boost::fibers::future",
                "boost::fibers::shared_future", "boost::unique_future",
                "boost::shared_future", "boost::future"}))
    return End::Future;
  return End::None;
}
} // namespace

bool isPromiseType(QualType T) {
  End E = endOf(T);
  return E == End::Promise || E == End::Task;
}

bool isFutureType(QualType T) { return endOf(T) == End::Future; }

FutureOp classifyFutureOp(const CallExpr *Call) {
  FutureOp Op;
  const Expr *Obj = nullptr;
  const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(
      Call ? Call->getDirectCallee() : nullptr);
  if (!MD)
    return Op;
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
    Obj = MC->getImplicitObjectArgument();
  else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call))
    Obj = OC->getNumArgs() ? OC->getArg(0) : nullptr;
  if (!Obj)
    return Op;
  // A base class's method (libstdc++'s wait() is __basic_future's): the
  // object's own type.
  QualType T = Obj->IgnoreParenImpCasts()->getType();
  if (T->isPointerType())
    T = T->getPointeeType();
  End E = endOf(T);
  if (E == End::None)
    return Op;
  Op.Object = Obj;
  if (E == End::Task && MD->getOverloadedOperator() == OO_Call) {
    Op.Kind = FutureOpKind::Set;
    return Op;
  }
  if (!MD->getIdentifier())
    return FutureOp();
  llvm::StringRef N = MD->getName();
  if (E == End::Future) {
    if (oneOf(N, {"get", "wait"}))
      Op.Kind = FutureOpKind::Wait;
    else if (oneOf(N, {"wait_for", "wait_until", "timed_wait"}))
      Op.Kind = FutureOpKind::TimedWait;
    else if (N == "share")
      Op.Kind = FutureOpKind::Link;
  } else if (oneOf(N, {"set_value", "set_exception", "set_value_at_thread_exit",
                       "set_exception_at_thread_exit",
                       "make_ready_at_thread_exit"})) {
    Op.Kind = FutureOpKind::Set;
  } else if (N == "get_future") {
    Op.Kind = FutureOpKind::Link;
  }
  if (Op.Kind == FutureOpKind::None)
    Op.Object = nullptr;
  return Op;
}

const Expr *asyncCallable(const CallExpr *Call) {
  const FunctionDecl *FD = Call ? Call->getDirectCallee() : nullptr;
  if (!FD || !FD->getIdentifier() || FD->getName() != "async" ||
      Call->getNumArgs() == 0 ||
      !oneOf(plainQualifiedName(FD),
             {"std::async", "boost::async", "boost::fibers::async"}))
    return nullptr;
  // A launch policy first (std::launch, boost::launch, a fiber policy).
  const Expr *First = Call->getArg(0);
  QualType T = First->IgnoreParenImpCasts()->getType();
  if (T->isEnumeralType() || T->isIntegralType(FD->getASTContext()))
    return Call->getNumArgs() > 1 ? Call->getArg(1) : nullptr;
  return First;
}

bool blockingAsync(const CallExpr *Call) {
  if (!asyncCallable(Call))
    return false;
  const FunctionDecl *FD = Call->getDirectCallee();
  if (!FD || !FD->isInStdNamespace())
    return false;
  if (Call->getNumArgs() > 1)
    if (const auto *DRE =
            llvm::dyn_cast<DeclRefExpr>(Call->getArg(0)->IgnoreParenImpCasts()))
      if (DRE->getDecl()->getName() == "deferred")
        return false;
  return true;
}

const void *oneShotTag(QualType T, const ASTContext &Ctx) {
  if (endOf(T) == End::None)
    return nullptr;
  const auto *Spec =
      llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(recordOf(T));
  if (!Spec || Spec->getTemplateArgs().size() < 1 ||
      Spec->getTemplateArgs()[0].getKind() != TemplateArgument::Type)
    return nullptr;
  QualType V = Spec->getTemplateArgs()[0].getAsType();
  if (const auto *FT = V->getAs<FunctionProtoType>()) // packaged_task<R(A)>
    V = FT->getReturnType();
  return Ctx.getCanonicalType(V).getAsOpaquePtr();
}

} // namespace clang::tidy::threadleak
