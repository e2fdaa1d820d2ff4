//===--- ChannelCapacity.cpp - how many items a channel object holds ------===//

#include "engine/ChannelCapacity.h"
#include "engine/SpawnSites.h"
#include "engine/StmtWalk.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/ExprCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace clang::tidy::threadleak {

namespace {
/// The same function as \p F, whichever declaration a call names.
AST_MATCHER_P(FunctionDecl, isFunction, const FunctionDecl *, F) {
  return Node.getCanonicalDecl() == F->getCanonicalDecl();
}

/// The variable, or the member of `this`, that \p E names, through a
/// smart pointer's `->` and `*` (`q->set_capacity(1)`, `(*q).set_capacity`).
const ValueDecl *objectNamed(const Expr *E) {
  for (;;) {
    E = bareExpr(E);
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(E)) {
      if ((Op->getOperator() == OO_Arrow || Op->getOperator() == OO_Star) &&
          Op->getNumArgs() == 1) {
        E = Op->getArg(0);
        continue;
      }
      return nullptr;
    }
    if (const auto *U = llvm::dyn_cast<UnaryOperator>(E)) {
      if (U->getOpcode() != UO_Deref)
        return nullptr;
      E = U->getSubExpr();
      continue;
    }
    break;
  }
  if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(E))
    return llvm::dyn_cast<VarDecl>(DR->getDecl());
  return ownDataMember(E);
}
} // namespace

std::optional<uint64_t> ChannelCapacity::ofVariable(const VarDecl *VD,
                                                    const ChannelSpec &S) {
  if (S.Unbuffered)
    return 0;
  Setters Set;
  if (!S.CapacitySetters.empty() && VD->hasLocalStorage())
    if (const auto *Fn = llvm::dyn_cast<FunctionDecl>(VD->getDeclContext()))
      settersIn(Fn->getBody(), Fn, VD, S, Set);
  if (Set.Any)
    return Set.Capacity;
  return VD->getInit() ? Channels.capacityOf(VD->getInit(), S, Ctx)
                       : std::nullopt;
}

std::optional<uint64_t> ChannelCapacity::ofMember(const FieldDecl *FD,
                                                  const ChannelSpec &S) {
  if (S.Unbuffered)
    return 0;
  if (auto It = Members.find(FD); It != Members.end())
    return It->second;
  Setters Set;
  if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(FD->getParent());
      RD && RD->hasDefinition() && !S.CapacitySetters.empty())
    for (const CXXMethodDecl *MD : RD->getDefinition()->methods()) {
      const FunctionDecl *Def = nullptr;
      if (MD->hasBody(Def))
        settersIn(Def->getBody(), Def, FD, S, Set);
    }
  std::optional<uint64_t> Result =
      Set.Any ? Set.Capacity : constructorsGive(FD, S);
  Members[FD] = Result;
  return Result;
}

void ChannelCapacity::settersIn(const Stmt *Body, const FunctionDecl *Fn,
                                const ValueDecl *D, const ChannelSpec &S,
                                Setters &Out) {
  walkWithLambdas(Body, nullptr, [&](const Stmt *Node) {
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Node);
    const CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
    if (!MD || !MD->getIdentifier() || MC->getNumArgs() < 1 ||
        !llvm::is_contained(S.CapacitySetters, MD->getName()) ||
        objectNamed(MC->getImplicitObjectArgument()) != D)
      return;
    std::optional<uint64_t> C = valueIn(MC->getArg(0), Fn);
    if (!C || (Out.Any && Out.Capacity != C))
      Out.Disagree = true;
    Out.Any = true;
    Out.Capacity = Out.Disagree ? std::nullopt : C;
  });
}

std::optional<uint64_t> ChannelCapacity::valueIn(const Expr *E,
                                                 const FunctionDecl *Fn) {
  if (std::optional<uint64_t> C = evaluateCount(E, Ctx))
    return C;
  const auto *DR = llvm::dyn_cast<DeclRefExpr>(bareExpr(E));
  const auto *P = DR ? llvm::dyn_cast<ParmVarDecl>(DR->getDecl()) : nullptr;
  if (!P || P->getDeclContext() != Fn)
    return std::nullopt;
  return argumentOfEveryCall(Fn, P->getFunctionScopeIndex());
}

std::optional<uint64_t>
ChannelCapacity::constructorsGive(const FieldDecl *FD, const ChannelSpec &S) {
  const auto *RD = llvm::dyn_cast<CXXRecordDecl>(FD->getParent());
  if (!RD || !RD->hasDefinition())
    return std::nullopt;
  std::optional<uint64_t> Agreed;
  bool Known = true, Any = false;
  auto Merge = [&](std::optional<uint64_t> C) {
    if (!C || (Any && *Agreed != *C))
      Known = false;
    Agreed = C;
    Any = true;
  };
  // \p Ctor: the function whose parameters \p Init may name (a
  // constructor, or the function an aggregate's braces are written in).
  auto FromInit = [&](const Expr *Init, const FunctionDecl *Ctor) {
    if (!Init) {
      Merge(S.DefaultCapacity ? std::optional<uint64_t>(*S.DefaultCapacity)
                              : std::nullopt);
      return;
    }
    if (std::optional<uint64_t> C = Channels.capacityOf(Init, S, Ctx)) {
      Merge(C);
      return;
    }
    // A parameter of the constructor: what every construction passes.
    const Expr *Arg = Channels.capacityArgument(Init, S);
    const auto *DR =
        Arg ? llvm::dyn_cast<DeclRefExpr>(Arg->IgnoreParenImpCasts()) : nullptr;
    const auto *P = DR ? llvm::dyn_cast<ParmVarDecl>(DR->getDecl()) : nullptr;
    if (!Ctor || !P || P->getDeclContext() != Ctor) {
      Known = false;
      return;
    }
    Merge(argumentOfEveryCall(Ctor, P->getFunctionScopeIndex()));
  };
  bool SawCtor = false;
  for (const CXXConstructorDecl *Ctor : RD->ctors()) {
    if (Ctor->isCopyOrMoveConstructor() || Ctor->isDeleted())
      continue; // A copy has the capacity of what it copies.
    SawCtor = true;
    const FunctionDecl *DefFn = nullptr;
    if (!Ctor->hasBody(DefFn)) {
      if (!Ctor->isImplicit()) {
        Known = false; // Defined in another translation unit.
        break;
      }
      FromInit(FD->getInClassInitializer(), nullptr);
      continue;
    }
    const auto *Def = llvm::cast<CXXConstructorDecl>(DefFn);
    const Expr *Init = FD->getInClassInitializer();
    for (const CXXCtorInitializer *CI : Def->inits())
      if (CI->getMember() == FD)
        Init = CI->isInClassMemberInitializer() ? FD->getInClassInitializer()
                                                : CI->getInit();
    FromInit(Init, Def);
    if (!Known)
      break;
  }
  // The implicit default constructor, not declared yet (an aggregate made
  // only with braces has none).
  if (!SawCtor && !RD->isAggregate())
    FromInit(FD->getInClassInitializer(), nullptr);
  // An aggregate is made with braces too (`Request{n, chan(1)}`): each
  // gives the member its element, or its default.
  if (Known && RD->isAggregate()) {
    for (const InitListExpr *ILE : bracesOf(RD)) {
      const Expr *Init = FD->getFieldIndex() < ILE->getNumInits()
                             ? ILE->getInit(FD->getFieldIndex())
                             : nullptr;
      if (const auto *DI = llvm::dyn_cast_or_null<CXXDefaultInitExpr>(Init))
        Init = DI->getExpr();
      if (Init && llvm::isa<ImplicitValueInitExpr>(Init))
        Init = nullptr;
      FromInit(Init, enclosingFunction(ILE, Ctx));
      if (!Known)
        break;
    }
  }
  return Known && Any ? Agreed : std::nullopt;
}

llvm::ArrayRef<const InitListExpr *>
ChannelCapacity::bracesOf(const CXXRecordDecl *RD) {
  // One walk of the translation unit, for every aggregate asked about.
  if (!Braces) {
    Braces.emplace();
    using namespace ast_matchers;
    llvm::SmallPtrSet<const InitListExpr *, 8> Seen;
    for (const BoundNodes &N :
         match(traverse(TK_AsIs, findAll(initListExpr().bind("i"))), Ctx)) {
      const auto *ILE = N.getNodeAs<InitListExpr>("i");
      if (!ILE->isSemanticForm())
        ILE = ILE->getSemanticForm();
      const CXXRecordDecl *Of = ILE && !ILE->getType().isNull()
                                    ? ILE->getType()->getAsCXXRecordDecl()
                                    : nullptr;
      if (Of && Seen.insert(ILE).second)
        (*Braces)[Of->getCanonicalDecl()].push_back(ILE);
    }
  }
  auto It = Braces->find(RD->getCanonicalDecl());
  return It == Braces->end() ? llvm::ArrayRef<const InitListExpr *>()
                             : llvm::ArrayRef(It->second);
}

std::optional<uint64_t>
ChannelCapacity::argumentOfEveryCall(const FunctionDecl *F, unsigned Index) {
  F = F->getCanonicalDecl();
  if (auto It = Arguments.find({F, Index}); It != Arguments.end())
    return It->second;
  return Arguments[{F, Index}] = everyCall(F, Index);
}

std::optional<uint64_t> ChannelCapacity::everyCall(const FunctionDecl *F,
                                                   unsigned Index) {
  using namespace ast_matchers;
  const SourceManager &SM = Ctx.getSourceManager();
  std::optional<uint64_t> Agreed;
  bool Any = false;
  auto Merge = [&](const Expr *Arg) {
    std::optional<uint64_t> C = evaluateCount(Arg, Ctx);
    if (!C || (Any && *Agreed != *C))
      return false;
    Agreed = C;
    Any = true;
    return true;
  };
  const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(F);
  if (!Ctor) {
    // Calls of a function or method: the argument as written (a default
    // argument is its expression too).
    for (const BoundNodes &N :
         match(traverse(TK_AsIs,
                        findAll(callExpr(callee(functionDecl(isFunction(F))))
                                    .bind("c"))),
               Ctx)) {
      const auto *Call = N.getNodeAs<CallExpr>("c");
      unsigned Shift =
          llvm::isa<CXXOperatorCallExpr>(Call) && llvm::isa<CXXMethodDecl>(F)
              ? 1
              : 0;
      if (Index + Shift >= Call->getNumArgs() ||
          !Merge(Call->getArg(Index + Shift)))
        return std::nullopt;
    }
    return Any ? Agreed : std::nullopt;
  }
  const CXXRecordDecl *RD = Ctor->getParent();
  // Direct constructions (`CacheWatcher w(ex, 0)`, `new CacheWatcher(ex,
  // 0)`); those inside a library's make_shared are its caller's, below.
  for (const BoundNodes &N : match(
           traverse(TK_AsIs,
                    findAll(cxxConstructExpr(hasDeclaration(cxxConstructorDecl(
                                                 isFunction(Ctor))))
                                .bind("c"))),
           Ctx)) {
    const auto *CE = N.getNodeAs<CXXConstructExpr>("c");
    if (SM.isInSystemHeader(SM.getExpansionLoc(CE->getBeginLoc())))
      continue;
    if (Index >= CE->getNumArgs() || !Merge(CE->getArg(Index)))
      return std::nullopt;
  }
  // std::make_shared<T>(args...) and friends.
  for (const BoundNodes &N :
       match(traverse(TK_AsIs, findAll(callExpr(callee(functionDecl(hasAnyName(
                                                    "::std::make_shared",
                                                    "::std::make_unique",
                                                    "::std::allocate_shared",
                                                    "::boost::make_shared"))))
                                           .bind("m"))),
             Ctx)) {
    const auto *Call = N.getNodeAs<CallExpr>("m");
    const FunctionDecl *F = Call->getDirectCallee();
    const TemplateArgumentList *TA =
        F ? F->getTemplateSpecializationArgs() : nullptr;
    if (!TA || TA->size() < 1 || TA->get(0).getKind() != TemplateArgument::Type)
      continue;
    const CXXRecordDecl *T = recordOf(TA->get(0).getAsType());
    if (!T || T->getCanonicalDecl() != RD->getCanonicalDecl())
      continue;
    unsigned Skip = F->getName() == "allocate_shared" ? 1 : 0;
    // Which constructor make_shared picks is overload resolution inside
    // the library: require the argument count to fit this one.
    if (Call->getNumArgs() - Skip != Ctor->getNumParams() ||
        !Merge(Call->getArg(Index + Skip)))
      return std::nullopt;
  }
  return Any ? Agreed : std::nullopt;
}

} // namespace clang::tidy::threadleak
