//===--- ChannelInference.h - a project's own channel classes -------------===//
//
// Code ported from Go to the standard library brings its channels along as
// small classes of its own: a mutex, a condition variable or two, a deque or
// a counter, a `closed` flag. This part of the model reads such a class as a
// channel, so that every analysis of channels applies to it, with no model
// file:
//
// - a public method that puts an item (pushes into a member container,
//   fills a member std::optional) is a send, one that takes an item (pops,
//   empties the optional) is a receive; a method that only counts (the
//   `++offered_` of a channel of tokens) is one or the other by its name
//   (send, push, put, ... / receive, recv, pop, take, get, ...);
// - it blocks if it waits on one of the class's condition variables with
//   neither a timeout nor a std::stop_token, and its name does not say
//   `try`; otherwise it is a try-operation;
// - a send that waits after it puts hands the item over (the channel is
//   unbuffered); one that waits before it puts waits for room, and the
//   capacity is read from the wait's predicate (`q_.size() < capacity_`,
//   with `capacity_` a constructor's argument or a constant);
// - a method that sets a flag a wait reads and notifies is a close.
//
// A class qualifies only with a condition-variable member, a blocking send
// or receive, and an operation on the other side; a method that takes items
// in a loop of its own is a consumer, not a receive, and so is not one.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_CHANNELINFERENCE_H
#define THREADLEAK_MODEL_CHANNELINFERENCE_H

#include "model/ModelConfig.h"
#include "clang/AST/DeclCXX.h"
#include "llvm/ADT/DenseMap.h"
#include <memory>
#include <string>
#include <vector>

namespace clang::tidy::threadleak {

enum class ChannelOpKind;

/// A class read as a channel.
struct InferredChannel {
  /// The class (a class template's pattern for its specializations).
  const CXXRecordDecl *Class = nullptr;
  /// Its spec: the operation lists by name, capacity, unbuffered.
  ChannelSpec Spec;
  /// What each public method is (canonical declarations of the pattern's
  /// methods): overloads may differ (`receive()` blocks,
  /// `receive(std::stop_token)` gives up on a stop).
  llvm::DenseMap<const CXXMethodDecl *, ChannelOpKind> Ops;
  /// Why, one line per operation, for --dump-model and notes.
  std::vector<std::pair<const CXXMethodDecl *, std::string>> Reasons;

  /// Receives that give up only when their std::stop_token parameter (this
  /// index) is stopped.
  llvm::DenseMap<const CXXMethodDecl *, unsigned> StopParams;

  /// What \p MD (of the class or of a specialization of it) is, or None.
  ChannelOpKind kindOf(const CXXMethodDecl *MD) const;
  /// What \p Call of \p MD is: a receive given a stop token nothing can
  /// stop (the parameter's default `{}`) receives for good.
  ChannelOpKind kindOf(const CXXMethodDecl *MD, const CallExpr *Call) const;
  /// The reason recorded for \p MD, or empty.
  std::string reasonFor(const CXXMethodDecl *MD) const;
};

/// "send", "try-receive", ...: what --dump-model calls \p K.
const char *channelOpName(ChannelOpKind K);

/// \p RD read as a channel, or null. \p RD is a class definition outside
/// system headers (a specialization is read through its pattern).
std::unique_ptr<InferredChannel> inferChannel(const CXXRecordDecl *RD);

/// Where \p MD's code is written: its template's member for a member of a
/// class template's specialization.
SourceLocation patternLocation(const CXXMethodDecl *MD);

/// The class whose code \p RD's methods are: a class template's pattern for
/// its specializations, else \p RD itself.
const CXXRecordDecl *codePattern(const CXXRecordDecl *RD);

} // namespace clang::tidy::threadleak

#endif
