//===--- PoolStarvation.h - a pool's task waiting on its own pool -*- C++
//-*-===//
//
// A task of a thread pool that waits for a task it queued on the same pool
// (the future the pool's submit returned for it, or a condition variable
// that only tasks it queued there notify) holds a worker while it waits.
// When every worker runs such a task, none is left to run what they wait
// for: a thread-starvation deadlock (TileDB#1757, ClickHouse#55132).
//
// The pool is a project's (model/ThreadPoolModel). Reported only where the
// pool's worker count is known, resolved from the bounds the model read
// through the arguments of the pool's constructions and calls (`init(1)`,
// a constructor's parameter stored in a member, a maximum the pool grows
// to), and the tasks that can wait at once reach it: one worker, or
// at least as many such tasks queued (a loop with a known count). A wait
// that runs the pool's pending tasks (a member of the pool taking tasks off
// its queue, on the way to the wait) is no such wait.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_POOLSTARVATION_H
#define THREADLEAK_ENGINE_POOLSTARVATION_H

#include "engine/BlockingAnalysis.h"
#include "engine/SyncInventory.h"
#include "model/ThreadPoolModel.h"
#include <memory>
#include <vector>

namespace clang::tidy::threadleak {

class PoolStarvation {
public:
  PoolStarvation(ASTContext &Ctx, const SyncInventory &Inv,
                 const ThreadPoolModel &Pools);
  ~PoolStarvation();
  /// The findings, in the order of their location.
  std::vector<BlockingFinding> run();
  /// The pools the translation unit queues tasks on, as stable text
  /// (threadleak --dump-model). Call after run().
  void dump(llvm::raw_ostream &OS) const;

private:
  class Impl;
  std::unique_ptr<Impl> P;
};

} // namespace clang::tidy::threadleak

#endif
