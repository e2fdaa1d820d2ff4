//===--- ThreadPoolModelTest.cpp - a project's thread pool, read from its class
//-===//
//
// model/ThreadPoolModel: which classes are thread pools (a task queue, a
// submit that queues what it is handed, workers that take from the queue),
// what bounds their worker count, and which members run pending tasks.
//
//===----------------------------------------------------------------------===//

#include "model/ThreadPoolModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Lex/Lexer.h"
#include "clang/Tooling/Tooling.h"
#include "gtest/gtest.h"

using namespace clang;
using namespace clang::ast_matchers;
using namespace clang::tidy::threadleak;

namespace {

const char *Prelude = R"cc(
  namespace std {
    template <class T> T &&move(T &t);
    template <class> class function;
    template <class R, class... A> class function<R(A...)> {
    public:
      function();
      template <class F> function(F);
      R operator()(A...) const;
    };
    template <class T> struct deque {
      void push_back(T); void pop_front(); T &front(); bool empty() const;
      unsigned size() const;
    };
    template <class T> struct queue {
      void push(T); void pop(); T &front(); bool empty() const;
    };
    template <class T> struct vector {
      template <class... A> T &emplace_back(A &&...); unsigned size() const;
    };
    template <class T> const T &min(const T &, const T &);
    class thread {
    public:
      thread();
      template <class F> explicit thread(F &&);
      thread &operator=(thread &&);
      void join();
    };
  }
  using Task = std::function<void()>;
)cc";

class ThreadPoolModelTest : public ::testing::Test {
protected:
  void build(llvm::StringRef Code) {
    AST = tooling::buildASTFromCodeWithArgs((llvm::Twine(Prelude) + Code).str(),
                                            {"-std=c++20"});
    ASSERT_TRUE(AST);
  }
  const CXXRecordDecl *record(llvm::StringRef Name) {
    auto M = match(cxxRecordDecl(hasName(Name), isDefinition()).bind("r"),
                   AST->getASTContext());
    return M.empty() ? nullptr : M.front().getNodeAs<CXXRecordDecl>("r");
  }
  std::string text(const Expr *E) {
    return Lexer::getSourceText(
               CharSourceRange::getTokenRange(E->getSourceRange()),
               AST->getSourceManager(), AST->getLangOpts())
        .str();
  }
  ThreadPoolModel Model{NameList::parse("::std::thread")};
  std::unique_ptr<ASTUnit> AST;
};

TEST_F(ThreadPoolModelTest, APoolStartedInALoop) {
  build(R"cc(
    class Pool {
    public:
      explicit Pool(unsigned n) {
        for (unsigned i = 0; i < n; ++i)
          workers_.emplace_back([this] { run(); });
      }
      void submit(Task t) { q_.push_back(std::move(t)); }
      void helpWhileWaiting() {
        Task t = std::move(q_.front());
        q_.pop_front();
        t();
      }
    private:
      void run() {
        for (;;) {
          Task t = std::move(q_.front());
          q_.pop_front();
          t();
        }
      }
      std::deque<Task> q_;
      std::vector<std::thread> workers_;
    };
  )cc");
  const ThreadPoolClass *P = Model.poolOf(record("Pool"));
  ASSERT_TRUE(P);
  EXPECT_EQ(P->Queue->getName(), "q_");
  ASSERT_EQ(P->Submits.size(), 1u);
  EXPECT_EQ(P->Submits.begin()->first->getName(), "submit");
  ASSERT_EQ(P->Workers.size(), 1u);
  EXPECT_FALSE(P->Workers[0].Unbounded);
  ASSERT_EQ(P->Workers[0].Bounds.size(), 1u);
  EXPECT_EQ(text(P->Workers[0].Bounds[0]), "n");
  ASSERT_EQ(P->Helpers.size(), 1u);
  EXPECT_EQ((*P->Helpers.begin())->getName(), "helpWhileWaiting");
}

TEST_F(ThreadPoolModelTest, AGrowingPoolIsBoundedByItsGuard) {
  build(R"cc(
    class Grow {
    public:
      void schedule(Task t) {
        if (threads_.size() < std::min(max_, jobs_ + 1))
          threads_.emplace_back([this] { work(); });
        q_.push(std::move(t));
        ++jobs_;
      }
    private:
      void work() { Task t = std::move(q_.front()); q_.pop(); t(); }
      std::queue<Task> q_;
      std::vector<std::thread> threads_;
      unsigned max_ = 4, jobs_ = 0;
    };
  )cc");
  const ThreadPoolClass *P = Model.poolOf(record("Grow"));
  ASSERT_TRUE(P);
  ASSERT_EQ(P->Workers.size(), 1u);
  ASSERT_EQ(P->Workers[0].Bounds.size(), 2u);
  EXPECT_EQ(text(P->Workers[0].Bounds[0]), "max_");
  EXPECT_EQ(text(P->Workers[0].Bounds[1]), "jobs_ + 1");
}

TEST_F(ThreadPoolModelTest, NotPools) {
  build(R"cc(
    // Queues callables, but nothing takes them: a registry.
    class Registry {
    public:
      Registry() { t_ = std::thread([this] { idle(); }); }
      void add(Task t) { q_.push(std::move(t)); }
    private:
      void idle() {}
      std::queue<Task> q_;
      std::thread t_;
    };
    // Its submit may run the task on the caller's thread.
    class Inline {
    public:
      Inline() { t_ = std::thread([this] { run(); }); }
      void submit(Task t, bool now) {
        if (now) {
          t();
          return;
        }
        q_.push(std::move(t));
      }
    private:
      void run() { Task t = std::move(q_.front()); q_.pop(); t(); }
      std::queue<Task> q_;
      std::thread t_;
    };
    // Starts a thread per call of start(): no bound.
    class Spawner {
    public:
      void start() { threads_.emplace_back([this] { run(); }); }
      void submit(Task t) { q_.push(std::move(t)); }
    private:
      void run() { Task t = std::move(q_.front()); q_.pop(); t(); }
      std::queue<Task> q_;
      std::vector<std::thread> threads_;
    };
  )cc");
  EXPECT_FALSE(Model.poolOf(record("Registry")));
  EXPECT_FALSE(Model.poolOf(record("Inline")));
  const ThreadPoolClass *S = Model.poolOf(record("Spawner"));
  ASSERT_TRUE(S);
  ASSERT_EQ(S->Workers.size(), 1u);
  EXPECT_TRUE(S->Workers[0].Unbounded);
}

} // namespace
