//===--- CallGraphTest.cpp - the translation unit's code and its calls ----===//
//
// The call graph of the concurrency model: the code units a translation
// unit has (functions, lambdas, lambdas in member initialisers), the calls
// between them with the body each runs (direct calls, a lambda called
// through its variable, std::call_once, virtual calls resolved over the
// translation unit's classes) and the reverse edges. Each case builds the
// inventory the way the checks do (InventoryCollector's matchers, then
// take()).
//
//===----------------------------------------------------------------------===//

#include "engine/ClassHierarchy.h"
#include "engine/SyncInventory.h"
#include "model/WaitModel.h"
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
    struct once_flag {};
    template <class F> void call_once(once_flag &, F &&f) {}
  }
  void external();
)cc";

class CallGraphTest : public ::testing::Test, MatchFinder::MatchCallback {
protected:
  void build(llvm::StringRef Code) {
    AST = tooling::buildASTFromCodeWithArgs((llvm::Twine(Prelude) + Code).str(),
                                            {"-std=c++20"});
    ASSERT_TRUE(AST);
    MatchFinder Finder;
    Collector.registerMatchers(&Finder, this);
    Finder.matchAST(AST->getASTContext());
    Inv = Collector.take(AST->getASTContext(), CVs);
  }
  void run(const MatchFinder::MatchResult &Result) override {
    Collector.collect(Result);
  }
  const FunctionDecl *function(llvm::StringRef Name) {
    auto M =
        match(functionDecl(hasName(Name), isDefinition(), unless(isImplicit()))
                  .bind("f"),
              AST->getASTContext());
    return M.empty() ? nullptr : M.front().getNodeAs<FunctionDecl>("f");
  }
  const CodeUnit *unit(llvm::StringRef Name) {
    const FunctionDecl *FD = function(Name);
    return FD ? Inv->unitOf(FD) : nullptr;
  }
  /// The units that call \p Name, by their function's name ("lambda" for
  /// a lambda's), in the order the inventory found them.
  std::vector<std::string> callers(llvm::StringRef Name) {
    std::vector<std::string> Out;
    for (const auto &[U, Call] : Inv->callersOf(function(Name))) {
      (void)Call;
      Out.push_back(U->Lambda ? std::string("lambda")
                              : U->Fn->getQualifiedNameAsString());
    }
    return Out;
  }
  /// What \p U calls, by name.
  static std::vector<std::string> callees(const CodeUnit *U) {
    std::vector<std::string> Out;
    for (const auto &[Call, FD] : U->Calls) {
      (void)Call;
      const auto *MD = llvm::dyn_cast<CXXMethodDecl>(FD);
      Out.push_back(MD && MD->getParent()->isLambda()
                        ? std::string("lambda")
                        : FD->getQualifiedNameAsString());
    }
    return Out;
  }

  std::unique_ptr<ASTUnit> AST;
  InventoryCollector Collector;
  ConditionVariableModel CVs{NameList()};
  std::unique_ptr<SyncInventory> Inv;
};

using Names = std::vector<std::string>;

TEST_F(CallGraphTest, DirectCallsAndTheirCallers) {
  build(R"cc(
    void leaf() {}
    void mid() { leaf(); external(); }
    void top() { mid(); leaf(); }
  )cc");
  EXPECT_EQ(callees(unit("top")), (Names{"mid", "leaf"}));
  // A function without a body here is no edge.
  EXPECT_EQ(callees(unit("mid")), (Names{"leaf"}));
  EXPECT_EQ(callers("leaf"), (Names{"mid", "top"}));
  EXPECT_TRUE(callers("top").empty());
}

TEST_F(CallGraphTest, LambdasAreUnitsOfTheirOwn) {
  build(R"cc(
    void leaf() {}
    void viaVariable() {
      auto l = [] { leaf(); };
      l();
    }
    void onTheSpot() { [] { leaf(); }(); }
  )cc");
  // The lambda's body is its own unit; calling the closure through its
  // variable is a call of that unit.
  EXPECT_EQ(callees(unit("viaVariable")), (Names{"lambda"}));
  EXPECT_EQ(callers("leaf"), (Names{"lambda", "lambda"}));
  size_t Lambdas = 0;
  for (const auto &U : Inv->units())
    Lambdas += U->Lambda != nullptr;
  EXPECT_EQ(Lambdas, 2u);
}

TEST_F(CallGraphTest, CallOnceCallsItsCallable) {
  build(R"cc(
    std::once_flag once;
    void init() {}
    void get() { std::call_once(once, init); }
    void getLambda() { std::call_once(once, [] { init(); }); }
  )cc");
  EXPECT_EQ(callees(unit("get")), (Names{"init"}));
  EXPECT_EQ(callees(unit("getLambda")), (Names{"lambda"}));
  EXPECT_EQ(callers("init"), (Names{"get", "lambda"}));
}

TEST_F(CallGraphTest, AVirtualCallWithOneOverriderIsACall) {
  build(R"cc(
    struct Task {
      virtual ~Task() = default;
      virtual void run() = 0;
    };
    struct Only final : Task {
      void run() override {}
    };
    void go(Task &t) { t.run(); }
  )cc");
  EXPECT_EQ(callees(unit("go")), (Names{"Only::run"}));
  EXPECT_TRUE(unit("go")->Dispatches.empty());
  EXPECT_EQ(callers("Only::run"), (Names{"go"}));
}

TEST_F(CallGraphTest, SeveralOverridersAreADispatch) {
  build(R"cc(
    struct Shape {
      virtual ~Shape() = default;
      virtual void draw() = 0;
    };
    struct Square : Shape { void draw() override {} };
    struct Circle : Shape { void draw() override {} };
    struct Abstract : Shape {};
    void render(Shape &s) { s.draw(); }
  )cc");
  const CodeUnit *U = unit("render");
  ASSERT_TRUE(U);
  EXPECT_TRUE(U->Calls.empty());
  ASSERT_EQ(U->Dispatches.size(), 1u);
  // In source order; the abstract class adds nothing.
  Names Targets;
  for (const FunctionDecl *FD : U->Dispatches.front().Targets)
    Targets.push_back(FD->getQualifiedNameAsString());
  EXPECT_EQ(Targets, (Names{"Square::draw", "Circle::draw"}));
  // The hierarchy is the main file's: no other translation unit adds an
  // overrider.
  const DispatchTargets &T = ClassHierarchy::of(AST->getASTContext())
                                 .targets(U->Dispatches.front().Call);
  EXPECT_TRUE(T.Closed);
  EXPECT_TRUE(T.Complete);
  EXPECT_EQ(T.unique(), nullptr);
}

TEST_F(CallGraphTest, AMethodPointerRunsTheOverridersOfItsClass) {
  build(R"cc(
    struct Base {
      virtual ~Base() = default;
      virtual void step() {}
    };
    struct Derived : Base { void step() override {} };
    struct Unrelated { virtual void step() {} };
  )cc");
  const auto *M = llvm::cast<CXXMethodDecl>(function("Base::step"));
  DispatchTargets T =
      ClassHierarchy::of(AST->getASTContext()).targets(M, nullptr);
  Names Targets;
  for (const FunctionDecl *FD : T.Fns)
    Targets.push_back(FD->getQualifiedNameAsString());
  EXPECT_EQ(Targets, (Names{"Base::step", "Derived::step"}));
}

TEST_F(CallGraphTest, LambdasInMemberInitialisersAreUnits) {
  build(R"cc(
    void leaf() {}
    struct Holder {
      void (*fp)() = [] { leaf(); };
      int n;
      Holder() : n([] { leaf(); return 1; }()) {}
    };
  )cc");
  // One from the default member initialiser, one from the constructor's.
  EXPECT_EQ(callers("leaf"), (Names{"lambda", "lambda"}));
}

} // namespace
