//===--- ModelConfigTest.cpp - the .threadleak.yaml schema -----------------===//

#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "engine/ChannelCapacity.h"
#include "model/ModelConfig.h"
#include "clang/AST/ASTContext.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Tooling/Tooling.h"
#include "gtest/gtest.h"

using namespace clang;
using namespace clang::ast_matchers;
using namespace clang::tidy::threadleak;

namespace {

std::string errorOf(llvm::StringRef Text) {
  auto M = parseModelConfig(Text, "m.yaml");
  if (M)
    return "";
  return llvm::toString(M.takeError());
}

TEST(ModelConfigTest, ParsesEveryField) {
  auto M = parseModelConfig(R"(
Model:
  Channels:
    - Type: ::app::Chan
      Receive: [recv, operator>>]
      Send: [send]
      Close: [close, cancel]
      WakesOnlyReceivers: [close]
      CapacityArgument: 1
      DefaultCapacity: 0
      CapacitySetters: [resize]
      RangeReceives: true
    - {Type: app::Rendezvous, Receive: [take], Unbuffered: true}
  ThreadTypes: [app::Thread]
  SpawnFunctions: [app::Pool::submit]
  DetachedSpawnFunctions: [app::fire]
  DetachedCoroutineTypes: ['::app::job', app::oneway]
  ScopedSpawnFunctions:
    - app::Scope::spawn
  StopSignalFunctions: [app::check_cancel]
  BlockingFunctions: [app::Latch::wait]
  SelectFunctions: [app::Reactor::wait_any]
  ConditionVariableTypes: [app::Event]
  WriterPreferringMutexes: ['::app::RwLock']
  StopMethods: [halt, drain]
  WaitGroups:
    - {Type: '::app::WaitGroup', Add: [add], Done: [done], Wait: [wait]}
)",
                            "m.yaml");
  ASSERT_TRUE(bool(M)) << llvm::toString(M.takeError());
  ASSERT_EQ(M->Channels.size(), 2u);
  const ChannelSpec &C = M->Channels[0];
  EXPECT_EQ(C.Type, "app::Chan"); // the leading :: is dropped
  EXPECT_EQ(C.Receive, (std::vector<std::string>{"recv", "operator>>"}));
  EXPECT_EQ(C.WakesOnlyReceivers, (std::vector<std::string>{"close"}));
  EXPECT_EQ(C.CapacityArgument, 1u);
  EXPECT_EQ(C.CapacitySetters, (std::vector<std::string>{"resize"}));
  EXPECT_EQ(C.DefaultCapacity, 0u);
  EXPECT_TRUE(C.RangeReceives);
  EXPECT_FALSE(C.Unbuffered);
  EXPECT_TRUE(M->Channels[1].Unbuffered);
  EXPECT_EQ(M->SpawnFunctions, (std::vector<std::string>{"app::Pool::submit"}));
  EXPECT_EQ(M->DetachedCoroutineTypes,
            (std::vector<std::string>{"::app::job", "app::oneway"}));
  EXPECT_EQ(M->ScopedSpawnFunctions,
            (std::vector<std::string>{"app::Scope::spawn"}));
  EXPECT_EQ(M->BlockingFunctions.size(), 1u);
  EXPECT_EQ(M->SelectFunctions,
            (std::vector<std::string>{"app::Reactor::wait_any"}));
  EXPECT_EQ(M->ConditionVariableTypes, (std::vector<std::string>{"app::Event"}));
  EXPECT_EQ(M->WriterPreferringMutexes,
            (std::vector<std::string>{"::app::RwLock"}));
  EXPECT_EQ(M->StopMethods, (std::vector<std::string>{"halt", "drain"}));
  ASSERT_EQ(M->WaitGroups.size(), 1u);
  EXPECT_EQ(M->WaitGroups[0].Type, "app::WaitGroup");
  EXPECT_EQ(M->WaitGroups[0].Add, (std::vector<std::string>{"add"}));
  EXPECT_EQ(M->WaitGroups[0].Done, (std::vector<std::string>{"done"}));
  EXPECT_EQ(M->WaitGroups[0].Wait, (std::vector<std::string>{"wait"}));
}

// The coroutine spawn keys add to the check options' lists (the built-in
// ones, or what the options say): the model file's entries, with or without
// the leading `::`, join them and replace nothing.
TEST(ModelConfigTest, CoroutineSpawnKeysAddToTheOptions) {
  auto M = parseModelConfig("Model:\n"
                            "  DetachedCoroutineTypes: ['::app::job']\n"
                            "  ScopedSpawnFunctions: [app::Scope::spawn]\n",
                            "m.yaml");
  ASSERT_TRUE(bool(M)) << llvm::toString(M.takeError());
  NameList Types = NameList::parse("::concurrencpp::null_result");
  Types.add(M->DetachedCoroutineTypes);
  EXPECT_EQ(Types.str(), "::concurrencpp::null_result;::app::job");
  EXPECT_TRUE(Types.containsName("app::job"));
  EXPECT_TRUE(Types.containsName("concurrencpp::null_result"));
  NameList Scoped = NameList::parse("::cppcoro::async_scope::spawn");
  Scoped.add(M->ScopedSpawnFunctions);
  EXPECT_EQ(Scoped.str(), "::cppcoro::async_scope::spawn;::app::Scope::spawn");
  // A list, not a mapping.
  EXPECT_EQ(errorOf("Model:\n  ScopedSpawnFunctions: {a: b}\n"),
            "m.yaml:2:26: not a sequence");
}

// Go-style contexts: a class, its done and cancel members, and the
// functions that make one.
TEST(ModelConfigTest, Contexts) {
  auto M = parseModelConfig(R"(
Model:
  Contexts:
    - Type: '::go::Context'
      Done: [done]
      Cancel: [cancel]
      WithCancel: ['::go::with_cancel', go::with_timeout]
      Background: [go::background]
)",
                            "m.yaml");
  ASSERT_TRUE(bool(M)) << llvm::toString(M.takeError());
  ASSERT_EQ(M->Contexts.size(), 1u);
  const ContextSpec &C = M->Contexts[0];
  EXPECT_EQ(C.Type, "go::Context");
  EXPECT_EQ(C.Done, (std::vector<std::string>{"done"}));
  EXPECT_EQ(C.Cancel, (std::vector<std::string>{"cancel"}));
  EXPECT_EQ(C.WithCancel,
            (std::vector<std::string>{"go::with_cancel", "go::with_timeout"}));
  EXPECT_EQ(C.Background, (std::vector<std::string>{"go::background"}));
  EXPECT_EQ(errorOf("Model:\n  Contexts:\n    - {Type: go::Context}\n"),
            "m.yaml:3:8: missing required key 'Done'");
  EXPECT_EQ(errorOf("Model:\n  Contexts:\n    - {Type: go::C, Done: "
                    "[go::done]}\n"),
            "m.yaml:3:8: context member 'go::done' must be an unqualified "
            "member name such as 'done'");
  EXPECT_EQ(errorOf("Model:\n  Contexts:\n    - {Type: ' ', Done: [d]}\n"),
            "m.yaml:3:8: a context's 'Type' must name a class");
}

TEST(ModelConfigTest, EmptyFilesAndEmptyModelsAreFine) {
  EXPECT_EQ(errorOf(""), "");
  EXPECT_EQ(errorOf("# nothing yet\n"), "");
  EXPECT_EQ(errorOf("Model: {}\n"), "");
}

TEST(ModelConfigTest, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(errorOf("Model:\n  Channels:\n    - Type: a::C\n      Recieve: [r]\n"),
            "m.yaml:4:7: unknown key 'Recieve'");
  EXPECT_EQ(errorOf("Modle: {}\n"), "m.yaml:1:1: unknown key 'Modle'");
  EXPECT_EQ(errorOf("Model:\n  Channels:\n    - Receive: [r]\n"),
            "m.yaml:3:7: missing required key 'Type'");
  EXPECT_EQ(errorOf("Model:\n  Channels:\n    - {Type: a::C, Receive: [x::r]}\n"),
            "m.yaml:3:8: channel operation 'x::r' must be an unqualified name "
            "such as 'pop' or 'operator>>'");
  EXPECT_EQ(errorOf("Model:\n  Channels:\n    - {Type: a::C, Close: [c], "
                    "WakesOnlyReceivers: [d]}\n"),
            "m.yaml:3:8: 'd' in 'WakesOnlyReceivers' must also be in 'Close'");
  EXPECT_EQ(errorOf("Model:\n  Channels:\n    - {Type: a::C, CapacityArgument: -1}\n"),
            "m.yaml:3:38: invalid number");
  EXPECT_EQ(errorOf("Model:\n  Channels:\n    - {Type: a::C, Unbuffered: true, "
                    "CapacitySetters: [resize]}\n"),
            "m.yaml:3:8: channel 'a::C' cannot be both 'Unbuffered' and have "
            "'CapacitySetters'");
  EXPECT_NE(errorOf("Model: [\n"), "");
}

TEST(ModelConfigTest, ClangTidyKeysMaySitNextToTheModel) {
  llvm::StringRef Text = "Checks: '-*,threadleak-*'\n"
                         "Model:\n"
                         "  SpawnFunctions: [app::go]\n"
                         "CheckOptions:\n"
                         "  threadleak-channel-recv-no-close.MaxCallDepth: 2\n";
  SplitConfig S = splitConfigText(Text);
  EXPECT_TRUE(S.HasModel);
  // Each side keeps its lines, the other's are blanked: line numbers hold.
  EXPECT_EQ(S.Model.size(), Text.size());
  EXPECT_EQ(S.Tidy.find("Model"), std::string::npos);
  EXPECT_NE(S.Tidy.find("CheckOptions"), std::string::npos);
  EXPECT_EQ(S.Model.find("Checks"), std::string::npos);
  auto M = parseModelConfig(Text, "m.yaml");
  ASSERT_TRUE(bool(M)) << llvm::toString(M.takeError());
  EXPECT_EQ(M->SpawnFunctions, (std::vector<std::string>{"app::go"}));
  EXPECT_FALSE(splitConfigText("Checks: '*'\n").HasModel);
}

TEST(ModelConfigTest, ChannelSpecsRoundTrip) {
  auto Specs = parseChannelSpecs(defaults::BuiltinChannels, "built-in");
  ASSERT_TRUE(bool(Specs)) << llvm::toString(Specs.takeError());
  EXPECT_EQ(Specs->size(), 5u);
  auto Again = parseChannelSpecs(channelSpecsToString(*Specs), "again");
  ASSERT_TRUE(bool(Again)) << llvm::toString(Again.takeError());
  EXPECT_EQ(channelSpecsToString(*Again), channelSpecsToString(*Specs));
}

TEST(ChannelModelTest, ClassifiesOperationsAndCapacities) {
  auto AST = tooling::buildASTFromCodeWithArgs(R"cc(
    namespace app {
    template <class T> struct Base { void send(T); };
    template <class T> struct Chan : Base<T> {
      Chan(int cap = 0); bool recv(T &); void close(); int size();
    };
    template <class T> Chan<T> &operator>>(Chan<T> &, T &);
    }
    void f() {
      app::Chan<int> a, b(4);
      int v;
      a.recv(v); a.send(1); a.close(); a.size(); a >> v;
    }
  )cc", {"-std=c++17"});
  ChannelSpec Spec;
  Spec.Type = "app::Chan";
  Spec.Receive = {"recv", "operator>>"};
  Spec.Send = {"send"};
  Spec.Close = {"close"};
  Spec.CapacityArgument = 0;
  Spec.DefaultCapacity = 0;
  ChannelModel Model({Spec});
  auto Calls = match(functionDecl(hasName("f"), forEachDescendant(callExpr().bind("c"))),
                     AST->getASTContext());
  std::vector<ChannelOpKind> Kinds;
  for (const auto &M : Calls)
    if (const auto *C = M.getNodeAs<CallExpr>("c"))
      if (!llvm::isa<CXXConstructExpr>(C))
        Kinds.push_back(Model.classify(C).Kind);
  EXPECT_EQ(Kinds, (std::vector<ChannelOpKind>{
                       ChannelOpKind::Receive, ChannelOpKind::Send,
                       ChannelOpKind::Close, ChannelOpKind::None,
                       ChannelOpKind::Receive}));
  auto Vars = match(varDecl(hasType(recordDecl())).bind("v"), AST->getASTContext());
  std::vector<std::optional<uint64_t>> Caps;
  for (const auto &M : Vars) {
    const auto *V = M.getNodeAs<VarDecl>("v");
    const ChannelSpec *S = Model.specForType(V->getType());
    ASSERT_NE(S, nullptr);
    Caps.push_back(Model.capacityOf(V->getInit(), *S, AST->getASTContext()));
  }
  EXPECT_EQ(Caps, (std::vector<std::optional<uint64_t>>{0u, 4u}));
}

// ChannelCapacity: a setter call overrides the construction; a parameter
// is what every call passes; disagreeing setters leave it unknown.
TEST(ChannelCapacityTest, SettersConstructionsAndCalls) {
  auto AST = tooling::buildASTFromCodeWithArgs(R"cc(
    namespace app {
    template <class T> struct Q {
      Q(int cap = 0); void push(T); void set_capacity(int);
    };
    }
    struct Set {              // set by a method every caller gives 16
      app::Q<int> q{2};
      void init(int n) { q.set_capacity(n); }
    };
    void useSet() { Set s; s.init(16); s.init(8 + 8); }
    struct Mixed {            // set to 16 and to 4: unknown
      app::Q<int> q;
      void init(int n) { q.set_capacity(n); }
    };
    void useMixed() { Mixed m; m.init(16); m.init(4); }
    struct Never {            // a setter no call gives a value: unknown
      app::Q<int> q{3};
      void init(int n) { q.set_capacity(n); }
    };
    void local() {
      app::Q<int> a(5);       // 5, then set to 1
      a.set_capacity(1);
      app::Q<int> b(7);       // 7
    }
  )cc", {"-std=c++17"});
  ChannelSpec Spec;
  Spec.Type = "app::Q";
  Spec.Send = {"push"};
  Spec.CapacityArgument = 0;
  Spec.CapacitySetters = {"set_capacity"};
  ChannelModel Model({Spec});
  ASTContext &Ctx = AST->getASTContext();
  ChannelCapacity Capacity(Ctx, Model);
  const ChannelSpec &S = Model.specs().back(); // the model's own copy
  std::map<std::string, std::optional<uint64_t>> Got;
  for (const auto &M : match(fieldDecl().bind("f"), Ctx)) {
    const auto *F = M.getNodeAs<FieldDecl>("f");
    Got[F->getParent()->getNameAsString()] = Capacity.ofMember(F, S);
  }
  for (const auto &M : match(varDecl(hasType(recordDecl(hasName("Q"))),
                                     hasAncestor(functionDecl(hasName("local"))))
                                 .bind("v"),
                             Ctx)) {
    const auto *V = M.getNodeAs<VarDecl>("v");
    Got[V->getNameAsString()] = Capacity.ofVariable(V, S);
  }
  using C = std::optional<uint64_t>;
  EXPECT_EQ(Got, (std::map<std::string, C>{{"Set", C(16)},
                                           {"Mixed", std::nullopt},
                                           {"Never", std::nullopt},
                                           {"a", C(1)},
                                           {"b", C(7)}}));
}

} // namespace
