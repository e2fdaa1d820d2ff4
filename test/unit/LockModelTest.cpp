//===--- LockModelTest.cpp - lock events of a function's CFG --------------===//
//
// Each case builds a function, runs the lock model over its CFG (implicit
// destructors on, every expression an element, as the analyses build it)
// and prints the events in order: "+m" acquires m, "-m" releases it.
//
//===----------------------------------------------------------------------===//

#include "model/LockModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Tooling/Tooling.h"
#include "gtest/gtest.h"

using namespace clang;
using namespace clang::ast_matchers;
using namespace clang::tidy::threadleak;

namespace {

const char *Prelude = R"cc(
  namespace std {
    class mutex { public: void lock(); void unlock(); bool try_lock(); };
    struct defer_lock_t {}; inline constexpr defer_lock_t defer_lock{};
    struct adopt_lock_t {}; inline constexpr adopt_lock_t adopt_lock{};
    template <class M> class unique_lock {
    public:
      explicit unique_lock(M &); unique_lock(M &, defer_lock_t);
      unique_lock(M &, adopt_lock_t); ~unique_lock(); void lock(); void unlock();
    };
    template <class M> class lock_guard {
    public: explicit lock_guard(M &); ~lock_guard(); };
    template <class... Ms> class scoped_lock {
    public: explicit scoped_lock(Ms &...); ~scoped_lock(); };
    class condition_variable {
    public: void wait(unique_lock<mutex> &); void notify_all(); };
  }
  typedef struct { int x; } pthread_mutex_t;
  extern "C" int pthread_mutex_lock(pthread_mutex_t *);
  extern "C" int pthread_mutex_unlock(pthread_mutex_t *);
  // A user's RAII guard, and a class that merely takes a mutex.
  class Lockable { public: void Lock(); void Unlock(); };
  class MutexLock { public: explicit MutexLock(Lockable *); ~MutexLock(); };
  class Observer { public: explicit Observer(std::mutex &); };
  std::mutex a, b;
  Lockable l;
  pthread_mutex_t pm;
  std::condition_variable cv;
  struct Holder { std::mutex m; std::mutex &get() { return m; } };
  Holder h;
  struct Wrapper { Holder in; std::mutex &get() { return in.m; } };
  Wrapper w;
)cc";

class LockModelTest : public ::testing::Test {
protected:
  /// The events of `void body() { Code }`, as "+a -a ...".
  std::string events(llvm::StringRef Code) {
    AST = tooling::buildASTFromCodeWithArgs(
        (llvm::Twine(Prelude) + "void body() {" + Code + "}").str(),
        {"-std=c++20"});
    EXPECT_TRUE(AST);
    EXPECT_FALSE(AST->getDiagnostics().hasErrorOccurred());
    auto M = match(functionDecl(hasName("body"), isDefinition()).bind("f"),
                   AST->getASTContext());
    const auto *Fn = M[0].getNodeAs<FunctionDecl>("f");
    CFG::BuildOptions Opts;
    Opts.AddImplicitDtors = true;
    Opts.setAllAlwaysAdd();
    std::unique_ptr<CFG> G =
        CFG::buildCFG(Fn, Fn->getBody(), &AST->getASTContext(), Opts);
    LockModel Locks(NameList::parse(defaults::LockGuardTypes));
    GuardVariables Guards = Locks.guardsIn(Fn->getBody());
    std::string Out;
    // Straight-line snippets: the blocks from the entry, in order.
    for (const CFGBlock *B : llvm::reverse(*G))
      for (const CFGElement &E : *B) {
        llvm::SmallVector<LockEvent, 2> Events;
        Locks.eventsOf(E, Guards, Events);
        for (const LockEvent &Ev : Events) {
          if (!Out.empty())
            Out += " ";
          Out += (Ev.Kind == LockEvent::Acquire ? "+" : "-") +
                 Ev.Mutex->getNameAsString();
        }
      }
    return Out;
  }
  std::unique_ptr<ASTUnit> AST;
};

TEST_F(LockModelTest, GuardsLockAtConstructionAndUnlockAtScopeEnd) {
  EXPECT_EQ(events("{ std::lock_guard<std::mutex> g(a); } a.lock();"),
            "+a -a +a");
  EXPECT_EQ(events("{ std::scoped_lock g(a, b); }"), "+a +b -a -b");
}

TEST_F(LockModelTest, TemporaryGuardIsAnEmptyCriticalSection) {
  EXPECT_EQ(events("std::lock_guard<std::mutex>{a};"), "+a -a");
}

TEST_F(LockModelTest, DeferredAndAdoptedUniqueLocks) {
  EXPECT_EQ(events("std::unique_lock<std::mutex> lk(a, std::defer_lock);"
                   "lk.lock(); lk.unlock();"),
            "+a -a -a");
  EXPECT_EQ(events("a.lock(); std::unique_lock<std::mutex> lk(a, std::adopt_lock);"),
            "+a -a");
}

TEST_F(LockModelTest, WaitReleasesAndReacquires) {
  EXPECT_EQ(events("std::unique_lock<std::mutex> lk(a); cv.wait(lk);"),
            "+a -a +a -a");
}

TEST_F(LockModelTest, PthreadAndUserGuards) {
  EXPECT_EQ(events("pthread_mutex_lock(&pm); pthread_mutex_unlock(&pm);"),
            "+pm -pm");
  EXPECT_EQ(events("{ MutexLock g(&l); } l.Lock(); l.Unlock();"),
            "+l -l +l -l");
}

TEST_F(LockModelTest, NotAGuardWithoutDestructor) {
  EXPECT_EQ(events("Observer o(a);"), "");
}

TEST_F(LockModelTest, AccessorOfAnotherObject) {
  // `h.get()` returns h's own data member: it names that member of h (the
  // object keys say which object: `h.m`), as `h.m` would.
  EXPECT_EQ(events("std::lock_guard<std::mutex> g(h.get());"), "+m -m");
  // `w.get()` returns the mutex of a member of w: a wrapper's and its
  // inner object's names for one lock, which we do not read through.
  EXPECT_EQ(events("std::lock_guard<std::mutex> g(w.get());"), "");
}

} // namespace
