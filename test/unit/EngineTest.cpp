//===--- EngineTest.cpp - the CFG engine on small functions ---------------===//
//
// Each case builds an AST from a snippet, finds the function "body" and asks
// the engine the question the checks ask.
//
//===----------------------------------------------------------------------===//

#include "engine/BodyResolver.h"
#include "engine/ForeverAnalysis.h"
#include "engine/StopTokenUse.h"
#include "clang/AST/ASTContext.h"
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
    class stop_token { public: bool stop_requested() const noexcept; };
    [[noreturn]] void exit(int);
  }
  bool external_flag();
  void work();
  void external_with_token(std::stop_token);
  namespace boost { namespace this_thread { void interruption_point(); } }
)cc";

class EngineTest : public ::testing::Test {
protected:
  void build(llvm::StringRef Code) {
    AST = tooling::buildASTFromCodeWithArgs((llvm::Twine(Prelude) + Code).str(),
                                            {"-std=c++20"});
    ASSERT_TRUE(AST);
    ASSERT_FALSE(AST->getDiagnostics().hasErrorOccurred());
    Model.StopSignalFunctions = NameList::parse(defaults::StopSignalFunctions);
    Model.BlockingFunctions = NameList::parse(defaults::BlockingFunctions);
    Analysis = std::make_unique<ForeverAnalysis>(AST->getASTContext(), Model);
  }
  const FunctionDecl *fn(llvm::StringRef Name) {
    auto M = match(functionDecl(hasName(Name), isDefinition()).bind("f"),
                   AST->getASTContext());
    return M.empty() ? nullptr : M[0].getNodeAs<FunctionDecl>("f");
  }
  std::optional<EndlessLoop> loopIn(llvm::StringRef Code) {
    build(Code);
    if (::testing::Test::HasFatalFailure())
      return std::nullopt;
    const FunctionDecl *Body = fn("body");
    EXPECT_TRUE(Body);
    return Analysis->findEndlessLoop(Body);
  }

  std::unique_ptr<ASTUnit> AST;
  ConcurrencyModel Model;
  std::unique_ptr<ForeverAnalysis> Analysis;
};

TEST_F(EngineTest, LoopsWithNoExitRunForever) {
  EXPECT_TRUE(loopIn("void body() { for (;;) work(); }"));
  EXPECT_TRUE(loopIn("void body() { while (true) { work(); } }"));
  EXPECT_TRUE(loopIn("void body() { do { work(); } while (1); }"));
  EXPECT_TRUE(loopIn("void body() { again: work(); goto again; }"));
  // An inner break leaves only the inner loop.
  EXPECT_TRUE(loopIn(
      "void body() { for (;;) { for (;;) { if (external_flag()) break; } } }"));
  // A try/catch inside the loop swallows what would have left it.
  EXPECT_TRUE(loopIn(
      "void body() { for (;;) { try { work(); } catch (...) {} } }"));
}

TEST_F(EngineTest, ExitsEndTheLoop) {
  EXPECT_FALSE(loopIn("void body() { for (;;) { if (external_flag()) break; } }"));
  EXPECT_FALSE(loopIn("void body() { for (;;) { if (external_flag()) return; } }"));
  EXPECT_FALSE(loopIn("void body() { for (;;) { if (external_flag()) throw 1; } }"));
  EXPECT_FALSE(loopIn("void body() { while (external_flag()) work(); }"));
  EXPECT_FALSE(loopIn("void body() { for (int i = 0; i < 10; ++i) work(); }"));
  EXPECT_FALSE(loopIn("void body() { for (;;) { work(); std::exit(0); } }"));
  EXPECT_FALSE(loopIn(
      "void body() { for (;;) { boost::this_thread::interruption_point(); } }"));
  // An enclosing try: the loop is meant to be left by an exception.
  EXPECT_FALSE(loopIn("void body() { try { for (;;) work(); } catch (...) {} }"));
  // A callee that may throw.
  EXPECT_FALSE(loopIn(
      "void check() { if (external_flag()) throw 1; }"
      "void body() { for (;;) { check(); } }"));
  // A stop token handed to code we cannot see.
  EXPECT_FALSE(loopIn(
      "void body(std::stop_token st) { for (;;) external_with_token(st); }"));
}

TEST_F(EngineTest, UnchangingConditions) {
  auto L = loopIn("void body() { bool running = true; while (running) work(); }");
  ASSERT_TRUE(L);
  EXPECT_EQ(L->Kind, EndlessLoop::UnchangingCondition);
  // Parameters by value are the body's own copies.
  EXPECT_TRUE(loopIn("void body(int n) { while (n > 0) work(); }"));
  // Written in the loop, through a pointer, or by a lambda: can change.
  EXPECT_FALSE(loopIn("void body() { bool r = true; while (r) { r = external_flag(); } }"));
  EXPECT_FALSE(loopIn("void reg(bool *); void body() { bool r = true; reg(&r); while (r) work(); }"));
  EXPECT_FALSE(loopIn("void reg(void (*)()); void body() { bool r = true; auto f = [&] { r = false; }; while (r) work(); }"));
  // Globals and references: someone else may write them.
  EXPECT_FALSE(loopIn("bool g; void body() { while (!g) work(); }"));
  EXPECT_FALSE(loopIn("void body(const bool &r) { while (!r) work(); }"));
  // do-while: the first iteration runs regardless, so no claim is made.
  EXPECT_FALSE(loopIn("void body(bool again) { do { work(); } while (again); }"));
}

TEST_F(EngineTest, FollowsCallsToBoundedDepth) {
  auto L = loopIn("void spin() { for (;;) work(); }"
                  "void mid() { spin(); }"
                  "void body() { mid(); }");
  ASSERT_TRUE(L);
  EXPECT_EQ(L->CallChain.size(), 2u);
  EXPECT_EQ(L->Function->getName(), "spin");

  build("void d5() { for (;;) work(); } void d4() { d5(); } void d3() { d4(); }"
        "void d2() { d3(); } void d1() { d2(); } void body() { d1(); }");
  Model.MaxCallDepth = 4;
  EXPECT_FALSE(Analysis->findEndlessLoop(fn("body")));
  Model.MaxCallDepth = 5;
  Analysis = std::make_unique<ForeverAnalysis>(AST->getASTContext(), Model);
  EXPECT_TRUE(Analysis->findEndlessLoop(fn("body")));
}

TEST_F(EngineTest, RecursionTerminates) {
  EXPECT_FALSE(loopIn("void body(); void a() { body(); } void body() { a(); }"));
}

TEST_F(EngineTest, StopTokenUse) {
  build("void ignores(std::stop_token) {}"
        "void checks(std::stop_token s) { (void)s.stop_requested(); }"
        "void a(std::stop_token st) { work(); }"
        "void b(std::stop_token st) { (void)st; ignores(st); }"
        "void c(std::stop_token st) { checks(st); }"
        "void d(std::stop_token st) { external_with_token(st); }"
        "void e(int) {}");
  ASTContext &Ctx = AST->getASTContext();
  EXPECT_EQ(analyzeStopToken(fn("a"), Ctx, 4).Use, TokenUse::Ignored);
  EXPECT_EQ(analyzeStopToken(fn("b"), Ctx, 4).Use, TokenUse::Ignored);
  EXPECT_EQ(analyzeStopToken(fn("c"), Ctx, 4).Use, TokenUse::Consulted);
  EXPECT_EQ(analyzeStopToken(fn("d"), Ctx, 4).Use, TokenUse::Consulted);
  EXPECT_EQ(analyzeStopToken(fn("e"), Ctx, 4).Use, TokenUse::NoToken);
}

TEST_F(EngineTest, ResolvesCallables) {
  build(R"cc(
    struct W { void run(); void operator()() const; };
    void W::run() {}
    void W::operator()() const {}
    void free_fn() {}
    template <class F> void spawn(F &&) {}
    template <class F, class... A> int bind(F &&, A &&...);
    void body() {
      spawn([] {});
      spawn(free_fn);
      spawn(&free_fn);
      spawn(&W::run);
      spawn(W{});
      void (*fp)() = free_fn;
      spawn(fp);
    }
  )cc");
  auto Calls = match(callExpr(callee(functionDecl(hasName("spawn")))).bind("c"),
                     AST->getASTContext());
  ASSERT_EQ(Calls.size(), 6u);
  std::vector<const CallExpr *> Sorted;
  for (const auto &M : Calls)
    Sorted.push_back(M.getNodeAs<CallExpr>("c"));
  const SourceManager &SM = AST->getSourceManager();
  std::sort(Sorted.begin(), Sorted.end(), [&](const CallExpr *A, const CallExpr *B) {
    return SM.isBeforeInTranslationUnit(A->getBeginLoc(), B->getBeginLoc());
  });
  std::vector<std::string> Names;
  for (const CallExpr *Call : Sorted) {
    ResolvedBody R = resolveCallable(Call->getArg(0));
    Names.push_back(R ? R.Function->getNameAsString() : "<none>");
  }
  EXPECT_EQ(Names, (std::vector<std::string>{"operator()", "free_fn", "free_fn",
                                             "run", "operator()", "free_fn"}));
}

} // namespace

namespace {

TEST_F(EngineTest, CrashesAreNoWayOut) {
  // assert() and abort() end the process, they do not stop a thread.
  EXPECT_TRUE(loopIn(
      "[[noreturn]] void __assert_fail(const char *);"
      "void body() { for (;;) { if (!external_flag()) __assert_fail(\"x\"); work(); } }"));
  EXPECT_TRUE(loopIn(
      "namespace std { [[noreturn]] void abort(); }"
      "void body() { for (;;) { if (external_flag()) std::abort(); work(); } }"));
  // A throw caught inside the loop does not leave it.
  EXPECT_TRUE(loopIn(
      "void body() { for (;;) { try { if (external_flag()) throw 1; } catch (...) {} } }"));
  // exit() is a deliberate end.
  EXPECT_FALSE(loopIn(
      "void body() { for (;;) { if (external_flag()) std::exit(0); work(); } }"));
}

} // namespace

namespace {

TEST_F(EngineTest, ExitSummariesIgnoreTheLoopSearchDepth) {
  // The loop search depth limits where loops are looked for, not how deep a
  // throw may sit below the loop: MaxCallDepth 0 must not report this.
  build("void c() { if (external_flag()) throw 1; }"
        "void b() { c(); } void a() { b(); }"
        "void body() { for (;;) { a(); work(); } }");
  Model.MaxCallDepth = 0;
  Analysis = std::make_unique<ForeverAnalysis>(AST->getASTContext(), Model);
  EXPECT_FALSE(Analysis->findEndlessLoop(fn("body")));
}

TEST_F(EngineTest, InterruptionPointsStopOnlyInterruptibleThreads) {
  const char *Code =
      "void body() { for (;;) boost::this_thread::interruption_point(); }";
  EXPECT_FALSE(loopIn(Code));
  Model.InterruptionPointsStop = false;
  EXPECT_TRUE(loopIn(Code));
  // The exits are not interruption points.
  EXPECT_FALSE(loopIn("void body() { for (;;) std::exit(0); }"));
  Model.InterruptionPointsStop = true;
}

TEST_F(EngineTest, TokenOnlyLoops) {
  build("void body(std::stop_token st) {"
        "  while (!st.stop_requested()) work();"
        "}"
        "void both(std::stop_token st) {"
        "  while (!st.stop_requested() && external_flag()) work();"
        "}"
        "void breaks(std::stop_token st) {"
        "  for (;;) { if (st.stop_requested()) break; work(); }"
        "}"
        "void returns(std::stop_token st) {"
        "  for (;;) { if (external_flag()) return; if (st.stop_requested()) break; }"
        "}");
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  auto Token = [&](const char *F) { return fn(F)->getParamDecl(0); };
  EXPECT_EQ(Analysis->tokenOnlyLoops(fn("body"), Token("body")).size(), 1u);
  EXPECT_EQ(Analysis->tokenOnlyLoops(fn("breaks"), Token("breaks")).size(), 1u);
  // Another way out: not only a stop request ends them.
  EXPECT_TRUE(Analysis->tokenOnlyLoops(fn("both"), Token("both")).empty());
  EXPECT_TRUE(Analysis->tokenOnlyLoops(fn("returns"), Token("returns")).empty());
}

} // namespace
