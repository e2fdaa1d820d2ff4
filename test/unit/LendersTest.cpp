//===--- LendersTest.cpp - who lends a class the objects it borrows -------===//
//
// Each case declares a class with a member and the code that makes it; the
// test asks MemberLenders whether the member is the class's own, lent by
// the arguments it lists, or borrowed from lenders it cannot list.
//
//===----------------------------------------------------------------------===//

#include "engine/Lenders.h"
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
    template <class T> struct shared_ptr { T *operator->() const; };
    template <class T, class... A> shared_ptr<T> make_shared(A &&...);
    template <class T> T &&move(T &t);
  }
  struct Queue { void close(); };
)cc";

class LendersTest : public ::testing::Test {
protected:
  void build(llvm::StringRef Code) {
    AST = tooling::buildASTFromCodeWithArgs((llvm::Twine(Prelude) + Code).str(),
                                            {"-std=c++20"});
    ASSERT_TRUE(AST);
    Lenders = std::make_unique<MemberLenders>(AST->getASTContext());
  }
  /// "own", "unknown", or "lent:" and each lender's text.
  std::string lenders(llvm::StringRef Class, llvm::StringRef Member) {
    auto M = match(
        fieldDecl(hasName(Member), hasParent(cxxRecordDecl(hasName(Class))))
            .bind("f"),
        AST->getASTContext());
    if (M.empty())
      return "no member";
    llvm::SmallVector<const Expr *, 4> Out;
    switch (Lenders->lendersOf(M.front().getNodeAs<FieldDecl>("f"), Out)) {
    case MemberLenders::Own:
      return "own";
    case MemberLenders::Unknown:
      return "unknown";
    case MemberLenders::Lent:
      break;
    }
    std::string S = "lent:";
    const SourceManager &SM = AST->getSourceManager();
    for (const Expr *E : Out)
      S += " " + Lexer::getSourceText(
                     CharSourceRange::getTokenRange(E->getSourceRange()), SM,
                     AST->getLangOpts())
                     .str();
    return S;
  }
  std::unique_ptr<ASTUnit> AST;
  std::unique_ptr<MemberLenders> Lenders;
};

TEST_F(LendersTest, AReferenceBoundToAParameterIsLentByEveryConstruction) {
  build(R"cc(
    struct Workers {
      explicit Workers(Queue &q) : q_(q) {}
      Queue &q_;
    };
    struct Server {
      Server() : workers_(queue_) {}
      Queue queue_;
      Workers workers_;
    };
    void local() { Queue q; Workers w(q); }
  )cc");
  EXPECT_EQ(lenders("Workers", "q_"), "lent: queue_ q");
}

TEST_F(LendersTest, SmartPointersAndMakeShared) {
  build(R"cc(
    struct Drain {
      explicit Drain(std::shared_ptr<Queue> q) : q_(std::move(q)) {}
      std::shared_ptr<Queue> q_;
    };
    void make(std::shared_ptr<Queue> shared) { auto d = std::make_shared<Drain>(shared); }
  )cc");
  EXPECT_EQ(lenders("Drain", "q_"), "lent: shared");
}

TEST_F(LendersTest, OwnMembersAndLendersNotSeen) {
  build(R"cc(
    struct Owner {
      Owner() : q_() {}
      Queue q_;
    };
    struct NeverMade {
      explicit NeverMade(Queue &q) : q_(q) {}
      Queue &q_;
    };
    struct WithSetter {
      explicit WithSetter(Queue *q) : q_(q) {}
      void reset(Queue *q) { q_ = q; }
      Queue *q_;
    };
    void make(Queue &q) { WithSetter s(&q); }
  )cc");
  EXPECT_EQ(lenders("Owner", "q_"), "own");
  // Made in another translation unit, or nowhere.
  EXPECT_EQ(lenders("NeverMade", "q_"), "unknown");
  // A setter lends it too.
  EXPECT_EQ(lenders("WithSetter", "q_"), "unknown");
}

TEST(MemberPathTest, FromTheObjectOut) {
  auto AST = tooling::buildASTFromCodeWithArgs(R"cc(
    struct CV { void wait(); };
    struct Shared { CV cv; };
    struct Worker { Shared &s_; Shared *p_; void run(); };
    void Worker::run() { s_.cv.wait(); p_->cv.wait(); Shared l{}; l.cv.wait(); }
  )cc",
                                               {"-std=c++20"});
  ASSERT_TRUE(AST);
  auto F = match(cxxMethodDecl(hasName("run"), isDefinition()).bind("f"),
                 AST->getASTContext());
  ASSERT_EQ(F.size(), 1u);
  auto M = match(
      findAll(
          cxxMemberCallExpr(callee(cxxMethodDecl(hasName("wait")))).bind("c")),
      *F.front().getNodeAs<FunctionDecl>("f")->getBody(), AST->getASTContext());
  std::vector<std::string> Paths;
  for (const auto &N : M) {
    llvm::SmallVector<const FieldDecl *, 4> Path;
    memberPath(N.getNodeAs<CXXMemberCallExpr>("c")->getImplicitObjectArgument(),
               Path);
    std::string S;
    for (const FieldDecl *F : Path)
      S += (S.empty() ? "" : ",") + F->getNameAsString();
    Paths.push_back(S.empty() ? "-" : S);
  }
  ASSERT_EQ(Paths.size(), 3u);
  EXPECT_EQ(Paths[0], "cv,s_");
  EXPECT_EQ(Paths[1], "cv,p_");
  // Not from `this`.
  EXPECT_EQ(Paths[2], "-");
}

} // namespace
