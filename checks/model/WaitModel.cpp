//===--- WaitModel.cpp ----------------------------------------------------===//

#include "model/WaitModel.h"
#include "engine/StmtWalk.h"
#include "model/LockModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace clang::tidy::threadleak {

namespace defaults {
const char SelectFunctions[] =
    "::poll;::ppoll;::epoll_wait;::epoll_pwait;::epoll_pwait2;::select;"
    "::pselect";
const char ConditionVariableTypes[] =
    "::std::condition_variable;::std::condition_variable_any;"
    "::boost::condition_variable;::boost::condition_variable_any;"
    "::boost::fibers::condition_variable;"
    "::boost::fibers::condition_variable_any";
const char StopMethods[] =
    "stop;shutdown;request_stop;close;cancel;terminate;quit;finish;join;"
    "abort";
} // namespace defaults

static const Expr *strip(const Expr *E) { return bareExprThroughCopies(E); }

/// The name of the namespace \p D is declared in (innermost).
static llvm::StringRef enclosingNamespace(const Decl *D) {
  for (const DeclContext *C = D->getDeclContext(); C; C = C->getParent())
    if (const auto *NS = llvm::dyn_cast<NamespaceDecl>(C))
      if (!NS->isInlineNamespace())
        return NS->getName();
  return "";
}

/// The operator function of an awaitable operator (`||`, `&&`) of Asio's
/// awaitable_operators namespace.
static bool isAwaitableOperator(const Expr *E, OverloadedOperatorKind Op) {
  const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E);
  if (!OC || OC->getOperator() != Op || OC->getNumArgs() != 2)
    return false;
  const FunctionDecl *F = OC->getDirectCallee();
  return F && enclosingNamespace(F) == "awaitable_operators";
}

static unsigned countOrAlternatives(const Expr *E) {
  E = strip(E);
  if (isAwaitableOperator(E, OO_PipePipe)) {
    const auto *OC = llvm::cast<CXXOperatorCallExpr>(E);
    return countOrAlternatives(OC->getArg(0)) +
           countOrAlternatives(OC->getArg(1));
  }
  return 1;
}

static const CXXRecordDecl *recordNamed(QualType T) {
  return recordOf(T.getNonReferenceType());
}

static bool recordIs(QualType T, std::initializer_list<llvm::StringRef> Names) {
  const CXXRecordDecl *RD = recordNamed(T);
  if (!RD || !RD->getIdentifier())
    return false;
  return llvm::is_contained(Names, RD->getName());
}

SelectCaseModel::SelectCaseModel(const ModelConfig::SelectCaseSpec &Spec) {
  Receive.add(Spec.Receive);
  Send.add(Spec.Send);
  Default.add(Spec.Default);
}

SelectCaseModel::CaseKind SelectCaseModel::caseKind(const Expr *E) const {
  if (empty() || !E)
    return CaseKind::None;
  const auto *Call = llvm::dyn_cast<CallExpr>(bareExpr(E));
  if (!Call)
    return CaseKind::None;
  if (Receive.containsCallee(Call))
    return CaseKind::Receive;
  if (Send.containsCallee(Call))
    return CaseKind::Send;
  if (Default.containsCallee(Call))
    return CaseKind::Default;
  return CaseKind::None;
}

bool SelectCaseModel::isSelect(const CallExpr *Call) const {
  // (Not the standard library's: `cases.push_back(case_recv(a))` builds a
  // select, it is none.)
  const FunctionDecl *F = Call->getDirectCallee();
  const auto *M = llvm::dyn_cast_or_null<CXXMethodDecl>(F);
  bool Std =
      M ? M->getParent()->isInStdNamespace() : F && F->isInStdNamespace();
  return !empty() && !llvm::isa<CXXOperatorCallExpr>(Call) && !Std &&
         llvm::any_of(Call->arguments(),
                      [&](const Expr *A) { return isCase(A); });
}

SelectCaseModel::Arms SelectCaseModel::armsOf(const CallExpr *Select) const {
  Arms A;
  for (const Expr *Arg : Select->arguments()) {
    switch (caseKind(Arg)) {
    case CaseKind::None:
      ++A.Others;
      break;
    case CaseKind::Default:
      A.Default = true;
      break;
    case CaseKind::Receive:
    case CaseKind::Send:
      A.Cases.push_back(llvm::cast<CallExpr>(bareExpr(Arg)));
      break;
    }
  }
  return A;
}

ChannelOp SelectCaseModel::caseOp(const CallExpr *Case,
                                  const ChannelModel &Channels,
                                  bool Blocks) const {
  ChannelOp Op;
  CaseKind Kind = caseKind(Case);
  if ((Kind != CaseKind::Receive && Kind != CaseKind::Send) ||
      Case->getNumArgs() == 0)
    return Op;
  const ChannelSpec *Spec = Channels.specForType(Case->getArg(0)->getType());
  if (!Spec)
    return Op;
  bool Receive = Kind == CaseKind::Receive;
  Op.Kind = Receive
                ? (Blocks ? ChannelOpKind::Receive : ChannelOpKind::TryReceive)
                : (Blocks ? ChannelOpKind::Send : ChannelOpKind::TrySend);
  Op.Call = Case;
  Op.Channel = Case->getArg(0);
  Op.Spec = Spec;
  return Op;
}

std::optional<MultiWait> asMultiWait(const Stmt *S,
                                     const NameList &SelectFunctions,
                                     const SelectCaseModel &Cases) {
  const auto *E = llvm::dyn_cast<Expr>(S);
  if (!E)
    return std::nullopt;
  if (isAwaitableOperator(E, OO_PipePipe)) {
    MultiWait W;
    W.Kind = MultiWait::AwaitableOr;
    W.Where = E;
    W.Alternatives = countOrAlternatives(E);
    return W;
  }
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (MD && MD->getIdentifier() && MD->getName() == "async_wait" &&
        MC->getNumArgs() >= 1 && MD->getParent()->getIdentifier() &&
        (MD->getParent()->getName() == "parallel_group" ||
         MD->getParent()->getName() == "ranged_parallel_group") &&
        recordIs(MC->getArg(0)->getType(),
                 {"wait_for_one", "wait_for_one_success",
                  "wait_for_one_error"})) {
      MultiWait W;
      W.Kind = MultiWait::ParallelGroup;
      W.Where = E;
      if (const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(
              MD->getParent());
          Spec && MD->getParent()->getName() == "parallel_group") {
        unsigned N = 0;
        for (const TemplateArgument &A : Spec->getTemplateArgs().asArray())
          N += A.getKind() == TemplateArgument::Pack ? A.pack_size() : 1;
        W.Alternatives = N;
      }
      return W;
    }
  }
  if (const auto *Call = llvm::dyn_cast<CallExpr>(E)) {
    if (llvm::isa<CXXOperatorCallExpr>(Call))
      return std::nullopt;
    if (Cases.isSelect(Call)) {
      MultiWait W;
      W.Kind = MultiWait::CaseSelect;
      W.Where = E;
      W.Callee = Call->getDirectCallee();
      SelectCaseModel::Arms A = Cases.armsOf(Call);
      W.HasDefault = A.Default;
      // A case, or something else that may fire.
      W.Alternatives = A.Cases.size() + A.Others;
      return W;
    }
    const FunctionDecl *F = Call->getDirectCallee();
    // At global scope only C functions: a project's own C++ `poll()` is not
    // the system call.
    if (F && !SelectFunctions.empty() && SelectFunctions.containsCallee(Call) &&
        (!F->getDeclContext()->getRedeclContext()->isTranslationUnit() ||
         F->isExternC())) {
      MultiWait W;
      W.Kind = MultiWait::SelectCall;
      W.Where = E;
      W.Callee = Call->getDirectCallee();
      return W;
    }
  }
  return std::nullopt;
}

const ValueDecl *namedObject(const Expr *E) {
  E = strip(E);
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
    return llvm::dyn_cast<VarDecl>(DRE->getDecl());
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    return llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_Deref)
      return namedObject(UO->getSubExpr());
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E))
    if ((OC->getOperator() == OO_Arrow || OC->getOperator() == OO_Star) &&
        OC->getNumArgs() == 1)
      return namedObject(OC->getArg(0));
  return nullptr;
}

/// A completion token that makes `co_await op(token)` throw the operation's
/// error: use_awaitable, or deferred (an awaitable awaits a deferred
/// operation the same way).
static bool isThrowingToken(const Expr *Token) {
  const CXXRecordDecl *RD = recordNamed(strip(Token)->getType());
  if (!RD || !RD->getIdentifier())
    return false;
  llvm::StringRef NS = enclosingNamespace(RD);
  return NS == "asio" &&
         (RD->getName() == "use_awaitable_t" || RD->getName() == "deferred_t");
}

static const Expr *lastWrittenArg(const CallExpr *Call) {
  for (unsigned I = Call->getNumArgs(); I > 0; --I)
    if (!llvm::isa<CXXDefaultArgExpr>(Call->getArg(I - 1)))
      return Call->getArg(I - 1);
  return nullptr;
}

bool awaitThrowsOn(const Expr *E,
                   llvm::SmallVectorImpl<const ValueDecl *> &Objects) {
  E = strip(E);
  if (isAwaitableOperator(E, OO_PipePipe) ||
      isAwaitableOperator(E, OO_AmpAmp)) {
    const auto *OC = llvm::cast<CXXOperatorCallExpr>(E);
    llvm::SmallVector<const ValueDecl *, 4> L, R;
    bool LT = awaitThrowsOn(OC->getArg(0), L);
    bool RT = awaitThrowsOn(OC->getArg(1), R);
    if (OC->getOperator() == OO_AmpAmp) {
      // Either operand's failure fails the whole.
      Objects.append(L.begin(), L.end());
      Objects.append(R.begin(), R.end());
      return LT || RT;
    }
    // `||` completes as soon as one operand succeeds: it throws only when
    // one failure fails both, that is, on objects both throw on.
    if (!LT || !RT)
      return false;
    bool Any = false;
    for (const ValueDecl *D : L)
      if (D && llvm::is_contained(R, D)) {
        Objects.push_back(D);
        Any = true;
      }
    return Any;
  }
  const auto *Call = llvm::dyn_cast<CallExpr>(E);
  if (!Call)
    return false;
  const FunctionDecl *F = Call->getDirectCallee();
  if (!F || !F->getIdentifier() || !F->getName().starts_with("async_"))
    return false;
  const Expr *Token = lastWrittenArg(Call);
  if (!Token || !isThrowingToken(Token))
    return false;
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    // A parallel group reports its operations' errors as values.
    if (MD && MD->getParent()->getIdentifier() &&
        MD->getParent()->getName().ends_with("parallel_group"))
      return false;
    Objects.push_back(namedObject(MC->getImplicitObjectArgument()));
    return true;
  }
  // async_read(stream, ...), async_write(stream, ...): the stream.
  Objects.push_back(Call->getNumArgs() > 1 ? namedObject(Call->getArg(0))
                                           : nullptr);
  return true;
}

bool throwsIfCancelled(const Expr *E) {
  const CXXRecordDecl *RD = recordNamed(strip(E)->getType());
  return RD && RD->getIdentifier() && enclosingNamespace(RD) == "asio" &&
         (RD->getName() == "awaitable" ||
          RD->getName() == "deferred_async_operation");
}

bool spawnerCanCancel(const Expr *Token) {
  return Token && !recordIs(strip(Token)->getType(), {"detached_t"});
}

static const FunctionDecl *pthreadCond(const CallExpr *Call);
static std::vector<std::pair<unsigned, int64_t>>
defaultArgs(const CXXMethodDecl *MD);

bool ConditionVariableModel::isConditionVariable(QualType T) const {
  const CXXRecordDecl *RD = recordNamed(T);
  if (!RD)
    return false;
  if (Types.contains(RD))
    return true;
  if (!ReadWrappers || !RD->hasDefinition())
    return false;
  if (auto It = WrapperClasses.find(RD->getCanonicalDecl());
      It != WrapperClasses.end())
    return It->second;
  bool Waits = llvm::any_of(RD->methods(), [&](const CXXMethodDecl *M) {
    return wrapperOp(M).Kind == WrapperOp::Wait ||
           (M->getMinRequiredArguments() < M->getNumParams() &&
            wrapperOp(M, defaultArgs(M), 0).Kind == WrapperOp::Wait);
  });
  // (Asked while a wrapper is being read, the answer may rest on that
  // reading's placeholder: not kept.)
  if (!Reading)
    WrapperClasses[RD->getCanonicalDecl()] = Waits;
  return Waits;
}

/// Walks what a wait's lock argument \p E is made from: \p E itself and,
/// for a local lock, what the local was constructed from
/// (`unique_lock<mutex> l(mutex.m, std::adopt_lock)`).
template <typename VisitFn>
static void walkLockArgument(const Expr *E, VisitFn &&Visit) {
  walkOwnCode(E, Visit);
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(bareExpr(E)))
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
      if (VD->hasLocalStorage() && VD->getInit())
        walkOwnCode(VD->getInit(), Visit);
}

/// The parameter of \p Fn that \p E (a wait's lock argument) is made
/// from: the parameter itself (`unique_lock<mutex> &lk`), what it names
/// (`&m->mu_`), or what a local lock was constructed from.
static const ParmVarDecl *lockParameter(const Expr *E, const FunctionDecl *Fn) {
  const ParmVarDecl *Found = nullptr;
  walkLockArgument(E, [&](const Stmt *N) {
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(N))
      if (const auto *P = llvm::dyn_cast<ParmVarDecl>(DRE->getDecl()))
        if (!Found && P->getDeclContext() == Fn)
          Found = P;
  });
  return Found;
}

/// The integer constant \p E is, a default argument's too.
static std::optional<int64_t> constantValue(const Expr *E,
                                            const ASTContext &Ctx) {
  E = E->IgnoreParenImpCasts();
  if (const auto *DA = llvm::dyn_cast<CXXDefaultArgExpr>(E))
    E = DA->getExpr()->IgnoreParenImpCasts();
  if (E->isValueDependent() || E->isTypeDependent() ||
      !E->getType()->isIntegralOrEnumerationType())
    return std::nullopt;
  Expr::EvalResult R;
  if (!E->EvaluateAsInt(R, Ctx))
    return std::nullopt;
  return R.Val.getInt().tryExtValue();
}

/// What \p E is given the constants \p Args passes to \p Fn's parameters:
/// a bound parameter's value, or a constant.
static std::optional<int64_t>
boundValue(const Expr *E, const FunctionDecl *Fn,
           const std::vector<std::pair<unsigned, int64_t>> &Args,
           const ASTContext &Ctx) {
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts())) {
    if (const auto *P = llvm::dyn_cast<ParmVarDecl>(DRE->getDecl())) {
      if (P->getDeclContext() != Fn)
        return std::nullopt;
      for (const auto &[I, V] : Args)
        if (I == P->getFunctionScopeIndex())
          return V;
      return std::nullopt;
    }
  }
  return constantValue(E, Ctx);
}

/// Which way \p Cond goes when \p Fn is called with \p Args: `p == 0`,
/// `p != k`, `!p`, `p`; nothing if it depends on anything else.
static std::optional<bool>
decided(const Expr *Cond, const FunctionDecl *Fn,
        const std::vector<std::pair<unsigned, int64_t>> &Args,
        const ASTContext &Ctx) {
  if (Args.empty())
    return std::nullopt;
  Cond = Cond->IgnoreParenImpCasts();
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Cond)) {
    if (UO->getOpcode() != UO_LNot)
      return std::nullopt;
    if (std::optional<bool> B = decided(UO->getSubExpr(), Fn, Args, Ctx))
      return !*B;
    return std::nullopt;
  }
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Cond)) {
    if (!BO->isComparisonOp())
      return std::nullopt;
    std::optional<int64_t> L = boundValue(BO->getLHS(), Fn, Args, Ctx);
    std::optional<int64_t> R = boundValue(BO->getRHS(), Fn, Args, Ctx);
    if (!L || !R)
      return std::nullopt;
    switch (BO->getOpcode()) {
    case BO_EQ:
      return *L == *R;
    case BO_NE:
      return *L != *R;
    case BO_LT:
      return *L < *R;
    case BO_GT:
      return *L > *R;
    case BO_LE:
      return *L <= *R;
    case BO_GE:
      return *L >= *R;
    default:
      return std::nullopt;
    }
  }
  if (llvm::isa<DeclRefExpr>(Cond))
    if (std::optional<int64_t> V = boundValue(Cond, Fn, Args, Ctx))
      return *V != 0;
  return std::nullopt;
}

static bool endsInReturn(const Stmt *S) {
  if (const auto *CS = llvm::dyn_cast_or_null<CompoundStmt>(S))
    return !CS->body_empty() && endsInReturn(CS->body_back());
  return llvm::isa_and_nonnull<ReturnStmt>(S);
}

/// walkOwnCode() of \p Fn's \p Body as a call passing \p Args runs it: an
/// `if` that the constants decide is walked only into the branch taken,
/// and a taken branch that returns ends its block.
template <typename VisitFn>
static void walkTaken(const Stmt *Body, const FunctionDecl *Fn,
                      const std::vector<std::pair<unsigned, int64_t>> &Args,
                      const ASTContext &Ctx, VisitFn &&Visit) {
  auto Taken = [&](const Stmt *S) -> std::optional<const Stmt *> {
    const auto *If = llvm::dyn_cast<IfStmt>(S);
    if (!If || If->getInit() || If->getConditionVariable())
      return std::nullopt;
    std::optional<bool> B = decided(If->getCond(), Fn, Args, Ctx);
    if (!B)
      return std::nullopt;
    return *B ? If->getThen() : If->getElse();
  };
  detail::walkStmts(
      Body,
      [&](const Stmt *Cur, llvm::SmallVectorImpl<const Stmt *> &Out) {
        if (const auto *LE = llvm::dyn_cast<LambdaExpr>(Cur)) {
          Out.append(LE->capture_init_begin(), LE->capture_init_end());
        } else if (std::optional<const Stmt *> T = Taken(Cur)) {
          Out.push_back(*T);
        } else if (const auto *CS = llvm::dyn_cast<CompoundStmt>(Cur)) {
          for (const Stmt *Child : CS->body()) {
            Out.push_back(Child);
            if (std::optional<const Stmt *> T = Taken(Child);
                T && endsInReturn(*T))
              break;
          }
        } else {
          Out.append(Cur->child_begin(), Cur->child_end());
        }
      },
      [&](const Stmt *Cur) {
        Visit(Cur);
        return true;
      });
}

/// The call that is the whole body of \p Def (`return impl_->wait(t);`),
/// on `this` or on a data member of \p RD (\p OnMember), of a member
/// function defined outside system headers; else null.
static const CXXMemberCallExpr *forwardedCall(const FunctionDecl *Def,
                                              const CXXRecordDecl *RD,
                                              bool &OnMember) {
  const auto *CS = llvm::dyn_cast<CompoundStmt>(Def->getBody());
  if (!CS || CS->size() != 1)
    return nullptr;
  const Stmt *S = CS->body_front();
  if (const auto *RS = llvm::dyn_cast<ReturnStmt>(S))
    S = RS->getRetValue();
  const auto *E = llvm::dyn_cast_or_null<Expr>(S);
  const auto *MC = E ? llvm::dyn_cast<CXXMemberCallExpr>(bareExpr(E)) : nullptr;
  const CXXMethodDecl *Callee = MC ? MC->getMethodDecl() : nullptr;
  const FunctionDecl *CalleeDef = nullptr;
  if (!Callee || !Callee->hasBody(CalleeDef) ||
      Def->getASTContext().getSourceManager().isInSystemHeader(
          CalleeDef->getLocation()))
    return nullptr;
  const Expr *Obj = MC->getImplicitObjectArgument()->IgnoreParenImpCasts();
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Obj))
    if (OC->getOperator() == OO_Arrow && OC->getNumArgs() == 1)
      Obj = OC->getArg(0)->IgnoreParenImpCasts();
  if (llvm::isa<CXXThisExpr>(Obj)) {
    OnMember = false;
    return MC;
  }
  const auto *ME = llvm::dyn_cast<MemberExpr>(Obj);
  const auto *FD =
      ME ? llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
  if (!FD || FD->getParent() != RD ||
      !llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
    return nullptr;
  OnMember = true;
  return MC;
}

/// \p E (a wait's lock argument) is made from a lockable data member of
/// \p RD's own: `mutex_.getUnderlyingImpl()`, `unique_lock l(m_,
/// adopt_lock)`.
static bool ownLock(const Expr *E, const CXXRecordDecl *RD) {
  bool Found = false;
  walkLockArgument(E, [&](const Stmt *N) {
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(N))
      if (const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()))
        Found |= FD->getParent() == RD &&
                 llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()) &&
                 LockModel::isLockable(FD->getType());
  });
  return Found;
}

/// The constants \p MD's default arguments give the parameters a call
/// leaves out.
static std::vector<std::pair<unsigned, int64_t>>
defaultArgs(const CXXMethodDecl *MD) {
  std::vector<std::pair<unsigned, int64_t>> Args;
  for (const ParmVarDecl *P : MD->parameters())
    if (P->hasDefaultArg() && !P->hasUninstantiatedDefaultArg() &&
        !P->hasUnparsedDefaultArg())
      if (std::optional<int64_t> V =
              constantValue(P->getDefaultArg(), MD->getASTContext()))
        Args.emplace_back(P->getFunctionScopeIndex(), *V);
  return Args;
}

const ConditionVariableModel::WrapperOp &
ConditionVariableModel::wrapperOp(const CXXMethodDecl *MD) const {
  if (auto It = Wrappers.find(MD); It != Wrappers.end())
    return It->second;
  WrapperOp Op = wrapperOp(MD, {}, 0);
  return Wrappers[MD] = Op;
}

ConditionVariableModel::WrapperOp
ConditionVariableModel::wrapperOpOf(const CXXMemberCallExpr *MC) const {
  const CXXMethodDecl *MD = MC->getMethodDecl();
  // Most member calls are the standard library's: no wrapper, and no
  // reason to evaluate their arguments.
  if (!MD->hasBody() || MD->getASTContext().getSourceManager().isInSystemHeader(
                            MD->getLocation()))
    return WrapperOp();
  ConstArgs Args;
  for (unsigned I = 0; I < MC->getNumArgs(); ++I)
    if (std::optional<int64_t> V =
            constantValue(MC->getArg(I), MD->getASTContext()))
      Args.emplace_back(I, *V);
  return Args.empty() ? wrapperOp(MD) : wrapperOp(MD, Args, 0);
}

ConditionVariableModel::WrapperOp
ConditionVariableModel::wrapperOp(const CXXMethodDecl *MD,
                                  const ConstArgs &Args, unsigned Depth) const {
  auto Key = std::make_pair(MD, Args);
  if (auto It = BoundWrappers.find(Key); It != BoundWrappers.end())
    return It->second;
  BoundWrappers[Key] = WrapperOp(); // Recursion: not through itself.
  struct ReadingScope {
    unsigned &N;
    explicit ReadingScope(unsigned &N) : N(N) { ++N; }
    ~ReadingScope() { --N; }
  } Scope(Reading);
  WrapperOp Op;
  const CXXRecordDecl *RD = MD->getParent();
  const FunctionDecl *Def = nullptr;
  const ASTContext &Ctx = MD->getASTContext();
  if (!MD->getIdentifier() || MD->isStatic() || Types.contains(RD) ||
      Ctx.getSourceManager().isInSystemHeader(MD->getLocation()) ||
      !MD->hasBody(Def) || !Def->getBody())
    return BoundWrappers[Key] = Op;
  // A forwarder is what it forwards to.
  bool OnMember = false;
  if (const CXXMemberCallExpr *Fwd = forwardedCall(Def, RD, OnMember)) {
    if (Depth >= 3)
      return BoundWrappers[Key] = Op;
    ConstArgs Inner;
    llvm::SmallVector<int, 4> ParamOf(Fwd->getNumArgs(), -1);
    for (unsigned I = 0; I < Fwd->getNumArgs(); ++I) {
      const Expr *A = Fwd->getArg(I);
      if (std::optional<int64_t> V = boundValue(A, Def, Args, Ctx)) {
        Inner.emplace_back(I, *V);
        continue;
      }
      const auto *DRE = llvm::dyn_cast<DeclRefExpr>(bareExpr(A));
      const auto *P =
          DRE ? llvm::dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
      if (!P || P->getDeclContext() != Def)
        return BoundWrappers[Key] = Op;
      ParamOf[I] = P->getFunctionScopeIndex();
    }
    WrapperOp In = wrapperOp(Fwd->getMethodDecl(), Inner, Depth + 1);
    if (In.Kind == WrapperOp::Wait) {
      if (In.LockSelf) {
        if (OnMember && !LockModel::isLockableClass(RD))
          return BoundWrappers[Key] = Op;
        Op.LockSelf = true;
      } else if (In.LockParam < ParamOf.size() && ParamOf[In.LockParam] >= 0) {
        Op.LockParam = ParamOf[In.LockParam];
      } else {
        return BoundWrappers[Key] = Op;
      }
      Op.Kind = WrapperOp::Wait;
      Op.Timed = In.Timed;
    } else if (In.Kind == WrapperOp::Notify) {
      Op.Kind = WrapperOp::Notify;
      Op.One = In.One;
    }
    return BoundWrappers[Key] = Op;
  }
  unsigned Waits = 0, Notifies = 0, Loops = 0, Other = 0;
  std::optional<ConditionWait> Inner;
  const CallExpr *Notify = nullptr;
  auto OwnMember = [&](const ValueDecl *D) {
    const auto *FD = llvm::dyn_cast_or_null<FieldDecl>(D);
    return FD && FD->getParent() == RD;
  };
  // What the wait's lock argument calls (`mutex_.getUnderlyingImpl()`)
  // only names the lock.
  llvm::SmallPtrSet<const Stmt *, 8> InLockArgument;
  walkTaken(Def->getBody(), Def, Args, Ctx, [&](const Stmt *N) {
    Loops += loopBody(N) != nullptr;
    // Anything else it does (a state it changes, a call of anything but
    // its own lock objects) makes it more than a wrapper: an event, a
    // queue.
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(N))
      Other += BO->isAssignmentOp();
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(N))
      Other += UO->isIncrementDecrementOp();
    const auto *Call = llvm::dyn_cast<CallExpr>(N);
    if (!Call || InLockArgument.contains(Call))
      return;
    if (std::optional<ConditionWait> W = asWait(Call)) {
      ++Waits;
      if (OwnMember(W->CondVar))
        Inner = W;
      if (W->Lock)
        walkOwnCode(W->Lock, [&](const Stmt *L) { InLockArgument.insert(L); });
    } else if (const ValueDecl *CV = notified(Call)) {
      Notifies += OwnMember(CV) ? 1 : 2; // Another's: not a wrapper.
      Notify = Call;
    } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
      const auto *DRE = llvm::dyn_cast<DeclRefExpr>(
          bareExpr(MC->getImplicitObjectArgument()));
      const auto *VD = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
      Other += !(VD && VD->hasLocalStorage());
    } else {
      ++Other;
    }
  });
  if (Other)
    return BoundWrappers[Key] = Op;
  if (Waits == 1 && Inner && !Notifies && !Loops && !Inner->Predicate &&
      !Inner->StopAware && Inner->Lock) {
    if (const ParmVarDecl *P = lockParameter(Inner->Lock, Def)) {
      Op.Kind = WrapperOp::Wait;
      Op.LockParam = P->getFunctionScopeIndex();
      Op.Timed = Inner->Timed;
    } else if (ownLock(Inner->Lock, RD) && LockModel::isLockableClass(RD)) {
      // A monitor: callers hold it through its own lock().
      Op.Kind = WrapperOp::Wait;
      Op.LockSelf = true;
      Op.Timed = Inner->Timed;
    }
  } else if (!Waits && Notifies == 1 && !Loops) {
    Op.Kind = WrapperOp::Notify;
    Op.One = wakesOne(Notify);
  }
  return BoundWrappers[Key] = Op;
}

bool ConditionVariableModel::wakesOne(const CallExpr *Call) const {
  if (const FunctionDecl *FD = pthreadCond(Call))
    return FD->getName() == "pthread_cond_signal";
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  const CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
  if (!MD || !MD->getIdentifier())
    return false;
  if (MD->getName() == "notify_one")
    return onConditionVariable(MC) != nullptr;
  if (!ReadWrappers)
    return false;
  WrapperOp Op = wrapperOpOf(MC);
  return Op.Kind == WrapperOp::Notify && Op.One;
}

std::string ConditionVariableModel::wakeAllName(const CallExpr *Call) const {
  if (pthreadCond(Call))
    return "pthread_cond_broadcast";
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  const CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
  if (!MD || !MD->getIdentifier())
    return "";
  if (MD->getName() == "notify_one")
    return "notify_all";
  for (const CXXMethodDecl *M : MD->getParent()->methods()) {
    if (!M->getIdentifier() || M->getMinRequiredArguments() != 0)
      continue;
    WrapperOp Op = wrapperOp(M, defaultArgs(M), 0);
    if (Op.Kind == WrapperOp::Notify && !Op.One)
      return M->getName().str();
  }
  return "";
}

const Expr *
ConditionVariableModel::onConditionVariable(const CXXMemberCallExpr *MC) const {
  const Expr *Obj = MC->getImplicitObjectArgument();
  if (!Obj || !(Types.contains(MC->getMethodDecl()->getParent()) ||
                isConditionVariable(Obj->getType())))
    return nullptr;
  return Obj;
}

static bool isCallable(QualType T) {
  T = T.getNonReferenceType();
  if (T->isFunctionPointerType() || T->isFunctionType())
    return true;
  if (const CXXRecordDecl *RD = T->getAsCXXRecordDecl()) {
    if (RD->isLambda())
      return true;
    if (!RD->hasDefinition())
      return false;
    for (const CXXMethodDecl *M : RD->methods())
      if (M->getOverloadedOperator() == OO_Call)
        return true;
  }
  return false;
}

/// pthread_cond_* at global scope, and what its argument \p I names
/// through `&`.
static const FunctionDecl *pthreadCond(const CallExpr *Call) {
  const FunctionDecl *FD = Call->getDirectCallee();
  if (!FD || !FD->getIdentifier() || !FD->getName().starts_with("pthread_cond_") ||
      !FD->getDeclContext()->getRedeclContext()->isTranslationUnit())
    return nullptr;
  return FD;
}

static const ValueDecl *pointee(const Expr *E) {
  E = bareExpr(E);
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_AddrOf)
      return namedObject(UO->getSubExpr());
  return nullptr;
}

std::optional<ConditionWait>
ConditionVariableModel::asWait(const CallExpr *Call) const {
  if (const FunctionDecl *FD = pthreadCond(Call)) {
    llvm::StringRef Name = FD->getName();
    bool Timed = Name == "pthread_cond_timedwait" ||
                 Name == "pthread_cond_clockwait";
    if ((!Timed && Name != "pthread_cond_wait") || Call->getNumArgs() < 2)
      return std::nullopt;
    ConditionWait W;
    W.Call = Call;
    W.CondVar = pointee(Call->getArg(0));
    W.Lock = Call->getArg(1);
    W.Timed = Timed;
    return W;
  }
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  if (!MC)
    return std::nullopt;
  const CXXMethodDecl *MD = MC->getMethodDecl();
  if (!MD || !MD->getIdentifier())
    return std::nullopt;
  if (ReadWrappers)
    if (WrapperOp Op = wrapperOpOf(MC); Op.Kind == WrapperOp::Wait) {
      if (!Op.LockSelf && Op.LockParam >= MC->getNumArgs())
        return std::nullopt;
      ConditionWait W;
      W.Call = MC;
      W.CondVar = namedObject(MC->getImplicitObjectArgument());
      W.Lock = Op.LockSelf ? MC->getImplicitObjectArgument()
                           : MC->getArg(Op.LockParam);
      W.Timed = Op.Timed;
      return W;
    }
  llvm::StringRef Name = MD->getName();
  bool Timed = Name == "wait_for" || Name == "wait_until" ||
               Name == "timed_wait";
  if (!Timed && Name != "wait")
    return std::nullopt;
  const Expr *Obj = onConditionVariable(MC);
  if (!Obj)
    return std::nullopt;
  ConditionWait W;
  W.Call = MC;
  W.CondVar = namedObject(Obj);
  W.Timed = Timed;
  if (MC->getNumArgs() >= 1)
    W.Lock = MC->getArg(0);
  for (unsigned I = 1; I < MC->getNumArgs(); ++I)
    W.StopAware |= isStopTokenType(MC->getArg(I)->getType());
  if (MC->getNumArgs() >= 2) {
    const Expr *Last = MC->getArg(MC->getNumArgs() - 1);
    if (isCallable(Last->getType()))
      W.Predicate = Last;
  }
  return W;
}

const ValueDecl *ConditionVariableModel::notified(const CallExpr *Call) const {
  if (const FunctionDecl *FD = pthreadCond(Call))
    return (FD->getName() == "pthread_cond_signal" ||
            FD->getName() == "pthread_cond_broadcast") &&
                   Call->getNumArgs() == 1
               ? pointee(Call->getArg(0))
               : nullptr;
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  if (!MC)
    return nullptr;
  const CXXMethodDecl *MD = MC->getMethodDecl();
  if (!MD || !MD->getIdentifier())
    return nullptr;
  if (ReadWrappers && wrapperOpOf(MC).Kind == WrapperOp::Notify)
    return namedObject(MC->getImplicitObjectArgument());
  if (MD->getName() != "notify_one" && MD->getName() != "notify_all")
    return nullptr;
  const Expr *Obj = onConditionVariable(MC);
  return Obj ? namedObject(Obj) : nullptr;
}

} // namespace clang::tidy::threadleak
