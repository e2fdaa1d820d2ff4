//===--- CounterModel.h - latches, semaphores, wait groups -----*- C++ -*-===//
//
// Counters: objects whose wait blocks until other contexts have counted
// them down (std::latch, a Go-style WaitGroup) or released them
// (std::counting_semaphore). Built in: std::latch and
// std::counting_semaphore (std::binary_semaphore). The user model adds
// WaitGroup-like types (`WaitGroups:` in a .threadleak.yaml: add / done /
// wait by unqualified member name).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_COUNTERMODEL_H
#define THREADLEAK_MODEL_COUNTERMODEL_H

#include "model/ModelConfig.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/DenseMap.h"
#include <optional>
#include <vector>

namespace clang::tidy::threadleak {

enum class CounterOpKind {
  None,
  /// Blocks until the count reaches zero (a latch, a wait group) or a
  /// release is available (a semaphore).
  Wait,
  /// Counts down or releases: completes waits.
  Signal,
  /// Waits and counts down (std::latch::arrive_and_wait).
  SignalAndWait,
  /// Raises the count (WaitGroup::add): a later wait blocks.
  Add,
};

struct CounterOp {
  CounterOpKind Kind = CounterOpKind::None;
  /// The counter as written.
  const Expr *Object = nullptr;
  enum FamilyTy { Latch, Semaphore, WaitGroup } Family = Latch;
  explicit operator bool() const { return Kind != CounterOpKind::None; }
};

/// A project's own wait group, read from its code: a class with a
/// condition variable and an integer count, a method that waits on the
/// condition variable until the count is zero (with no timeout), one that
/// lowers the count and notifies, and one that raises it (and neither waits
/// nor notifies).
struct InferredCounter {
  llvm::DenseMap<const CXXMethodDecl *, CounterOpKind> Ops;
};

/// \p RD read as a wait group, or nothing. Non-template classes outside
/// system headers only.
std::optional<InferredCounter> inferWaitGroup(const CXXRecordDecl *RD);

class CounterModel {
public:
  explicit CounterModel(std::vector<CounterSpec> WaitGroups = {});
  CounterOp classify(const CXXMemberCallExpr *Call) const;
  /// \p RD is a wait group the user's model declares (not one read from
  /// its code): its methods are the model's operations, not code to read.
  bool declares(const CXXRecordDecl *RD) const;
  /// The member names of the user's wait groups' waits (a TU with none of
  /// them, nor another trigger, is not analysed).
  std::vector<std::string> waitNames() const;

private:
  /// The user's wait group \p RD is, if it is one.
  const CounterSpec *declaredSpec(const CXXRecordDecl *RD) const;
  const InferredCounter *inferred(const CXXRecordDecl *RD) const;
  std::vector<CounterSpec> WaitGroups;
  mutable llvm::DenseMap<const CXXRecordDecl *, std::optional<InferredCounter>>
      Inferred;
};

} // namespace clang::tidy::threadleak

#endif
