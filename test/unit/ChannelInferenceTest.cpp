//===--- ChannelInferenceTest.cpp - classes read as channels --------------===//
//
// Each case declares one class after a small prelude, infers it, and prints
// what it is: "unbuffered", "capacity arg N", "capacity N" or "capacity ?",
// then each operation as "name=kind" in declaration order; "-" when the
// class is not read as a channel.
//
//===----------------------------------------------------------------------===//

#include "model/ChannelInference.h"
#include "model/ChannelModel.h"
#include "model/CounterModel.h"
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
    class mutex { public: void lock(); void unlock(); };
    template <class M> class unique_lock {
    public: explicit unique_lock(M &); ~unique_lock(); };
    template <class M> class lock_guard {
    public: explicit lock_guard(M &); ~lock_guard(); };
    class stop_token { public: bool stop_requested() const; };
    class condition_variable {
    public:
      void wait(unique_lock<mutex> &);
      template <class P> void wait(unique_lock<mutex> &, P);
      template <class P> bool wait_for(unique_lock<mutex> &, long, P);
      void notify_one(); void notify_all();
    };
    class condition_variable_any {
    public:
      template <class L, class P> void wait(L &, P);
      template <class L, class P> bool wait(L &, stop_token, P);
      void notify_one(); void notify_all();
    };
    template <class T> class deque {
    public:
      bool empty() const; unsigned long size() const; T &front();
      void push_back(T); void pop_front();
    };
    struct nullopt_t {}; inline constexpr nullopt_t nullopt{};
    template <class T> class optional {
    public:
      optional(); optional(nullopt_t); optional(T);
      optional &operator=(T); optional &operator=(nullopt_t);
      bool has_value() const; void reset(); T &operator*();
    };
  }
)cc";

class ChannelInferenceTest : public ::testing::Test {
protected:
  std::string infer(llvm::StringRef Code, llvm::StringRef Class = "C") {
    AST = tooling::buildASTFromCodeWithArgs((llvm::Twine(Prelude) + Code).str(),
                                            {"-std=c++20"}, "input.cc");
    if (!AST)
      return "<no AST>";
    auto M =
        match(cxxRecordDecl(hasName(Class.str()), isDefinition()).bind("c"),
              AST->getASTContext());
    if (M.empty())
      return "<no class>";
    const auto *RD = M.front().getNodeAs<CXXRecordDecl>("c");
    std::unique_ptr<InferredChannel> IC = inferChannel(RD);
    if (!IC)
      return "-";
    std::string Out;
    const ChannelSpec &S = IC->Spec;
    if (S.Unbuffered)
      Out = "unbuffered";
    else if (S.CapacityArgument)
      Out = "capacity arg " + std::to_string(*S.CapacityArgument);
    else if (S.DefaultCapacity)
      Out = "capacity " + std::to_string(*S.DefaultCapacity);
    else
      Out = "capacity ?";
    for (const CXXMethodDecl *MD : IC->Class->methods())
      if (IC->kindOf(MD) != ChannelOpKind::None)
        Out +=
            " " + MD->getNameAsString() + "=" + channelOpName(IC->kindOf(MD));
    return Out;
  }
  std::unique_ptr<ASTUnit> AST;
};

TEST_F(ChannelInferenceTest, DequeBufferedWithCapacityArgument) {
  EXPECT_EQ(infer(R"cc(
    class C {
    public:
      explicit C(unsigned long cap) : cap_(cap) {}
      void push(int v) {
        std::unique_lock<std::mutex> lk(m_);
        full_.wait(lk, [this] { return q_.size() < cap_; });
        q_.push_back(v);
        empty_.notify_one();
      }
      int pop() {
        std::unique_lock<std::mutex> lk(m_);
        while (q_.empty())
          empty_.wait(lk);
        int v = q_.front();
        q_.pop_front();
        full_.notify_one();
        return v;
      }
    private:
      std::mutex m_;
      std::condition_variable full_, empty_;
      std::deque<int> q_;
      unsigned long cap_;
    };
  )cc"),
            "capacity arg 0 push=send pop=receive");
}

TEST_F(ChannelInferenceTest, ConstantCapacityAsLoopCondition) {
  EXPECT_EQ(infer(R"cc(
    class C {
    public:
      void put(int v) {
        std::unique_lock<std::mutex> lk(m_);
        while (q_.size() >= 4)
          cv_.wait(lk);
        q_.push_back(v);
        cv_.notify_all();
      }
      bool try_get(int &v) {
        std::lock_guard<std::mutex> lk(m_);
        if (q_.empty())
          return false;
        v = q_.front();
        q_.pop_front();
        return true;
      }
      int get() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return !q_.empty(); });
        int v = q_.front();
        q_.pop_front();
        return v;
      }
    private:
      std::mutex m_;
      std::condition_variable cv_;
      std::deque<int> q_;
    };
  )cc"),
            "capacity 4 put=send try_get=try-receive get=receive");
}

TEST_F(ChannelInferenceTest, CountedTokensAreUnbufferedByName) {
  EXPECT_EQ(infer(R"cc(
    class C {
    public:
      void send() {
        std::unique_lock<std::mutex> lk(m_);
        unsigned long t = ++offered_;
        cv_.notify_all();
        cv_.wait(lk, [&] { return taken_ >= t || closed_; });
      }
      bool try_receive() {
        std::lock_guard<std::mutex> lk(m_);
        if (taken_ < offered_) { ++taken_; cv_.notify_all(); return true; }
        return closed_;
      }
      void close() {
        std::lock_guard<std::mutex> lk(m_);
        closed_ = true;
        cv_.notify_all();
      }
    private:
      std::mutex m_;
      std::condition_variable cv_;
      unsigned long offered_ = 0, taken_ = 0;
      bool closed_ = false;
    };
  )cc"),
            "unbuffered send=send try_receive=try-receive close=close");
}

TEST_F(ChannelInferenceTest, OptionalSlotTemplateAndStopTokenOverload) {
  EXPECT_EQ(infer(R"cc(
    template <class T> class C {
    public:
      void send(T v) {
        std::unique_lock<std::mutex> lk(m_);
        slot_ = v;
        cv_.notify_all();
        cv_.wait(lk, [this] { return !slot_.has_value(); });
      }
      T recv() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return slot_.has_value(); });
        T v = *slot_;
        slot_.reset();
        cv_.notify_all();
        return v;
      }
      std::optional<T> recv(std::stop_token st) {
        std::unique_lock<std::mutex> lk(m_);
        if (!cv_.wait(lk, st, [this] { return slot_.has_value(); }))
          return std::nullopt;
        T v = *slot_;
        slot_ = std::nullopt;
        return v;
      }
    private:
      std::mutex m_;
      std::condition_variable_any cv_;
      std::optional<T> slot_;
    };
    C<int> use;
  )cc"),
            "unbuffered send=send recv=receive recv=try-receive");
}

TEST_F(ChannelInferenceTest, UnboundedQueueSendsNeverBlock) {
  EXPECT_EQ(infer(R"cc(
    class C {
    public:
      void push(int v) {
        std::lock_guard<std::mutex> lk(m_);
        q_.push_back(v);
        cv_.notify_one();
      }
      int pop() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return !q_.empty(); });
        int v = q_.front();
        q_.pop_front();
        return v;
      }
      int pop_for(long ms) {
        std::unique_lock<std::mutex> lk(m_);
        if (!cv_.wait_for(lk, ms, [this] { return !q_.empty(); }))
          return -1;
        int v = q_.front();
        q_.pop_front();
        return v;
      }
    private:
      std::mutex m_;
      std::condition_variable cv_;
      std::deque<int> q_;
    };
  )cc"),
            "capacity ? push=try-send pop=receive pop_for=try-receive");
}

TEST_F(ChannelInferenceTest, WorkerLoopIsNoReceive) {
  // run() takes in a loop of its own: a consumer, and with no receive the
  // class is no channel.
  EXPECT_EQ(infer(R"cc(
    class C {
    public:
      void submit(int v) {
        std::lock_guard<std::mutex> lk(m_);
        q_.push_back(v);
        cv_.notify_one();
      }
      void run() {
        for (;;) {
          std::unique_lock<std::mutex> lk(m_);
          cv_.wait(lk, [this] { return !q_.empty(); });
          q_.pop_front();
        }
      }
    private:
      std::mutex m_;
      std::condition_variable cv_;
      std::deque<int> q_;
    };
  )cc"),
            "-");
}

TEST_F(ChannelInferenceTest, LockOnConditionVariableIsNoChannel) {
  EXPECT_EQ(infer(R"cc(
    class C {
    public:
      void read_lock() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return state_ >= 0; });
        ++state_;
      }
      void read_unlock() {
        std::lock_guard<std::mutex> lk(m_);
        if (--state_ == 0) cv_.notify_all();
      }
      void lock() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return state_ == 0; });
        state_ = -1;
      }
      void unlock() {
        std::lock_guard<std::mutex> lk(m_);
        state_ = 0;
        cv_.notify_all();
      }
    private:
      std::mutex m_;
      std::condition_variable cv_;
      int state_ = 0;
    };
  )cc"),
            "-");
}

TEST_F(ChannelInferenceTest, EventWithoutItemsIsNoChannel) {
  // A one-shot event: set() and wait(), nothing put or taken.
  EXPECT_EQ(infer(R"cc(
    class C {
    public:
      void set() {
        std::lock_guard<std::mutex> lk(m_);
        done_ = true;
        cv_.notify_all();
      }
      void wait() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return done_; });
      }
    private:
      std::mutex m_;
      std::condition_variable cv_;
      bool done_ = false;
    };
  )cc"),
            "-");
}

} // namespace

//===-- Wait groups written on a condition variable
//------------------------===//

namespace {
/// Each operation of class C read as a wait group, "name=kind" in
/// declaration order; "-" when it is not one.
std::string inferCounter(llvm::StringRef Code, std::unique_ptr<ASTUnit> &AST) {
  AST = tooling::buildASTFromCodeWithArgs((llvm::Twine(Prelude) + Code).str(),
                                          {"-std=c++20"}, "input.cc");
  if (!AST)
    return "<no AST>";
  auto M = match(cxxRecordDecl(hasName("C"), isDefinition()).bind("c"),
                 AST->getASTContext());
  if (M.empty())
    return "<no class>";
  const auto *RD = M.front().getNodeAs<CXXRecordDecl>("c");
  std::optional<InferredCounter> IC = inferWaitGroup(RD);
  if (!IC)
    return "-";
  std::string Out;
  for (const CXXMethodDecl *MD : RD->methods()) {
    auto It = IC->Ops.find(MD->getCanonicalDecl());
    if (It == IC->Ops.end())
      continue;
    Out += (Out.empty() ? "" : " ") + MD->getNameAsString() + "=" +
           (It->second == CounterOpKind::Wait     ? "wait"
            : It->second == CounterOpKind::Signal ? "done"
                                                  : "add");
  }
  return Out;
}
} // namespace

TEST(CounterInferenceTest, PredicateAndLoopWaits) {
  std::unique_ptr<ASTUnit> AST;
  const char *Body = R"cc(
    class C {
    public:
      void Add(int n) { std::lock_guard<std::mutex> lk(m_); n_ += n; }
      void Done() {
        std::lock_guard<std::mutex> lk(m_);
        if (--n_ == 0) cv_.notify_all();
      }
      void Wait() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return n_ == 0; });
      }
      int count() const { return n_; }
    private:
      std::mutex m_; std::condition_variable cv_; int n_ = 0;
    };
  )cc";
  EXPECT_EQ(inferCounter(Body, AST), "Add=add Done=done Wait=wait");
  EXPECT_EQ(inferCounter(R"cc(
    class C {
    public:
      void add() { ++n_; }
      void done() { n_ -= 1; cv_.notify_one(); }
      void wait() {
        std::unique_lock<std::mutex> lk(m_);
        while (n_ > 0) cv_.wait(lk);
      }
    private:
      std::mutex m_; std::condition_variable cv_; unsigned n_ = 0;
    };
  )cc",
                         AST),
            "add=add done=done wait=wait");
}

TEST(CounterInferenceTest, NotWaitGroups) {
  std::unique_ptr<ASTUnit> AST;
  // A timed wait.
  EXPECT_EQ(inferCounter(R"cc(
    class C {
    public:
      void add() { ++n_; }
      void done() { --n_; cv_.notify_all(); }
      void wait() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait_for(lk, 1, [this] { return n_ == 0; });
      }
    private:
      std::mutex m_; std::condition_variable cv_; int n_ = 0;
    };
  )cc",
                         AST),
            "-");
  // No add: a latch whose count the constructor sets is not read (yet).
  EXPECT_EQ(inferCounter(R"cc(
    class C {
    public:
      explicit C(int n) : n_(n) {}
      void done() { --n_; cv_.notify_all(); }
      void wait() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return n_ == 0; });
      }
    private:
      std::mutex m_; std::condition_variable cv_; int n_;
    };
  )cc",
                         AST),
            "-");
  // Waits for something else; two counts; a method that lowers and waits.
  EXPECT_EQ(inferCounter(R"cc(
    class C {
    public:
      void add() { ++n_; }
      void done() { --n_; cv_.notify_all(); }
      void wait() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return open_; });
      }
    private:
      std::mutex m_; std::condition_variable cv_; int n_ = 0; bool open_;
    };
  )cc",
                         AST),
            "-");
  EXPECT_EQ(inferCounter(R"cc(
    class C {
    public:
      void add() { ++n_; }
      void done() { --m_count; cv_.notify_all(); }
      void wait() {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return n_ == 0; });
      }
    private:
      std::mutex m_; std::condition_variable cv_; int n_ = 0, m_count = 0;
    };
  )cc",
                         AST),
            "-");
  EXPECT_EQ(inferCounter(R"cc(
    class C {
    public:
      void add() { ++n_; }
      void arrive() {
        std::unique_lock<std::mutex> lk(m_);
        if (--n_ == 0) cv_.notify_all();
        cv_.wait(lk, [this] { return n_ == 0; });
      }
    private:
      std::mutex m_; std::condition_variable cv_; int n_ = 0;
    };
  )cc",
                         AST),
            "-");
}
