//===--- CrossTUTest.cpp - cross-TU summaries: identity, transport --------===//

#include "engine/CrossTU.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Tooling/Tooling.h"
#include "gtest/gtest.h"

using namespace clang;
using namespace clang::ast_matchers;
namespace crosstu = clang::tidy::threadleak::crosstu;

namespace {

class CrossTUTest : public ::testing::Test {
protected:
  void build(llvm::StringRef Code) {
    AST = tooling::buildASTFromCodeWithArgs(Code, {"-std=c++20"});
    ASSERT_TRUE(AST);
    ASSERT_FALSE(AST->getDiagnostics().hasErrorOccurred());
  }
  std::string id(llvm::StringRef Name) {
    auto M = match(functionDecl(hasName(Name)).bind("f"), AST->getASTContext());
    EXPECT_FALSE(M.empty()) << Name.str();
    if (M.empty())
      return "<none>";
    return crosstu::identity(M[0].getNodeAs<FunctionDecl>("f"),
                             AST->getASTContext());
  }
  std::unique_ptr<ASTUnit> AST;
};

TEST_F(CrossTUTest, IdentityOnlyForFunctionsOtherUnitsShare) {
  build(R"cc(
    void external(int);
    extern "C" void c_function();
    struct S { void method(); void inline_method() {} S(); };
    static void internal() {}
    namespace { void anonymous() {} }
    inline void inline_function() {}
    template <typename T> void templ(T) {}
    void use() { templ(1); anonymous(); }
  )cc");
  if (HasFatalFailure())
    return;
  EXPECT_EQ(id("external"), "_Z8externali");
  EXPECT_EQ(id("c_function"), "c_function");
  EXPECT_EQ(id("method"), "_ZN1S6methodEv");
  EXPECT_EQ(id("inline_method"), "");
  EXPECT_EQ(id("internal"), "");
  EXPECT_EQ(id("anonymous"), "");
  EXPECT_EQ(id("inline_function"), "");
  EXPECT_EQ(id("templ"), "");
}

TEST_F(CrossTUTest, AskRecordsAndReads) {
  build("void start(); void other();");
  if (HasFatalFailure())
    return;
  auto Fn = [&](llvm::StringRef Name) {
    return match(functionDecl(hasName(Name)).bind("f"), AST->getASTContext())[0]
        .getNodeAs<FunctionDecl>("f");
  };
  // Nothing installed: nothing asked, nothing read.
  EXPECT_FALSE(crosstu::enabled());
  EXPECT_EQ(crosstu::ask(Fn("start"), AST->getASTContext()), nullptr);

  crosstu::Recording R;
  crosstu::setRecording(&R);
  EXPECT_EQ(crosstu::ask(Fn("start"), AST->getASTContext()), nullptr);
  crosstu::setRecording(nullptr);
  EXPECT_EQ(R.Asked, std::set<std::string>{"_Z5startv"});

  std::map<std::string, crosstu::FunctionSummary> Provider;
  Provider["_Z5startv"].Name = "start";
  crosstu::setProvider(&Provider);
  const crosstu::FunctionSummary *S = crosstu::ask(Fn("start"), AST->getASTContext());
  EXPECT_EQ(crosstu::ask(Fn("other"), AST->getASTContext()), nullptr);
  crosstu::setProvider(nullptr);
  ASSERT_NE(S, nullptr);
  EXPECT_EQ(S->Name, "start");
}

TEST_F(CrossTUTest, AccessPathsByName) {
  build(R"cc(
    struct Mutex { void lock(); void unlock(); };
    struct Base { Mutex base_mu; };
    struct Store : Base { Mutex mu; };
    struct Cache { Store *store; Mutex mu; void refresh(Store &s, int n); };
    namespace ns { extern Mutex g_mu; }
    static Mutex s_mu;
    void Cache::refresh(Store &s, int n) {
      store->mu.lock(); s.base_mu.lock(); ns::g_mu.lock(); s_mu.lock();
      Mutex local; local.lock();
    }
  )cc");
  if (HasFatalFailure())
    return;
  ASTContext &Ctx = AST->getASTContext();
  const auto *Fn =
      match(functionDecl(hasName("refresh"), isDefinition()).bind("f"), Ctx)[0]
          .getNodeAs<FunctionDecl>("f");
  tidy::threadleak::KeyBuilder KB(Fn->getBody());
  std::vector<std::optional<crosstu::AccessPath>> Paths;
  for (const auto &M :
       match(cxxMemberCallExpr(callee(cxxMethodDecl(hasName("lock"))),
                               hasAncestor(functionDecl(hasName("refresh"))))
                 .bind("c"),
             Ctx))
    Paths.push_back(crosstu::pathOf(
        KB.keyOf(
            M.getNodeAs<CXXMemberCallExpr>("c")->getImplicitObjectArgument()),
        Fn));
  ASSERT_EQ(Paths.size(), 5u);
  ASSERT_TRUE(Paths[0] && Paths[1] && Paths[2]);
  EXPECT_EQ(Paths[0]->Root, crosstu::AccessPath::This);
  EXPECT_EQ(Paths[0]->Members, (std::vector<std::string>{"store", "mu"}));
  EXPECT_EQ(Paths[1]->Root, crosstu::AccessPath::Param);
  EXPECT_EQ(Paths[1]->Index, 0u);
  EXPECT_EQ(Paths[1]->Members, std::vector<std::string>{"base_mu"});
  EXPECT_EQ(Paths[2]->Root, crosstu::AccessPath::Global);
  EXPECT_EQ(Paths[2]->Name, "ns::g_mu");
  // Other units cannot name a static global or a local.
  EXPECT_FALSE(Paths[3]);
  EXPECT_FALSE(Paths[4]);
  // Back by names, in the terms of a declaration.
  const auto *Decl = Fn->getFirstDecl();
  EXPECT_EQ(crosstu::keyOf(*Paths[0], Decl).str(), "store->mu");
  tidy::threadleak::ObjectKey P = crosstu::keyOf(*Paths[1], Decl);
  EXPECT_EQ(P.RootVar, Decl->getParamDecl(0));
  EXPECT_EQ(P.str(), "s.base_mu");
  EXPECT_EQ(crosstu::keyOf(*Paths[2], Decl).str(), "g_mu");
  crosstu::AccessPath Missing = *Paths[0];
  Missing.Members.back() = "nope";
  EXPECT_FALSE(crosstu::keyOf(Missing, Decl).valid());
}

TEST_F(CrossTUTest, StateByQualifiedName) {
  build(R"cc(
    struct Base { bool stop_; };
    namespace ns {
    struct Queue : Base { int items_; static int count_; struct In { int x; } in_; };
    extern bool g_done;
    }
    static bool s_local;
  )cc");
  if (HasFatalFailure())
    return;
  ASTContext &Ctx = AST->getASTContext();
  auto Name = [&](llvm::StringRef Q) {
    const ValueDecl *D = crosstu::stateNamed(Q, Ctx);
    return D ? D->getQualifiedNameAsString() : std::string("<none>");
  };
  EXPECT_EQ(Name("ns::Queue::items_"), "ns::Queue::items_");
  // Through a base, as a member function of the class sees it.
  EXPECT_EQ(Name("ns::Queue::stop_"), "Base::stop_");
  EXPECT_EQ(Name("ns::Queue::count_"), "ns::Queue::count_");
  EXPECT_EQ(Name("ns::Queue::In::x"), "ns::Queue::In::x");
  EXPECT_EQ(Name("ns::g_done"), "ns::g_done");
  // A static global of this unit is not the one another unit names.
  EXPECT_EQ(Name("s_local"), "<none>");
  EXPECT_EQ(Name("ns::Queue::nope"), "<none>");
  EXPECT_EQ(Name("ns::Nope::items_"), "<none>");
  EXPECT_EQ(Name("ns::Queue::"), "<none>");
  EXPECT_EQ(Name("(anonymous namespace)::x"), "<none>");
}

TEST(CrossTUJSON, RoundTripAndMalformed) {
  crosstu::FunctionSummary S;
  S.Name = "Start";
  crosstu::FunctionSummary::Forever F;
  F.Chain.emplace_back(crosstu::Location{"/p/a.cpp", 10}, "Run");
  F.Kind = "unchanging";
  F.Loop = {"/p/a.cpp", 3};
  F.Condition = "again";
  S.Loops = F;
  crosstu::FunctionSummary::Start St;
  St.Param = 1;
  St.Interruptible = true;
  St.Noun = "thread";
  St.Detach = {"/p/b.cpp", 7};
  St.Started = crosstu::Location{"/p/b.cpp", 5};
  S.Starts.push_back(St);
  S.Channels.push_back({2, false, true, false});
  S.Members =
      crosstu::FunctionSummary::MemberFacts{{"jobs_"}, {"jobs_", "quit_"}, {}};
  crosstu::FunctionSummary::StateEffects Eff;
  Eff.Writes.emplace_back("W::done_", crosstu::Location{"/p/s.cpp", 42});
  Eff.Notifies.push_back("W::cv_");
  Eff.RequestsStop = true;
  S.Effects = Eff;
  crosstu::FunctionSummary::Acquire A;
  A.Key.Root = crosstu::AccessPath::Param;
  A.Key.Index = 1;
  A.Key.Members = {"store_", "mu_"};
  A.Shared = true;
  A.Requires = {{2, false}};
  A.At = {"/p/l.cpp", 9};
  S.Acquires.push_back(A);
  A = {};
  A.Key.Root = crosstu::AccessPath::Global;
  A.Key.Name = "ns::g_mu";
  S.Acquires.push_back(A);
  crosstu::FunctionSummary::Wait Wt;
  Wt.CondVar = "Queue::cv_";
  Wt.Reads = {"Queue::items_", "Queue::closed_"};
  Wt.At = {"/p/q.cpp", 30};
  Wt.Anchor = {"/p/q.cpp", 39};
  Wt.Chain.emplace_back(crosstu::Location{"/p/q.cpp", 60}, "waitForItem");
  S.Waits.push_back(Wt);

  crosstu::FunctionSummary Back;
  ASSERT_TRUE(crosstu::fromJSON(crosstu::toJSON(S), Back));
  EXPECT_EQ(Back.Name, "Start");
  ASSERT_TRUE(Back.Loops);
  EXPECT_EQ(Back.Loops->Kind, "unchanging");
  EXPECT_EQ(Back.Loops->Condition, "again");
  ASSERT_EQ(Back.Loops->Chain.size(), 1u);
  EXPECT_EQ(Back.Loops->Chain[0].first.File, "/p/a.cpp");
  EXPECT_EQ(Back.Loops->Chain[0].first.Offset, 10u);
  EXPECT_EQ(Back.Loops->Chain[0].second, "Run");
  ASSERT_EQ(Back.Starts.size(), 1u);
  EXPECT_EQ(Back.Starts[0].Param, 1u);
  EXPECT_TRUE(Back.Starts[0].Interruptible);
  ASSERT_TRUE(Back.Starts[0].Started);
  EXPECT_EQ(Back.Starts[0].Started->Offset, 5u);
  ASSERT_EQ(Back.Channels.size(), 1u);
  EXPECT_EQ(Back.Channels[0], S.Channels[0]);
  EXPECT_EQ(Back.channelParam(2), &Back.Channels[0]);
  EXPECT_EQ(Back.channelParam(0), nullptr);
  EXPECT_FALSE(Back.empty());
  ASSERT_TRUE(Back.Members);
  EXPECT_EQ(Back.Members->Closes, std::vector<std::string>{"jobs_"});
  EXPECT_EQ(Back.Members->ClosesOrSends,
            (std::vector<std::string>{"jobs_", "quit_"}));
  EXPECT_TRUE(Back.Members->ClosesOrReceives.empty());
  ASSERT_TRUE(Back.Effects);
  ASSERT_EQ(Back.Effects->Writes.size(), 1u);
  EXPECT_EQ(Back.Effects->Writes[0].first, "W::done_");
  EXPECT_EQ(Back.Effects->Writes[0].second.Offset, 42u);
  EXPECT_EQ(Back.Effects->Notifies, std::vector<std::string>{"W::cv_"});
  EXPECT_FALSE(Back.Effects->Unknown);
  EXPECT_TRUE(Back.Effects->RequestsStop);
  ASSERT_EQ(Back.Acquires.size(), 2u);
  EXPECT_EQ(Back.Acquires[0].Key.Root, crosstu::AccessPath::Param);
  EXPECT_EQ(Back.Acquires[0].Key.Index, 1u);
  EXPECT_EQ(Back.Acquires[0].Key.Members,
            (std::vector<std::string>{"store_", "mu_"}));
  EXPECT_TRUE(Back.Acquires[0].Shared);
  EXPECT_EQ(Back.Acquires[0].Requires,
            (std::vector<std::pair<unsigned, bool>>{{2, false}}));
  EXPECT_EQ(Back.Acquires[0].At.Offset, 9u);
  EXPECT_EQ(Back.Acquires[1].Key.Root, crosstu::AccessPath::Global);
  EXPECT_EQ(Back.Acquires[1].Key.Name, "ns::g_mu");
  EXPECT_TRUE(Back.Acquires[1].Key.Members.empty());
  ASSERT_EQ(Back.Waits.size(), 1u);
  EXPECT_EQ(Back.Waits[0].CondVar, "Queue::cv_");
  EXPECT_EQ(Back.Waits[0].Reads, Wt.Reads);
  EXPECT_FALSE(Back.Waits[0].Predicate);
  EXPECT_EQ(Back.Waits[0].At.Offset, 30u);
  EXPECT_EQ(Back.Waits[0].Anchor.Offset, 39u);
  ASSERT_EQ(Back.Waits[0].Chain.size(), 1u);
  EXPECT_EQ(Back.Waits[0].Chain[0].second, "waitForItem");
  // A member function with channel members and no fact about them is not
  // an empty summary: it says it releases none.
  crosstu::FunctionSummary None;
  None.Members.emplace();
  EXPECT_FALSE(None.empty());

  for (
      const char *Bad :
      {R"({})", R"({"name": "f", "loops": {"chain": [], "kind": "no-exit"}})",
       R"({"name": "f", "starts": [{"param": -1, "interruptible": false, "noun": "thread", "detach": ["/a", 1]}]})",
       R"({"name": "f", "starts": [{"param": 0, "interruptible": false, "noun": "thread", "detach": ["/a"]}]})",
       R"({"name": "f", "channels": [{"param": 0, "closes": true, "closes-or-sends": true}]})",
       R"({"name": "f", "members": {"closes": ["a"], "closes-or-sends": [1], "closes-or-receives": []}})",
       R"({"name": "f", "members": {"closes": [], "closes-or-sends": []}})",
       R"({"name": "f", "effects": {"writes": [["a"]], "notifies": [], "unknown": false, "requests-stop": false}})",
       R"({"name": "f", "effects": {"writes": [], "notifies": [], "unknown": false}})",
       R"({"name": "f", "channels": [{"param": 0, "closes": false, "closes-or-sends": false, "closes-or-receives": false}, {"param": 0, "closes": true, "closes-or-sends": true, "closes-or-receives": true}]})",
       R"({"name": "f", "acquires": [{"root": "here", "members": [], "shared": false, "requires": [], "at": ["/a", 1]}]})",
       R"({"name": "f", "acquires": [{"root": "param", "members": ["mu"], "shared": false, "requires": [], "at": ["/a", 1]}]})",
       R"({"name": "f", "acquires": [{"root": "this", "members": [""], "shared": false, "requires": [], "at": ["/a", 1]}]})",
       R"({"name": "f", "acquires": [{"root": "this", "members": ["mu"], "shared": false, "requires": [[0]], "at": ["/a", 1]}]})",
       R"({"name": "f", "acquires": [{"root": "global", "members": [], "shared": false, "requires": [], "at": ["/a", 1]}]})",
       R"({"name": "f", "waits": [{"cv": "", "reads": [], "predicate": true, "at": ["/a", 1], "anchor": ["/a", 2], "chain": []}]})",
       R"({"name": "f", "waits": [{"cv": "Q::cv", "reads": [""], "predicate": true, "at": ["/a", 1], "anchor": ["/a", 2], "chain": []}]})",
       R"({"name": "f", "waits": [{"cv": "Q::cv", "reads": [], "predicate": true, "at": ["/a", 1], "chain": []}]})",
       R"({"name": "f", "waits": [{"cv": "Q::cv", "reads": [], "predicate": true, "at": ["/a", 1], "anchor": ["/a", 2], "chain": [["/a", "g"]]}]})"}) {
    llvm::Expected<llvm::json::Value> V = llvm::json::parse(Bad);
    ASSERT_TRUE(bool(V));
    crosstu::FunctionSummary Out;
    EXPECT_FALSE(crosstu::fromJSON(*V, Out)) << Bad;
  }
}

} // namespace
