//===--- PathFactsTest.cpp - facts from the conditions around a statement -===//
//
// Each case builds a function with a call to mark() where the facts are
// taken, and asks what they decide of the conditions of the `if` statements
// that test a call to probe().
//
//===----------------------------------------------------------------------===//

#include "engine/PathFacts.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Tooling/Tooling.h"
#include "gtest/gtest.h"

using namespace clang;
using namespace clang::ast_matchers;
using namespace clang::tidy::threadleak;

namespace {

class PathFactsTest : public ::testing::Test {
protected:
  /// The decision on the condition of the \p Nth `if` whose then-branch
  /// calls probe(), with the facts at the call to mark() in "body".
  std::optional<bool> decide(llvm::StringRef Code, unsigned Nth = 0) {
    AST = tooling::buildASTFromCodeWithArgs(
        ("void mark(); void probe(); int get();\n" + Code).str(),
        {"-std=c++20"});
    EXPECT_TRUE(AST);
    EXPECT_FALSE(AST->getDiagnostics().hasErrorOccurred());
    ASTContext &Ctx = AST->getASTContext();
    auto Fn = match(functionDecl(hasName("body"), isDefinition()).bind("f"),
                    Ctx);
    auto Mark = match(
        findAll(callExpr(callee(functionDecl(hasName("mark")))).bind("m")),
        *Fn[0].getNodeAs<FunctionDecl>("f")->getBody(), Ctx);
    auto Ifs = match(
        findAll(ifStmt(hasThen(anyOf(
                           callExpr(callee(functionDecl(hasName("probe")))),
                           hasDescendant(callExpr(
                               callee(functionDecl(hasName("probe"))))))))
                    .bind("if")),
        *Fn[0].getNodeAs<FunctionDecl>("f")->getBody(), Ctx);
    EXPECT_EQ(Mark.size(), 1u);
    EXPECT_GT(Ifs.size(), Nth);
    if (Mark.size() != 1 || Ifs.size() <= Nth)
      return std::nullopt;
    PathFacts F = PathFacts::at(Mark[0].getNodeAs<Stmt>("m"),
                                Fn[0].getNodeAs<FunctionDecl>("f"), Ctx);
    return F.decide(Ifs[Nth].getNodeAs<IfStmt>("if")->getCond());
  }
  std::unique_ptr<ASTUnit> AST;
};

TEST_F(PathFactsTest, LoopCounterBoundsTheLimit) {
  EXPECT_EQ(decide("void body(int n) { for (int i = 0; i < n; ++i) mark();"
                   " if (n == 0) probe(); }"),
            false);
  EXPECT_EQ(decide("void body(int n) { for (int i = 0; i < n; ++i) mark();"
                   " if (n > 0) probe(); }"),
            true);
  EXPECT_EQ(decide("void body(int n) { for (int i = 1; n >= i; i += 2) "
                   "mark(); if (n < 1) probe(); }"),
            false);
  // n == 1 is possible: undecided.
  EXPECT_EQ(decide("void body(int n) { for (int i = 0; i < n; ++i) mark();"
                   " if (n == 1) probe(); }"),
            std::nullopt);
}

TEST_F(PathFactsTest, WrittenVariablesTellNothing) {
  EXPECT_EQ(decide("void body(int n) { for (int i = 0; i < n; ++i) mark();"
                   " n = get(); if (n == 0) probe(); }"),
            std::nullopt);
  EXPECT_EQ(decide("void body(int n) { for (int i = 0; i < n; ++i) { mark();"
                   " --i; } if (n == 0) probe(); }"),
            std::nullopt);
  EXPECT_EQ(decide("void body(int n) { int *p = &n; for (int i = 0; i < n; "
                   "++i) mark(); if (n == 0) probe(); }"),
            std::nullopt);
  EXPECT_EQ(decide("void body(int n) { auto f = [&] { n = 0; };"
                   " if (n > 0) mark(); f(); if (n == 0) probe(); }"),
            std::nullopt);
  EXPECT_EQ(decide("void body(int n) { int &r = n; if (n > 0) mark();"
                   " r = 0; if (n == 0) probe(); }"),
            std::nullopt);
}

TEST_F(PathFactsTest, BranchesAroundTheStatement) {
  EXPECT_EQ(decide("void body(bool quiet) { if (!quiet) mark();"
                   " if (quiet) probe(); }"),
            false);
  EXPECT_EQ(decide("void body(unsigned n, bool b) { if (n > 2 && b) mark();"
                   " if (n < 3 || !b) probe(); }"),
            false);
  EXPECT_EQ(decide("void body(int n) { if (n < 0) {} else mark();"
                   " if (n >= 0) probe(); }"),
            true);
  EXPECT_EQ(decide("void body(int n, int m) { if (n > 2) mark();"
                   " if (m > 2) probe(); }"),
            std::nullopt);
  // One side undecided: `n < 3 || m` may hold.
  EXPECT_EQ(decide("void body(int n, int m) { if (n > 2) mark();"
                   " if (n < 3 || m) probe(); }"),
            std::nullopt);
  // A lambda's body runs when it is called, not under the branch.
  EXPECT_EQ(decide("void body(int n) { auto f = [] { mark(); };"
                   " if (n > 2) f(); if (n == 0) probe(); }"),
            std::nullopt);
}

} // namespace
