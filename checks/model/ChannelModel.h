//===--- ChannelModel.h - which calls are channel operations --------------===//
//
// The channel part of the concurrency model: built-in channel types
// (Boost.Asio experimental channels, Boost.Fiber channels, TBB's
// concurrent_bounded_queue) plus the user's (`.threadleak.yaml`, or the
// `Channels` check option), and the classification of a call as a receive,
// a send or a close of a channel object.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_CHANNELMODEL_H
#define THREADLEAK_MODEL_CHANNELMODEL_H

#include "model/ChannelInference.h"
#include "model/ModelConfig.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include <optional>

namespace clang::tidy::threadleak {

namespace defaults {
/// The built-in channel types, in the schema of the `Channels` option.
extern const char BuiltinChannels[];
} // namespace defaults

/// std::shared_ptr, std::unique_ptr or boost::shared_ptr (of anything).
bool isSmartPointer(const CXXRecordDecl *RD);

enum class ChannelOpKind { None, Receive, Send, TrySend, TryReceive, Close };

/// A call that operates on a channel.
struct ChannelOp {
  ChannelOpKind Kind = ChannelOpKind::None;
  const CallExpr *Call = nullptr;
  /// The channel object as written: `jobs`, `result` (a shared_ptr),
  /// `*p`, `this->q_`.
  const Expr *Channel = nullptr;
  const ChannelSpec *Spec = nullptr;
  /// An `async_*` operation: it blocks its coroutine only when awaited.
  bool Asynchronous = false;
  /// A close that wakes receivers only (see ChannelSpec::WakesOnlyReceivers).
  bool WakesOnlyReceivers = false;

  explicit operator bool() const { return Kind != ChannelOpKind::None; }
};

/// The value of the integer constant expression \p E, if it is one and is
/// not negative (a count, a capacity, a loop bound).
std::optional<uint64_t> evaluateCount(const Expr *E, const ASTContext &Ctx);

class ChannelModel {
public:
  /// The built-in channel types plus \p User.
  explicit ChannelModel(const std::vector<ChannelSpec> &User = {});

  /// The spec of the channel \p T holds, refers or points to, directly or
  /// through std::shared_ptr / std::unique_ptr / boost::shared_ptr, or
  /// null. A class derived from a channel type is that channel type.
  const ChannelSpec *specForType(QualType T) const;

  /// What \p Call does to a channel, if anything.
  ChannelOp classify(const CallExpr *Call) const;
  /// \p Call sets its channel's capacity (one of its spec's
  /// CapacitySetters): a use that hands the channel to nobody.
  bool setsCapacity(const CXXMemberCallExpr *Call) const;

  /// A range-for over a channel that receives until it is closed.
  ChannelOp rangeReceive(const CXXForRangeStmt *For) const;

  /// The capacity of a channel created by \p Init (a variable's
  /// initializer: a construction, std::make_shared/make_unique, new), if
  /// it is known; 0 for an unbuffered channel.
  std::optional<uint64_t> capacityOf(const Expr *Init, const ChannelSpec &S,
                                     const ASTContext &Ctx) const;
  /// The argument capacityOf() reads the capacity from, as written in
  /// \p Init's construction (the `0` of `make_shared<Chan>(io, 0)`); null
  /// when the capacity is not written there (the type's own, a defaulted
  /// argument, a construction capacityOf() does not read).
  const Expr *capacityArgument(const Expr *Init, const ChannelSpec &S) const;

  /// Whether a channel of spec \p S can be created with capacity \p N:
  /// Boost.Fiber's buffered_channel needs a power of two, at least 2.
  static bool acceptsCapacity(const ChannelSpec &S, uint64_t N);

  const std::vector<ChannelSpec> &specs() const { return Specs; }

  /// The spec of the channel class \p RD (or a class derived from one).
  const ChannelSpec *specForRecord(const CXXRecordDecl *RD) const;

  /// The project's own channel class \p S was inferred from, or null for a
  /// built-in or configured channel type.
  const InferredChannel *inferredFor(const ChannelSpec *S) const;
  /// Every class read as a channel so far, in the order they were met.
  std::vector<const InferredChannel *> inferred() const;
  /// Whether classes of the project may be read as channels (on by
  /// default).
  void setInference(bool On) { Inference = On; }

private:
  /// The arguments of the construction in \p Init that creates a channel of
  /// spec \p S, or none when it is not one capacityOf() reads.
  std::optional<llvm::ArrayRef<const Expr *>>
  constructionArgs(const Expr *Init, const ChannelSpec &S) const;

  std::vector<ChannelSpec> Specs;
  llvm::StringMap<size_t> ByType;
  /// Every operation name of every spec: a cheap first filter.
  llvm::StringSet<> OpNames;
  mutable llvm::DenseMap<const CXXRecordDecl *, const ChannelSpec *> RecordCache;
  /// Inferred channels, by the pattern class they were read from.
  mutable std::vector<std::unique_ptr<InferredChannel>> Inferred;
  mutable llvm::DenseMap<const CXXRecordDecl *, const InferredChannel *>
      InferredByPattern;
  /// The same, by their specs (classify() asks on every operation).
  mutable llvm::DenseMap<const ChannelSpec *, const InferredChannel *>
      InferredBySpec;
  bool Inference = true;
};

} // namespace clang::tidy::threadleak

#endif
