//===--- CheckRegistry.h - every threadleak check, described once ---------===//
//
// The one description of each check: the CLI builds SARIF rules from it, and
// a unit test fails if the module registers a check that is not described
// here (or the reverse).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_CHECKREGISTRY_H
#define THREADLEAK_CHECKREGISTRY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace clang::tidy::threadleak {

struct CheckInfo {
  llvm::StringRef Name;
  /// One sentence: the header's /// comment and the docs page's first line.
  llvm::StringRef Summary;
  /// Why it leaks and how to fix it, in a few sentences.
  llvm::StringRef Description;
};

inline llvm::ArrayRef<CheckInfo> allChecks() {
  static const CheckInfo Checks[] = {
      {"threadleak-blocked-forever",
       "Finds operations that can wait forever because no partner can ever "
       "complete them: a mutex taken twice, a mutex left locked on a return "
       "path, two mutexes taken in opposite orders, a blocking channel "
       "operation, wait or join made while holding a mutex every partner "
       "needs, a wait on an object nobody else can reach, a wait whose "
       "only partners may return first or give up (a timeout, a stop "
       "token), a wait or loop only a stop ends whose stop source "
       "nothing that runs stops, and a thread pool's task (an Asio "
       "handler) that waits for a task it queued on the same pool when "
       "such tasks can hold every worker.",
       "A thread blocked on a mutex, a channel or a condition variable waits "
       "for a partner: the holder's unlock, the other side of the channel, a "
       "notify. When the partner is the blocked thread itself (it holds the "
       "mutex it waits for), waits for the blocked thread (it needs a mutex "
       "the blocked thread holds), or does not exist (the object was never "
       "shared) or may return without completing it (an error return before "
       "the set_value(), the send, the notify, a latch's count-down), nothing "
       "ever wakes it, and "
       "the join on shutdown hangs. Release the mutex before blocking or "
       "calling out, unlock it on every return path, take mutexes in one "
       "global order, share an object before waiting on it, and complete the "
       "wait on every path."},
      {"threadleak-channel-recv-no-close",
       "Finds threads and coroutines that block receiving from a channel "
       "that, on some path of their owner, nothing closes or sends to.",
       "A context blocked in a receive waits until a value arrives or the "
       "channel is closed. If the function that owns the channel can return, "
       "throw or drop the channel without closing it, the context waits "
       "forever and everything it holds leaks. Close the channel on every "
       "path (a scope guard, a catch (...) { close; throw; }, the owner's "
       "destructor or stop())."},
      {"threadleak-channel-send-no-receiver",
       "Finds sends on unbuffered channels that block forever because the "
       "receiver can give up first.",
       "A send on an unbuffered channel waits for a receiver. If the "
       "receiving side stops waiting on some path (a timeout won the race, "
       "an early return) and does not close the channel, the sender blocks "
       "forever: Go's result-after-timeout leak. Give the channel capacity "
       "1 for a single result, or close or cancel it on the path that gives "
       "up."},
      {"threadleak-cv-lost-wakeup",
       "Finds state that a condition-variable wait's predicate reads, "
       "changed without the waiter's mutex before a notify: the notify can "
       "be lost.",
       "A waiter checks its predicate under its mutex and then sleeps. A "
       "notifier that changes the predicate's state without holding that "
       "mutex (an atomic flag included) and then notifies can do both "
       "between the waiter's check and its sleep: the notify finds nobody and "
       "the waiter sleeps forever, so the join on shutdown hangs. Change the "
       "state while holding the waiter's mutex (the notify may follow the "
       "unlock), or lock and unlock that mutex between the change and the "
       "notify; change it before the notify, and notify the condition "
       "variable the waiter sleeps on."},
      {"threadleak-cv-wait-no-stop",
       "Finds workers waiting on a condition variable (or a semaphore) that "
       "nothing on the owner's stop path wakes: no shutdown state in the predicate, no "
       "notify, no stop_token overload.",
       "A worker blocked in a condition variable wait returns only when "
       "notified with its predicate true. If the stop path (destructor, "
       "stop(), shutdown()) changes nothing the predicate reads, or changes "
       "it without notifying, the worker sleeps forever and the join on "
       "shutdown hangs. Add a stopping flag to the predicate, set it under "
       "the lock and notify_all() on the stop path, or wait with "
       "condition_variable_any::wait(lock, stop_token, pred)."},
      {"threadleak-detached-no-stop",
       "Finds detached threads whose body can run forever with no stop "
       "signal.",
       "A detached thread cannot be joined. If its body loops with no way "
       "out, it lives until the process exits, keeps everything it "
       "references alive, and nothing can shut it down. Give it a stop "
       "signal (a std::stop_token, an atomic flag written on shutdown, a "
       "closed channel) or make it a member std::jthread."},
      {"threadleak-jthread-ignores-stop",
       "Finds std::jthreads whose callable never observes its "
       "std::stop_token while it loops forever or blocks.",
       "~jthread() calls request_stop() and then join(). A callable that "
       "never looks at its stop token, or waits where a stop request cannot "
       "reach, never returns, so the destructor and its owner hang. Take a "
       "std::stop_token, test stop_requested() in the loop, and use "
       "stop-aware waits (condition_variable_any::wait(lock, token, pred))."},
      {"threadleak-select-loop-no-exit",
       "Finds endless loops around a multi-way wait in a thread or coroutine "
       "with no exit case and no stop or cancellation check.",
       "A select-style loop (co_await (a || b), a parallel group's "
       "wait_for_one, poll/epoll_wait/select) whose every outcome goes round "
       "again keeps its thread or coroutine, and everything it references, "
       "alive for good. Give one alternative a way out (a stop channel that "
       "breaks, co_return on a closed-channel error), test a stop flag or "
       "std::stop_token, or observe the coroutine's cancellation state."},
  };
  return Checks;
}

} // namespace clang::tidy::threadleak

#endif
