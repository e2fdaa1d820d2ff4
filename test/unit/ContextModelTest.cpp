//===--- ContextModelTest.cpp - Go-style contexts --------------------------===//
//
// The model's half of contexts: which calls read a context's done channel,
// cancel it, or make one (and from which parent), and which class a
// factory's result holds.
//
//===----------------------------------------------------------------------===//

#include "model/ContextModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Tooling/Tooling.h"
#include "gtest/gtest.h"

using namespace clang;
using namespace clang::ast_matchers;
using namespace clang::tidy::threadleak;

namespace {

const char *Code = R"cc(
  namespace std {
    template <class A, class B> struct pair { A first; B second; };
    template <class F> struct function;
    template <class R> struct function<R()> { R operator()() const; };
  }
  namespace go {
    template <class T> struct chan { bool recv() const; };
    struct Context {
      chan<int> done() const;
      void cancel() const;
      int value() const;
    };
    Context background();
    std::pair<Context, std::function<void()>> with_cancel();
    std::pair<Context, std::function<void()>> with_cancel(const Context &);
    struct Other { chan<int> done() const; void cancel() const; };
  }
  void use() {
    go::Context bg = go::background();
    auto [ctx, cancel] = go::with_cancel(bg);
    ctx.done().recv();
    ctx.cancel();
    ctx.value();
    go::Other o;
    o.done().recv();
    o.cancel();
    go::Context *p = &bg;
    p->cancel();
  }
)cc";

class ContextModelTest : public ::testing::Test {
protected:
  void SetUp() override {
    AST = tooling::buildASTFromCodeWithArgs(Code, {"-std=c++20"});
    ASSERT_TRUE(AST);
    ContextSpec S;
    S.Type = "go::Context";
    S.Done = {"done"};
    S.Cancel = {"cancel"};
    S.WithCancel = {"go::with_cancel"};
    S.Background = {"go::background"};
    Model = std::make_unique<ContextModel>(std::vector<ContextSpec>{S});
  }
  /// The calls of the member \p Name, in order.
  std::vector<const CallExpr *> calls(llvm::StringRef Name) {
    std::vector<const CallExpr *> Out;
    for (const BoundNodes &N :
         match(findAll(callExpr(callee(functionDecl(hasName(Name))))
                           .bind("c")),
               *AST->getASTContext()
                    .getTranslationUnitDecl()
                    ->lookup(&AST->getASTContext().Idents.get("use"))
                    .front()
                    ->getAsFunction()
                    ->getBody(),
               AST->getASTContext()))
      Out.push_back(N.getNodeAs<CallExpr>("c"));
    return Out;
  }
  std::unique_ptr<ASTUnit> AST;
  std::unique_ptr<ContextModel> Model;
};

TEST_F(ContextModelTest, DoneAndCancelOnlyOnContexts) {
  std::vector<const CallExpr *> Done = calls("done");
  ASSERT_EQ(Done.size(), 2u);
  EXPECT_NE(Model->doneOf(Done[0]), nullptr); // ctx.done()
  EXPECT_EQ(Model->doneOf(Done[1]), nullptr); // go::Other is no context
  std::vector<const CallExpr *> Cancel = calls("cancel");
  ASSERT_EQ(Cancel.size(), 3u);
  EXPECT_NE(Model->cancelledBy(Cancel[0]), nullptr);
  EXPECT_EQ(Model->cancelledBy(Cancel[1]), nullptr);
  EXPECT_NE(Model->cancelledBy(Cancel[2]), nullptr); // through a pointer
  std::vector<const CallExpr *> Value = calls("value");
  ASSERT_EQ(Value.size(), 1u);
  EXPECT_EQ(Model->doneOf(Value[0]), nullptr);
  EXPECT_EQ(Model->cancelledBy(Value[0]), nullptr);
}

TEST_F(ContextModelTest, FactoriesAndParents) {
  std::vector<const CallExpr *> Bg = calls("background");
  std::vector<const CallExpr *> With = calls("with_cancel");
  ASSERT_EQ(Bg.size(), 1u);
  ASSERT_EQ(With.size(), 1u);
  EXPECT_EQ(Model->factoryCall(Bg[0]), Bg[0]);
  EXPECT_EQ(Model->parentOf(Bg[0]), nullptr);
  EXPECT_EQ(Model->factoryCall(With[0]), With[0]);
  const Expr *Parent = Model->parentOf(With[0]);
  ASSERT_NE(Parent, nullptr);
  EXPECT_TRUE(Model->isContextType(Parent->getType()));
  // The class a factory's pair holds, and the context class itself.
  const CXXRecordDecl *C = Model->contextClassIn(With[0]->getType());
  ASSERT_NE(C, nullptr);
  EXPECT_EQ(C->getName(), "Context");
  EXPECT_EQ(Model->contextClassIn(Bg[0]->getType()), C);
  EXPECT_EQ(Model->factoryCall(calls("value")[0]), nullptr);
}

TEST(ContextModelEmptyTest, NothingDeclaredNothingRecognised) {
  ContextModel M;
  EXPECT_TRUE(M.empty());
  EXPECT_EQ(M.factoryCall(nullptr), nullptr);
}

} // namespace
