//===--- ModelTest.cpp - the concurrency model's name lists ---------------===//

#include "Compat.h"
#include "CheckRegistry.h"
#include "VersionCheck.h"
#include "clang-tidy/ClangTidyModule.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Tooling/Tooling.h"
#include "gtest/gtest.h"

using namespace clang;
using namespace clang::ast_matchers;
using namespace clang::tidy::threadleak;

namespace {

const NamedDecl *findNamed(ASTContext &Ctx, llvm::StringRef Name) {
  auto Matches = match(namedDecl(hasName(Name)).bind("d"), Ctx);
  return Matches.empty() ? nullptr : Matches.front().getNodeAs<NamedDecl>("d");
}

TEST(NameListTest, ParsesSeparatorsBlanksAndLeadingColons) {
  NameList L = NameList::parse(" ::std::thread; boost::thread ,, ::std::thread;");
  ASSERT_EQ(L.names().size(), 2u);
  EXPECT_EQ(L.names()[0], "::std::thread");
  EXPECT_EQ(L.names()[1], "::boost::thread");
  EXPECT_TRUE(L.containsName("std::thread"));
  EXPECT_TRUE(L.containsName("::boost::thread"));
  EXPECT_FALSE(L.containsName("thread"));
  EXPECT_TRUE(NameList::parse("").empty());
  EXPECT_TRUE(NameList::parse(" ; ,").empty());
}

TEST(NameListTest, IgnoresInlineNamespacesAndTemplateArguments) {
  auto AST = tooling::buildASTFromCodeWithArgs(R"cc(
    namespace std { inline namespace __1 {
      template <long N> struct counting_semaphore { void acquire(); };
      struct thread { void detach(); };
    } }
    void use() { std::counting_semaphore<1> s; s.acquire(); }
  )cc", {"-std=c++20"});
  ASSERT_TRUE(AST);
  ASTContext &Ctx = AST->getASTContext();
  auto Calls = match(cxxMemberCallExpr().bind("c"), Ctx);
  ASSERT_EQ(Calls.size(), 1u);
  const auto *Call = Calls[0].getNodeAs<CXXMemberCallExpr>("c");
  EXPECT_EQ(plainQualifiedName(Call->getMethodDecl()),
            "std::counting_semaphore::acquire");
  NameList L = NameList::parse("::std::counting_semaphore::acquire;::std::thread");
  EXPECT_TRUE(L.contains(Call->getMethodDecl()));
  EXPECT_TRUE(L.contains(findNamed(Ctx, "::std::thread")));
  EXPECT_FALSE(L.contains(findNamed(Ctx, "::std::thread::detach")));
}

TEST(NameListTest, StopTokenTypeThroughReferences) {
  auto AST = tooling::buildASTFromCodeWithArgs(R"cc(
    namespace std { class stop_token {}; }
    namespace app { class stop_token {}; }
    void a(std::stop_token);
    void b(const std::stop_token &);
    void c(app::stop_token);
  )cc", {"-std=c++20"});
  ASSERT_TRUE(AST);
  ASTContext &Ctx = AST->getASTContext();
  auto Param = [&](llvm::StringRef Fn) {
    return llvm::cast<FunctionDecl>(findNamed(Ctx, Fn))->getParamDecl(0)->getType();
  };
  EXPECT_TRUE(isStopTokenType(Param("a")));
  EXPECT_TRUE(isStopTokenType(Param("b")));
  EXPECT_FALSE(isStopTokenType(Param("c")));
}

// The one word splitter the lock model (guard names) and the channel
// inference (method names) share: these are the shapes each relied on.
TEST(IdentifierWordsTest, SplitsCaseUnderscoresAcronymsAndDigits) {
  using V = std::vector<std::string>;
  EXPECT_EQ(identifierWords("TryReceive"), (V{"try", "receive"}));
  EXPECT_EQ(identifierWords("try_receive"), (V{"try", "receive"}));
  EXPECT_EQ(identifierWords("tryReceive"), (V{"try", "receive"}));
  EXPECT_EQ(identifierWords("InstrumentedMutexLock"),
            (V{"instrumented", "mutex", "lock"}));
  EXPECT_EQ(identifierWords("RWLock"), (V{"rw", "lock"}));
  EXPECT_EQ(identifierWords("HTTPServer"), (V{"http", "server"}));
  EXPECT_EQ(identifierWords("lock2"), (V{"lock"}));
  EXPECT_EQ(identifierWords("pop_v2_front"), (V{"pop", "v", "front"}));
  EXPECT_EQ(identifierWords("__wait__"), (V{"wait"}));
  EXPECT_EQ(identifierWords("GET"), (V{"get"}));
  EXPECT_TRUE(identifierWords("").empty());
  EXPECT_TRUE(identifierWords("_1").empty());
}

TEST(VersionCheckTest, ParsesMajorVersion) {
  EXPECT_EQ(threadleak::parseClangMajor("Debian clang version 22.1.8 (++2025)"), 22u);
  EXPECT_EQ(threadleak::parseClangMajor("clang version 21.0.0git"), 21u);
  EXPECT_EQ(threadleak::parseClangMajor("LLVM (http://llvm.org/)"), 0u);
  EXPECT_EQ(threadleak::parseClangMajor("clang version x"), 0u);
}

TEST(CheckRegistryTest, DescribesExactlyTheRegisteredChecks) {
  clang::tidy::ClangTidyCheckFactories Factories;
  for (const auto &Module : clang::tidy::ClangTidyModuleRegistry::entries())
    if (Module.getName() == "threadleak-module")
      Module.instantiate()->addCheckFactories(Factories);
  std::vector<std::string> Registered, Described;
  for (const auto &F : Factories)
    Registered.push_back(F.getKey().str());
  for (const CheckInfo &C : allChecks()) {
    Described.push_back(C.Name.str());
    EXPECT_FALSE(C.Summary.empty());
    EXPECT_FALSE(C.Description.empty());
  }
  std::sort(Registered.begin(), Registered.end());
  std::sort(Described.begin(), Described.end());
  EXPECT_EQ(Registered, Described);
}

} // namespace
