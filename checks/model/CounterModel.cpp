//===--- CounterModel.cpp - latches, semaphores, wait groups -------------===//

#include "model/CounterModel.h"
#include "model/ConcurrencyModel.h"
#include "llvm/ADT/STLExtras.h"

namespace clang::tidy::threadleak {

CounterModel::CounterModel(std::vector<CounterSpec> WaitGroups)
    : WaitGroups(std::move(WaitGroups)) {}

CounterOp CounterModel::classify(const CXXMemberCallExpr *MC) const {
  CounterOp Op;
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!M || !M->getIdentifier() || !M->getParent()->getIdentifier())
    return Op;
  Op.Object = MC->getImplicitObjectArgument();
  llvm::StringRef Class = M->getParent()->getName(), N = M->getName();
  if (M->getParent()->isInStdNamespace()) {
    if (Class == "latch") {
      Op.Family = CounterOp::Latch;
      Op.Kind = N == "wait"              ? CounterOpKind::Wait
                : N == "arrive_and_wait" ? CounterOpKind::SignalAndWait
                : N == "count_down"      ? CounterOpKind::Signal
                                         : CounterOpKind::None;
    } else if (Class == "counting_semaphore") {
      Op.Family = CounterOp::Semaphore;
      Op.Kind = N == "acquire"   ? CounterOpKind::Wait
                : N == "release" ? CounterOpKind::Signal
                                 : CounterOpKind::None;
    }
    return Op;
  }
  std::string Qualified = plainQualifiedName(M->getParent());
  for (const CounterSpec &S : WaitGroups) {
    if (S.Type != Qualified)
      continue;
    Op.Family = CounterOp::WaitGroup;
    Op.Kind = llvm::is_contained(S.Wait, N)   ? CounterOpKind::Wait
              : llvm::is_contained(S.Done, N) ? CounterOpKind::Signal
              : llvm::is_contained(S.Add, N)  ? CounterOpKind::Add
                                              : CounterOpKind::None;
    return Op;
  }
  return Op;
}

std::vector<std::string> CounterModel::waitNames() const {
  std::vector<std::string> Names;
  for (const CounterSpec &S : WaitGroups)
    Names.insert(Names.end(), S.Wait.begin(), S.Wait.end());
  return Names;
}

} // namespace clang::tidy::threadleak
