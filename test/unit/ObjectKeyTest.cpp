//===--- ObjectKeyTest.cpp - which object an expression names --------------===//
//
// The abstract objects of the blocking analysis: each case names an object
// in a function (the argument of `use(...)`) and checks the key's text, its
// exactness and its abstract object; mapThroughCall cases check how a
// callee's key reads in its caller.
//
//===----------------------------------------------------------------------===//

#include "engine/ObjectKey.h"
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
    template <class T> struct shared_ptr { T *operator->() const; T &operator*() const; T *get() const; };
    template <class T> struct vector { T &operator[](unsigned); T &front(); };
    template <class T> T &&move(T &t);
  }
  struct Mutex { void lock(); void unlock(); };
  struct Holder {
    Mutex m;
    Holder *next;
    Mutex &mtx() { return m; }
    void f();
  };
  struct Helper { Holder *client; };
  void use(const void *);
  void use(Mutex &);
  Holder g;
)cc";

class ObjectKeyTest : public ::testing::Test {
protected:
  void build(llvm::StringRef Code) {
    AST = tooling::buildASTFromCodeWithArgs((llvm::Twine(Prelude) + Code).str(),
                                            {"-std=c++20"});
    ASSERT_TRUE(AST);
  }
  const FunctionDecl *function(llvm::StringRef Name) {
    auto M = match(functionDecl(hasName(Name), isDefinition()).bind("f"),
                   AST->getASTContext());
    return M.empty() ? nullptr : M.front().getNodeAs<FunctionDecl>("f");
  }
  /// The arguments of the calls to use() in \p Fn, in order.
  std::vector<const Expr *> uses(const FunctionDecl *Fn) {
    std::vector<const Expr *> Out;
    auto M = match(findAll(callExpr(callee(functionDecl(hasName("use"))))
                               .bind("c")),
                   *Fn->getBody(), AST->getASTContext());
    for (const auto &N : M)
      Out.push_back(N.getNodeAs<CallExpr>("c")->getArg(0));
    return Out;
  }
  /// The key of the only use() in \p Fn, as "text exact object".
  std::string key(llvm::StringRef Fn) {
    const FunctionDecl *FD = function(Fn);
    if (!FD)
      return "no function";
    auto U = uses(FD);
    if (U.size() != 1)
      return "not one use";
    KeyBuilder KB(FD->getBody());
    ObjectKey K = KB.keyOf(U.front());
    if (!K.valid())
      return "invalid";
    std::string Obj = K.object() ? K.object()->getNameAsString() : "?";
    return K.str() + (K.exact() ? " exact " : " abstract ") + Obj +
           (K.isElement() ? "[]" : "");
  }
  std::unique_ptr<ASTUnit> AST;
};

TEST_F(ObjectKeyTest, MembersOfThisAndOfVariables) {
  build(R"cc(
    void Holder::f() { use(m); }
    void local() { Holder h; use(h.m); }
    void global() { use(g.next->m); }
    void param(Holder &p) { use(p.m); }
  )cc");
  EXPECT_EQ(key("f"), "m exact m");
  EXPECT_EQ(key("local"), "h.m exact m");
  EXPECT_EQ(key("global"), "g.next->m exact m");
  EXPECT_EQ(key("param"), "p.m exact m");
}

TEST_F(ObjectKeyTest, ReferencesAndPointersSetOnceStandForTheirInitialiser) {
  build(R"cc(
    void ref() { Holder h; Mutex &r = h.m; use(r); }
    void ptr() { Holder h; Holder *p = &h; use(p->m); }
    void reassigned(Holder *a, Holder *b) { Holder *p = a; p = b; use(p->m); }
    void smart(std::shared_ptr<Holder> s) { auto c = s; use(c->m); }
    void accessor() { Holder h; use(h.mtx()); }
  )cc");
  EXPECT_EQ(key("ref"), "h.m exact m");
  EXPECT_EQ(key("ptr"), "h.m exact m");
  // The name may stand for another object by now: its own root.
  EXPECT_EQ(key("reassigned"), "p->m exact m");
  EXPECT_EQ(key("smart"), "s->m exact m");
  EXPECT_EQ(key("accessor"), "h.m exact m");
}

TEST_F(ObjectKeyTest, ACallStandsForWhatEveryReturnNames) {
  build(R"cc(
    struct Box {
      Holder h;
      Holder *other;
      Mutex &lockFor(int k) {
        if (k > 0)
          return h.m;
        return this->h.m;
      }
      Mutex &either(bool b) { return b ? h.m : other->m; }
      Mutex &fresh() { static Mutex s; return s; }
      Mutex *pick(Holder *p) { return &p->m; }
      virtual Mutex &virt() { return h.m; }
    };
    void member() { Box b; use(b.lockFor(1)); }
    void twoObjects() { Box b; use(b.either(true)); }
    void parameter(Box &b, Holder &x) { use(*b.pick(&x)); }
    void virtualCall(Box &b) { use(b.virt()); }
  )cc");
  // Both returns name `this->h.m`: the caller's `b.h.m`.
  EXPECT_EQ(key("member"), "b.h.m exact m");
  // Returns that name two objects (or a function's own static): nothing.
  EXPECT_EQ(key("twoObjects"), "invalid");
  // A parameter of the callee: the caller's argument.
  EXPECT_EQ(key("parameter"), "x.m exact m");
  // An override may return another object.
  EXPECT_EQ(key("virtualCall"), "invalid");
}

TEST_F(ObjectKeyTest, AHandleNamesWhatItPointsTo) {
  build(R"cc(
    struct Handle {
      explicit Handle(std::shared_ptr<Mutex> p) : p_(p) {}
      void lock();
      void unlock();
      std::shared_ptr<Mutex> p_;
    };
    struct Two { std::shared_ptr<Mutex> a, b; };
    struct Target {
      std::shared_ptr<Mutex> api;
      Handle handle() { return Handle(api); }
    };
    void use(const Handle &);
    void use(const Two &);
    void made(Target &t) { Handle h = t.handle(); use(h); }
    void copied(Target &t) { Handle h = t.handle(); Handle c = h; use(c); }
    void direct(Target &t) { use(Handle(t.api)); }
    void notAHandle(Target &t) { Two x{t.api, t.api}; use(x); }
  )cc");
  // Made from the pointer it keeps, returned, copied: the pointee.
  EXPECT_EQ(key("made"), "t.api exact api");
  EXPECT_EQ(key("copied"), "t.api exact api");
  EXPECT_EQ(key("direct"), "t.api exact api");
  // Two pointers: an object of its own.
  EXPECT_EQ(key("notAHandle"), "x exact x");
}

TEST_F(ObjectKeyTest, AnIteratorNamesItsContainersElements) {
  build(R"cc(
    namespace std {
    template <class K, class V> struct pair { K first; V second; };
    template <class K, class V> struct map {
      struct iterator {
        pair<const K, V> *operator->() const;
        pair<const K, V> &operator*() const;
        iterator &operator++();
      };
      iterator find(const K &);
      iterator begin();
      V &operator[](const K &);
    };
    } // namespace std
    struct Table { std::map<int, Mutex> locks; };
    void found(Table &t) { auto it = t.locks.find(1); use(it->second); }
    void stepped(Table &t) {
      auto it = t.locks.begin();
      ++it;
      use((*it).second);
    }
    void subscript(Table &t) { use(t.locks[1]); }
    void reassigned(Table &t, Table &u) {
      auto it = t.locks.find(1);
      it = u.locks.find(2);
      use(it->second);
    }
  )cc");
  // A map's value is its element: the same key as `locks[k]`.
  EXPECT_EQ(key("found"), "t.locks[...] abstract locks[]");
  EXPECT_EQ(key("stepped"), "t.locks[...] abstract locks[]");
  EXPECT_EQ(key("subscript"), "t.locks[...] abstract locks[]");
  // Given another container's iterator since: its own root.
  EXPECT_EQ(key("reassigned"), "it.second exact second");
}

TEST_F(ObjectKeyTest, AFutureStandsForItsPromise) {
  build(R"cc(
    namespace std {
    template <class T> struct future { T get(); ~future(); };
    template <class T> struct shared_future {
      shared_future(future<T> &&);
      const T &get() const;
      ~shared_future();
    };
    template <class T> struct promise {
      promise();
      promise(promise &&);
      ~promise();
      future<T> get_future();
    };
    } // namespace std
    void use(const std::future<int> &);
    void use(const std::shared_future<int> &);
    void use(const std::promise<int> &);
    void local() { std::promise<int> p; auto f = p.get_future(); use(f); }
    void shared() {
      std::promise<int> p;
      std::shared_future<int> s = p.get_future();
      use(s);
    }
    void moved() { std::promise<int> p; auto q = std::move(p); use(q); }
    void captured() {
      std::promise<int> p;
      auto f = p.get_future();
      [g = std::move(f)] { use(g); }();
    }
    void smart(std::shared_ptr<std::promise<int>> sp) {
      auto f = sp->get_future();
      use(f);
    }
    void reassigned(std::promise<int> &a) {
      std::promise<int> p;
      auto f = p.get_future();
      f = a.get_future();
      use(f);
    }
  )cc");
  EXPECT_EQ(key("local"), "p exact p");
  EXPECT_EQ(key("shared"), "p exact p");
  EXPECT_EQ(key("moved"), "p exact p");
  EXPECT_EQ(key("captured"), "p exact p");
  EXPECT_EQ(key("smart"), "sp exact sp");
  // Assigned another future since: its own root.
  EXPECT_EQ(key("reassigned"), "f exact f");
}

TEST_F(ObjectKeyTest, ContainerElementsAreOneAbstractObject) {
  build(R"cc(
    void elem(std::vector<Holder> &v, int i) { use(v[i].m); }
    void front(std::vector<Mutex> &v) { use(v.front()); }
  )cc");
  EXPECT_EQ(key("elem"), "v[...].m abstract m");
  EXPECT_EQ(key("front"), "v[...] abstract v[]");
}

TEST_F(ObjectKeyTest, AggregateBuiltWithBracesStandsForItsInitialisers) {
  build(R"cc(
    void helper() { Holder h; Helper x{&h}; use(x.client->m); }
    void assigned(Holder *o) { Holder h; Helper x{&h}; x.client = o; use(x.client->m); }
  )cc");
  EXPECT_EQ(key("helper"), "h.m exact m");
  EXPECT_EQ(key("assigned"), "x.client->m exact m");
}

TEST_F(ObjectKeyTest, ThroughACallThisAndParametersBecomeTheCallersNames) {
  build(R"cc(
    void Holder::f() { use(m); }
    void takes(Holder &p) { use(p.m); }
    void own() { Holder l; use(l.m); }
    void caller() { Holder h; h.f(); takes(h); own(); }
  )cc");
  const FunctionDecl *Caller = function("caller");
  ASSERT_TRUE(Caller);
  KeyBuilder CallerKeys(Caller->getBody());
  auto Calls = match(findAll(callExpr().bind("c")), *Caller->getBody(),
                     AST->getASTContext());
  std::vector<std::string> Mapped;
  for (const auto &N : Calls) {
    const auto *Call = N.getNodeAs<CallExpr>("c");
    const FunctionDecl *Callee = Call->getDirectCallee()->getDefinition();
    if (!Callee)
      continue;
    KeyBuilder CalleeKeys(Callee->getBody());
    ObjectKey K = CalleeKeys.keyOf(uses(Callee).front());
    ObjectKey M = mapThroughCall(K, Call, Callee, CallerKeys, Caller);
    Mapped.push_back(Callee->getNameAsString() + ": " + M.str() +
                     (M.exact() ? " exact" : " abstract"));
  }
  ASSERT_EQ(Mapped.size(), 3u);
  EXPECT_EQ(Mapped[0], "f: h.m exact");
  EXPECT_EQ(Mapped[1], "takes: h.m exact");
  // The callee's own local is nobody the caller can name.
  EXPECT_EQ(Mapped[2], "own: m abstract");
}

TEST_F(ObjectKeyTest, WrappedMutexesHeldInDifferentMembersAreTwo) {
  build(R"cc(
    struct Wrapped { Mutex m; };
    struct Thd { Wrapped lock; Wrapped other; };
    struct Trx { Wrapped mutex; Thd *thd; };
    Wrapped ga, gb;
    void use2(Mutex &, Mutex &);
    void twoGlobals() { use2(ga.m, gb.m); }
    void twoMembers(Trx *t) { use2(t->mutex.m, t->thd->lock.m); }
    void sameMember(Thd *a, Thd *b) { use2(a->lock.m, b->lock.m); }
    void throughPointers(Wrapped *p, Wrapped *q) { use2(p->m, q->m); }
    void oneAndUnknown(Wrapped *p) { use2(ga.m, p->m); }
  )cc");
  auto Pair = [&](llvm::StringRef Fn) {
    const FunctionDecl *FD = function(Fn);
    auto M = match(findAll(callExpr(callee(functionDecl(hasName("use2"))))
                               .bind("c")),
                   *FD->getBody(), AST->getASTContext());
    const auto *Call = M.front().getNodeAs<CallExpr>("c");
    KeyBuilder KB(FD->getBody());
    ObjectKey A = KB.keyOf(Call->getArg(0)), B = KB.keyOf(Call->getArg(1));
    EXPECT_TRUE(A.sameObject(B)) << Fn.str();
    return surelyDistinct(A, B);
  };
  EXPECT_TRUE(Pair("twoGlobals"));
  EXPECT_TRUE(Pair("twoMembers"));
  // The same member of two objects, or objects reached through pointers:
  // maybe one mutex.
  EXPECT_FALSE(Pair("sameMember"));
  EXPECT_FALSE(Pair("throughPointers"));
  EXPECT_FALSE(Pair("oneAndUnknown"));
}

} // namespace
