//===--- ChannelInference.cpp - a project's own channel classes -----------===//

#include "model/ChannelInference.h"
#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "model/LockModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"

namespace clang::tidy::threadleak {

const CXXRecordDecl *codePattern(const CXXRecordDecl *RD) {
  if (const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD))
    if (Spec->getSpecializationKind() == TSK_ImplicitInstantiation ||
        Spec->getSpecializationKind() == TSK_ExplicitInstantiationDefinition ||
        Spec->getSpecializationKind() == TSK_ExplicitInstantiationDeclaration)
      if (ClassTemplateDecl *T = Spec->getSpecializedTemplate())
        if (const CXXRecordDecl *P = T->getTemplatedDecl())
          if (P->hasDefinition())
            return P->getDefinition();
  if (const CXXRecordDecl *P = RD->getTemplateInstantiationPattern())
    return P;
  return RD;
}

/// The pattern's canonical declaration of \p MD.
static const CXXMethodDecl *patternOf(const CXXMethodDecl *MD) {
  if (const FunctionDecl *P = MD->getTemplateInstantiationPattern())
    if (const auto *PM = llvm::dyn_cast<CXXMethodDecl>(P))
      MD = PM;
  if (const auto *From = llvm::dyn_cast_or_null<CXXMethodDecl>(
          MD->getInstantiatedFromMemberFunction()))
    MD = From;
  return MD->getCanonicalDecl();
}

SourceLocation patternLocation(const CXXMethodDecl *MD) {
  return patternOf(MD)->getLocation();
}

ChannelOpKind InferredChannel::kindOf(const CXXMethodDecl *MD) const {
  auto It = Ops.find(patternOf(MD));
  return It == Ops.end() ? ChannelOpKind::None : It->second;
}

ChannelOpKind InferredChannel::kindOf(const CXXMethodDecl *MD,
                                      const CallExpr *Call) const {
  ChannelOpKind K = kindOf(MD);
  auto It = StopParams.find(patternOf(MD));
  if (K != ChannelOpKind::TryReceive || It == StopParams.end() || !Call)
    return K;
  unsigned I = It->second;
  if (I >= Call->getNumArgs())
    return K;
  const Expr *A = Call->getArg(I);
  if (const auto *D = llvm::dyn_cast<CXXDefaultArgExpr>(A))
    A = D->getExpr();
  A = A->IgnoreImplicit();
  if (const auto *BT = llvm::dyn_cast<CXXBindTemporaryExpr>(A))
    A = BT->getSubExpr()->IgnoreImplicit();
  // `{}`, `std::stop_token()`, `std::stop_token{}`: a token nothing stops.
  bool Empty = false;
  if (const auto *IL = llvm::dyn_cast<InitListExpr>(A))
    Empty = IL->getNumInits() == 0;
  else if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(A))
    Empty = CE->getNumArgs() == 0;
  else
    Empty = llvm::isa<ImplicitValueInitExpr, CXXScalarValueInitExpr>(A);
  return Empty ? ChannelOpKind::Receive : K;
}

std::string InferredChannel::reasonFor(const CXXMethodDecl *MD) const {
  const CXXMethodDecl *P = patternOf(MD);
  for (const auto &[M, Why] : Reasons)
    if (M == P)
      return Why;
  return "";
}

namespace {

/// A class with notify_one() or notify_all(): a condition variable, the
/// standard's or another library's.
bool isConditionVariableType(QualType T) {
  const CXXRecordDecl *RD = T.isNull() ? nullptr : recordOf(T);
  if (!RD || !RD->hasDefinition())
    return false;
  RD = RD->getDefinition();
  for (const CXXMethodDecl *M : RD->methods())
    if (M->getIdentifier() &&
        (M->getName() == "notify_one" || M->getName() == "notify_all"))
      return true;
  return false;
}

/// The data member of \p RD (the class whose code we read) that \p E names
/// on `this`, implicitly or not, or null.
const FieldDecl *thisField(const Expr *E, const CXXRecordDecl *RD) {
  if (!E)
    return nullptr;
  E = E->IgnoreParenImpCasts();
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E)) {
    const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (FD && llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
      return FD;
    return nullptr;
  }
  if (const auto *DE = llvm::dyn_cast<CXXDependentScopeMemberExpr>(E)) {
    if (!DE->isImplicitAccess() &&
        !llvm::isa<CXXThisExpr>(DE->getBase()->IgnoreParenImpCasts()))
      return nullptr;
    for (const FieldDecl *FD : RD->fields())
      if (FD->getDeclName() == DE->getMember())
        return FD;
  }
  return nullptr;
}

/// `field.name(...)` on a data member of `this`: the member and the name.
std::pair<const FieldDecl *, llvm::StringRef>
memberCall(const CallExpr *C, const CXXRecordDecl *RD) {
  const Expr *Callee = C->getCallee()->IgnoreParenImpCasts();
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(Callee)) {
    if (const IdentifierInfo *II =
            ME->getMemberNameInfo().getName().getAsIdentifierInfo())
      return {thisField(ME->getBase(), RD), II->getName()};
  } else if (const auto *DE =
                 llvm::dyn_cast<CXXDependentScopeMemberExpr>(Callee)) {
    if (!DE->isImplicitAccess())
      if (const IdentifierInfo *II = DE->getMember().getAsIdentifierInfo())
        return {thisField(DE->getBase(), RD), II->getName()};
  } else if (const auto *UE = llvm::dyn_cast<UnresolvedMemberExpr>(Callee)) {
    if (!UE->isImplicitAccess())
      if (const IdentifierInfo *II = UE->getMemberName().getAsIdentifierInfo())
        return {thisField(UE->getBase(), RD), II->getName()};
  }
  return {nullptr, ""};
}

/// A call of another method of the class on `this`.
const CXXMethodDecl *ownMethodCall(const CallExpr *C, const CXXRecordDecl *RD) {
  const Expr *Callee = C->getCallee()->IgnoreParenImpCasts();
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(Callee)) {
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(ME->getMemberDecl());
    if (MD && MD->getParent()->getCanonicalDecl() == RD->getCanonicalDecl() &&
        llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
      return MD;
  } else if (const auto *UE = llvm::dyn_cast<UnresolvedMemberExpr>(Callee)) {
    if (UE->isImplicitAccess() ||
        llvm::isa<CXXThisExpr>(UE->getBase()->IgnoreParenImpCasts()))
      for (const NamedDecl *D : UE->decls())
        if (const auto *MD =
                llvm::dyn_cast<CXXMethodDecl>(D->getUnderlyingDecl()))
          if (MD->getParent()->getCanonicalDecl() == RD->getCanonicalDecl())
            return MD;
  }
  return nullptr;
}

bool isOptionalType(QualType T) {
  const CXXRecordDecl *RD = T.isNull() ? nullptr : recordOf(T);
  if (!RD) {
    // A dependent std::optional<T>.
    if (const auto *TST = T->getAs<TemplateSpecializationType>())
      if (const TemplateDecl *TD = TST->getTemplateName().getAsTemplateDecl())
        return TD->getName() == "optional";
    return false;
  }
  return RD->getIdentifier() && RD->getName() == "optional";
}

bool isCounterType(QualType T) {
  return !T.isNull() && T->isIntegerType() && !T->isBooleanType();
}

enum class EvKind { Wait, SoftWait, Notify, Put, Take, Count, Flag };

struct Event {
  EvKind Kind;
  const FieldDecl *Field = nullptr;
  /// What a wait waits for: its predicate (a lambda's body, or the
  /// condition of the loop around it, which holds while it waits).
  const Stmt *Pred = nullptr;
  bool PredIsLoopCondition = false;
  bool InLoop = false;
  /// A wait given a std::stop_token: the method's parameter it is, or -1.
  int StopParam = -1;
};

/// The events of one method (and of the class's methods it calls), in the
/// order they are written.
class EventWalk {
public:
  EventWalk(const CXXRecordDecl *RD) : RD(RD) {}

  void method(const CXXMethodDecl *MD, unsigned Depth) {
    if (Depth == 0)
      Root = MD;
    const FunctionDecl *Def = nullptr;
    if (!MD->hasBody(Def) || !Def->getBody() || Depth > 3 ||
        !Visiting.insert(Def).second)
      return;
    unsigned Outer = this->Depth;
    this->Depth = Depth;
    walk(Def->getBody());
    this->Depth = Outer;
    Visiting.erase(Def);
  }

  std::vector<Event> Events;

private:
  void add(EvKind K, const FieldDecl *F, const Stmt *Pred = nullptr,
           bool LoopCond = false) {
    Events.push_back({K, F, Pred, LoopCond, Loops > 0});
  }

  /// The walk keeps its own stack (a 50,000-term expression is as many
  /// levels): a loop pushes its condition for the waits in its body and
  /// pops it after, as work items of their own.
  void walk(const Stmt *Top) {
    enum Action { Visit, EnterLoop, LeaveLoop };
    struct Item {
      const Stmt *S;
      Action A;
    };
    llvm::SmallVector<Item, 64> Stack;
    Stack.push_back({Top, Visit});
    while (!Stack.empty()) {
      Item I = Stack.pop_back_val();
      if (I.A == EnterLoop) {
        LoopConds.push_back(llvm::cast_or_null<Expr>(I.S));
        ++Loops;
        continue;
      }
      if (I.A == LeaveLoop) {
        --Loops;
        LoopConds.pop_back();
        continue;
      }
      const Stmt *S = I.S;
      if (!S || llvm::isa<LambdaExpr>(S))
        continue; // a lambda is a predicate: it reads, it does not put or take
      // Pushed in reverse: the first pushed runs last.
      if (const auto *W = llvm::dyn_cast<WhileStmt>(S)) {
        Stack.push_back({nullptr, LeaveLoop});
        Stack.push_back({W->getBody(), Visit});
        Stack.push_back({W->getCond(), EnterLoop});
        Stack.push_back({W->getCond(), Visit});
        continue;
      }
      if (const auto *D = llvm::dyn_cast<DoStmt>(S)) {
        Stack.push_back({D->getCond(), Visit});
        Stack.push_back({nullptr, LeaveLoop});
        Stack.push_back({D->getBody(), Visit});
        Stack.push_back({D->getCond(), EnterLoop});
        continue;
      }
      bool Loop = llvm::isa<ForStmt, CXXForRangeStmt>(S);
      if (Loop)
        Stack.push_back({nullptr, LeaveLoop});
      else if (const auto *C = llvm::dyn_cast<CallExpr>(S))
        call(C);
      else if (const auto *U = llvm::dyn_cast<UnaryOperator>(S)) {
        if (U->isIncrementDecrementOp())
          if (const FieldDecl *F = thisField(U->getSubExpr(), RD))
            if (isCounterType(F->getType()))
              add(EvKind::Count, F);
      } else if (const auto *B = llvm::dyn_cast<BinaryOperator>(S)) {
        assignment(B->getOpcode(), B->getLHS(), B->getRHS());
      }
      Children.assign(S->child_begin(), S->child_end());
      for (const Stmt *C : llvm::reverse(Children))
        if (C)
          Stack.push_back({C, Visit});
      if (Loop)
        Stack.push_back({nullptr, EnterLoop});
    }
  }

  void assignment(BinaryOperatorKind Op, const Expr *LHS, const Expr *RHS) {
    const FieldDecl *F = thisField(LHS, RD);
    if (!F)
      return;
    if ((Op == BO_AddAssign || Op == BO_SubAssign) &&
        isCounterType(F->getType()))
      add(EvKind::Count, F);
    if (Op != BO_Assign)
      return;
    const Expr *R = RHS->IgnoreParenImpCasts();
    if (F->getType()->isBooleanType() && llvm::isa<CXXBoolLiteralExpr>(R))
      add(EvKind::Flag, F);
    else if (isOptionalType(F->getType()))
      add(isNullopt(R) ? EvKind::Take : EvKind::Put, F);
  }

  static bool isNullopt(const Expr *E) {
    E = E->IgnoreImplicit();
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E))
      if (CE->getNumArgs() == 1)
        E = CE->getArg(0)->IgnoreImplicit();
    if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(E))
      return DR->getDecl()->getName() == "nullopt";
    return llvm::isa<InitListExpr>(E) &&
           llvm::cast<InitListExpr>(E)->getNumInits() == 0;
  }

  void call(const CallExpr *C) {
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(C)) {
      OverloadedOperatorKind K = Op->getOperator();
      if (Op->getNumArgs() == 2 &&
          (K == OO_Equal || K == OO_PlusEqual || K == OO_MinusEqual))
        assignment(K == OO_Equal       ? BO_Assign
                   : K == OO_PlusEqual ? BO_AddAssign
                                       : BO_SubAssign,
                   Op->getArg(0), Op->getArg(1));
      return;
    }
    if (const CXXMethodDecl *Own = ownMethodCall(C, RD)) {
      method(Own, Depth + 1);
      return;
    }
    auto [F, Name] = memberCall(C, RD);
    if (!F)
      return;
    if (isConditionVariableType(F->getType())) {
      if (Name == "notify_one" || Name == "notify_all") {
        add(EvKind::Notify, F);
        return;
      }
      if (Name == "wait_for" || Name == "wait_until") {
        add(EvKind::SoftWait, F);
        return;
      }
      if (Name != "wait")
        return;
      bool Stop = false;
      int StopParam = -1;
      const Stmt *Pred = nullptr;
      for (const Expr *A : C->arguments()) {
        QualType T = A->getType();
        if (const CXXRecordDecl *AR = T.isNull() ? nullptr : recordOf(T))
          if (AR->getIdentifier() && AR->getName() == "stop_token") {
            Stop = true;
            // The method's own parameter (`recv(std::stop_token st = {})`):
            // a call that gives none waits for good.
            if (const auto *DR =
                    llvm::dyn_cast<DeclRefExpr>(A->IgnoreParenImpCasts()))
              if (const auto *P = llvm::dyn_cast<ParmVarDecl>(DR->getDecl()))
                if (Root && P->getDeclContext() == Root)
                  StopParam = static_cast<int>(P->getFunctionScopeIndex());
          }
        if (const auto *L =
                llvm::dyn_cast<LambdaExpr>(A->IgnoreParenImpCasts()))
          Pred = L->getBody();
      }
      if (Stop) {
        add(EvKind::SoftWait, F);
        Events.back().StopParam = StopParam;
        return;
      }
      if (Pred)
        add(EvKind::Wait, F, Pred);
      else
        add(EvKind::Wait, F, LoopConds.empty() ? nullptr : LoopConds.back(),
            true);
      return;
    }
    static const char *const Puts[] = {
        "push_back",     "push_front", "push",    "emplace", "emplace_back",
        "emplace_front", "insert",     "enqueue", "append"};
    static const char *const Takes[] = {
        "pop_front", "pop_back", "pop", "erase", "dequeue", "extract", "reset"};
    for (const char *P : Puts)
      if (Name == P) {
        add(EvKind::Put, F);
        return;
      }
    for (const char *T : Takes)
      if (Name == T) {
        // reset() empties a std::optional; on anything else it is not a
        // take.
        if (Name == "reset" && !isOptionalType(F->getType()))
          return;
        add(EvKind::Take, F);
        return;
      }
  }

  const CXXRecordDecl *RD;
  const CXXMethodDecl *Root = nullptr;
  llvm::SmallPtrSet<const FunctionDecl *, 8> Visiting;
  std::vector<const Expr *> LoopConds;
  llvm::SmallVector<const Stmt *, 8> Children;
  unsigned Loops = 0;
  unsigned Depth = 0;
};

bool hasWord(const std::vector<std::string> &W,
             std::initializer_list<llvm::StringRef> Set) {
  for (const std::string &X : W)
    for (llvm::StringRef S : Set)
      if (X == S)
        return true;
  return false;
}

/// The integer constant \p E is, if it is one.
std::optional<uint64_t> constantOf(const Expr *E, const ASTContext &Ctx) {
  if (!E || E->isValueDependent() || E->isTypeDependent())
    return std::nullopt;
  return evaluateCount(E, Ctx);
}

/// The count side of a comparison: `q_.size()` on a member container, or
/// an integer member; and the bound on the other side.
struct Bound {
  const FieldDecl *Field = nullptr; ///< `capacity_`
  std::optional<uint64_t> Value;    ///< `1`, `kCapacity`
  /// Room means `count < bound + Offset`.
  int Offset = 0;
};

bool isCountSide(const Expr *E, const CXXRecordDecl *RD) {
  E = E->IgnoreParenImpCasts();
  if (const auto *C = llvm::dyn_cast<CallExpr>(E)) {
    auto [F, Name] = memberCall(C, RD);
    return F && Name == "size";
  }
  const FieldDecl *F = thisField(E, RD);
  return F && isCounterType(F->getType());
}

/// The capacity a wait for room reads: \p Pred holds when there is room
/// (or, \p LoopCond, while there is none).
std::optional<Bound> roomBound(const Stmt *Pred, bool LoopCond,
                               const CXXRecordDecl *RD, const ASTContext &Ctx) {
  if (!Pred)
    return std::nullopt;
  if (const auto *B = llvm::dyn_cast<BinaryOperator>(Pred)) {
    if (B->isComparisonOp()) {
      BinaryOperatorKind Op = B->getOpcode();
      const Expr *Count = B->getLHS(), *Other = B->getRHS();
      if (!isCountSide(Count, RD)) {
        std::swap(Count, Other);
        Op = BinaryOperator::reverseComparisonOp(Op);
      }
      if (!isCountSide(Count, RD))
        return std::nullopt;
      if (LoopCond)
        Op = BinaryOperator::negateComparisonOp(Op);
      // Now: room while `count Op bound`.
      Bound R;
      if (Op == BO_LT || Op == BO_NE)
        R.Offset = 0;
      else if (Op == BO_LE)
        R.Offset = 1;
      else
        return std::nullopt;
      R.Field = thisField(Other, RD);
      if (!R.Field)
        R.Value = constantOf(Other, Ctx);
      if (!R.Field && !R.Value)
        return std::nullopt;
      return R;
    }
    // `a && b` as a predicate, `a || b` as a loop condition: either part
    // may be the room test (the other: closed, stopped).
    if ((!LoopCond && B->getOpcode() == BO_LAnd) ||
        (LoopCond && B->getOpcode() == BO_LOr) ||
        (!LoopCond && B->getOpcode() == BO_LOr) ||
        (LoopCond && B->getOpcode() == BO_LAnd)) {
      if (auto R = roomBound(B->getLHS(), LoopCond, RD, Ctx))
        return R;
      return roomBound(B->getRHS(), LoopCond, RD, Ctx);
    }
    return std::nullopt;
  }
  if (const auto *E = llvm::dyn_cast<Expr>(Pred)) {
    const Expr *I = E->IgnoreParenImpCasts();
    if (I != E)
      return roomBound(I, LoopCond, RD, Ctx);
    if (const auto *U = llvm::dyn_cast<UnaryOperator>(I))
      if (U->getOpcode() == UO_LNot)
        return roomBound(U->getSubExpr(), !LoopCond, RD, Ctx);
    return std::nullopt;
  }
  if (const auto *CS = llvm::dyn_cast<CompoundStmt>(Pred)) {
    // A lambda's `{ return ...; }`.
    if (CS->size() == 1)
      if (const auto *Ret = llvm::dyn_cast<ReturnStmt>(CS->body_front()))
        return roomBound(Ret->getRetValue(), LoopCond, RD, Ctx);
  }
  return std::nullopt;
}

/// Every constructor that is not a copy or a move initialises \p F from
/// the same parameter: its index.
std::optional<unsigned> constructorParameter(const CXXRecordDecl *RD,
                                             const FieldDecl *F) {
  std::optional<unsigned> Index;
  bool Any = false;
  for (const CXXConstructorDecl *Ctor : RD->ctors()) {
    if (Ctor->isCopyOrMoveConstructor() ||
        !Ctor->isThisDeclarationADefinition())
      continue;
    Any = true;
    std::optional<unsigned> Here;
    for (const CXXCtorInitializer *Init : Ctor->inits()) {
      if (Init->getMember() != F || !Init->getInit())
        continue;
      const Expr *E = Init->getInit()->IgnoreImplicit();
      if (const auto *PL = llvm::dyn_cast<ParenListExpr>(E))
        if (PL->getNumExprs() == 1)
          E = PL->getExpr(0)->IgnoreImplicit();
      if (const auto *DR =
              llvm::dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts()))
        if (const auto *P = llvm::dyn_cast<ParmVarDecl>(DR->getDecl()))
          Here = P->getFunctionScopeIndex();
    }
    if (!Here || (Index && *Index != *Here))
      return std::nullopt;
    Index = Here;
  }
  return Any ? Index : std::nullopt;
}

} // namespace

const char *channelOpName(ChannelOpKind K) {
  switch (K) {
  case ChannelOpKind::Receive:
    return "receive";
  case ChannelOpKind::Send:
    return "send";
  case ChannelOpKind::TrySend:
    return "try-send";
  case ChannelOpKind::TryReceive:
    return "try-receive";
  case ChannelOpKind::Close:
    return "close";
  case ChannelOpKind::None:
    break;
  }
  return "";
}

std::unique_ptr<InferredChannel> inferChannel(const CXXRecordDecl *RD) {
  if (!RD || !RD->hasDefinition())
    return nullptr;
  RD = codePattern(RD->getDefinition());
  if (!RD->hasDefinition() || RD->isLambda() || RD->isUnion())
    return nullptr;
  RD = RD->getDefinition();
  const ASTContext &Ctx = RD->getASTContext();
  if (Ctx.getSourceManager().isInSystemHeader(RD->getLocation()))
    return nullptr;
  // A lock built on a condition variable (a reader-writer lock's
  // read_lock() waits and counts) is a lock, not a channel.
  if (LockModel::isLockableClass(RD))
    return nullptr;
  bool HasCV = false;
  for (const FieldDecl *F : RD->fields())
    HasCV |= isConditionVariableType(F->getType());
  if (!HasCV)
    return nullptr;

  auto IC = std::make_unique<InferredChannel>();
  IC->Class = RD;
  IC->Spec.Type = plainQualifiedName(RD);
  struct Method {
    const CXXMethodDecl *MD;
    std::vector<Event> Events;
    ChannelOpKind Kind = ChannelOpKind::None;
    std::string Why;
  };
  std::vector<Method> Methods;
  for (const CXXMethodDecl *MD : RD->methods()) {
    if (MD->isStatic() ||
        llvm::isa<CXXConstructorDecl, CXXDestructorDecl>(MD) ||
        MD->isOverloadedOperator() || !MD->getIdentifier() ||
        MD->getAccess() != AS_public || MD->isConst())
      continue;
    EventWalk W(RD);
    W.method(MD, 0);
    Methods.push_back({MD, std::move(W.Events), ChannelOpKind::None, ""});
  }

  bool Unbuffered = true, BlockingSend = false, AnySend = false,
       AnyReceive = false, Blocking = false;
  std::optional<Bound> Room;
  bool RoomConflict = false;
  for (Method &M : Methods) {
    bool Puts = false, Takes = false, Counts = false, Waits = false,
         Soft = false, Notifies = false, Flags = false, LoopTakes = false,
         LoopPuts = false;
    size_t FirstPut = ~size_t(0), FirstWait = ~size_t(0), LastWait = ~size_t(0);
    // Every soft wait is given the same stop-token parameter.
    int StopParam = -1;
    bool OnlyStopParam = true;
    for (size_t I = 0; I < M.Events.size(); ++I) {
      const Event &E = M.Events[I];
      switch (E.Kind) {
      case EvKind::Put:
        Puts = true;
        LoopPuts |= E.InLoop;
        FirstPut = std::min(FirstPut, I);
        break;
      case EvKind::Take:
        Takes = true;
        LoopTakes |= E.InLoop;
        break;
      case EvKind::Count:
        Counts = true;
        FirstPut = std::min(FirstPut, I);
        break;
      case EvKind::Wait:
        Waits = true;
        FirstWait = std::min(FirstWait, I);
        LastWait = I;
        break;
      case EvKind::SoftWait:
        Soft = true;
        if (E.StopParam < 0 || (StopParam >= 0 && StopParam != E.StopParam))
          OnlyStopParam = false;
        else
          StopParam = E.StopParam;
        break;
      case EvKind::Notify:
        Notifies = true;
        break;
      case EvKind::Flag:
        Flags = true;
        break;
      }
    }
    std::vector<std::string> W = identifierWords(M.MD->getName());
    if (hasWord(W, {"lock", "unlock", "rlock", "wlock", "acquire", "release"}))
      continue;
    bool SendName = hasWord(W, {"send", "push", "put", "enqueue", "offer",
                                "write", "produce", "emit", "submit", "post",
                                "deliver", "give", "publish", "add"});
    bool RecvName =
        hasWord(W, {"receive", "recv", "pop", "take", "get", "dequeue", "read",
                    "consume", "next", "fetch", "pull", "poll"});
    bool TryName = hasWord(W, {"try", "poll", "nowait", "nonblocking", "for",
                               "until", "timed", "timeout"});
    bool Send = false, Recv = false;
    if (Puts && !Takes)
      Send = true;
    else if (Takes && !Puts)
      Recv = true;
    else if ((Puts || Takes || Counts) && SendName != RecvName)
      (SendName ? Send : Recv) = true;
    // A consumer's or a producer's loop is code of its own, not one
    // operation.
    if ((Recv && LoopTakes) || (Send && LoopPuts))
      continue;
    bool Blocks = Waits && !TryName;
    if (Send) {
      M.Kind = Blocks ? ChannelOpKind::Send : ChannelOpKind::TrySend;
      AnySend = true;
      if (Blocks) {
        Blocking = true;
        BlockingSend = true;
        // A wait after the put is for its item to be taken (a rendezvous),
        // whether or not the send first waits for the one slot to be free.
        bool WaitsAfterPut = FirstPut != ~size_t(0) && LastWait > FirstPut;
        if (FirstWait < FirstPut && WaitsAfterPut) {
          M.Why = "'" + M.MD->getNameAsString() +
                  "' waits for the slot, puts an item, then waits until it "
                  "is taken";
        } else if (FirstWait < FirstPut) {
          Unbuffered = false;
          const Event &E = M.Events[FirstWait];
          std::optional<Bound> B =
              roomBound(E.Pred, E.PredIsLoopCondition, RD, Ctx);
          if (!B ||
              (Room && (Room->Field != B->Field || Room->Value != B->Value ||
                        Room->Offset != B->Offset)))
            RoomConflict = true;
          else
            Room = B;
          M.Why = "'" + M.MD->getNameAsString() +
                  "' waits for room, then puts an item";
        } else {
          M.Why = "'" + M.MD->getNameAsString() +
                  "' puts an item, then waits until it is taken";
        }
      } else {
        M.Why =
            "'" + M.MD->getNameAsString() + "' puts an item" +
            (Waits || Soft ? " and may give up waiting" : " without waiting");
      }
    } else if (Recv) {
      M.Kind =
          Blocks && !Soft ? ChannelOpKind::Receive : ChannelOpKind::TryReceive;
      AnyReceive = true;
      Blocking |= M.Kind == ChannelOpKind::Receive;
      // Gives up only when its stop-token parameter is stopped: a call
      // that passes none (a defaulted `{}`) receives for good.
      if (M.Kind == ChannelOpKind::TryReceive && Soft && OnlyStopParam &&
          StopParam >= 0 && !TryName) {
        IC->StopParams[M.MD->getCanonicalDecl()] =
            static_cast<unsigned>(StopParam);
        Blocking = true;
      }
      M.Why = "'" + M.MD->getNameAsString() + "' " +
              (M.Kind == ChannelOpKind::Receive
                   ? "waits for an item and takes it"
                   : (Waits || Soft ? "takes an item, or gives up waiting"
                                    : "takes an item if there is one"));
      if (IC->StopParams.count(M.MD->getCanonicalDecl()))
        M.Why = "'" + M.MD->getNameAsString() +
                "' waits for an item and takes it, or gives up once the "
                "stop token it is given is stopped";
    } else if (Flags && Notifies && !Waits && !Puts && !Takes) {
      M.Kind = ChannelOpKind::Close;
      M.Why = "'" + M.MD->getNameAsString() +
              "' sets a flag the waits read and wakes them";
    }
  }
  if (!Blocking || !AnySend || !AnyReceive)
    return nullptr;
  // Unbuffered: some send blocks, and every blocking one waits after it
  // puts (with no blocking send the queue is unbounded).
  IC->Spec.Unbuffered = Unbuffered && BlockingSend;
  if (!Unbuffered && Room && !RoomConflict && Room->Offset == 0) {
    if (Room->Value) {
      IC->Spec.DefaultCapacity = static_cast<unsigned>(*Room->Value);
    } else if (Room->Field) {
      IC->Spec.CapacityArgument = constructorParameter(RD, Room->Field);
      if (const Expr *Init = Room->Field->getInClassInitializer())
        if (std::optional<uint64_t> V = constantOf(Init, Ctx))
          IC->Spec.DefaultCapacity = static_cast<unsigned>(*V);
    }
  }
  for (Method &M : Methods) {
    if (M.Kind == ChannelOpKind::None)
      continue;
    std::string Name = M.MD->getNameAsString();
    auto &List = M.Kind == ChannelOpKind::Receive      ? IC->Spec.Receive
                 : M.Kind == ChannelOpKind::Send       ? IC->Spec.Send
                 : M.Kind == ChannelOpKind::TrySend    ? IC->Spec.TrySend
                 : M.Kind == ChannelOpKind::TryReceive ? IC->Spec.TryReceive
                                                       : IC->Spec.Close;
    if (llvm::find(List, Name) == List.end())
      List.push_back(Name);
    IC->Ops[M.MD->getCanonicalDecl()] = M.Kind;
    IC->Reasons.push_back({M.MD->getCanonicalDecl(), M.Why});
  }
  return IC;
}

} // namespace clang::tidy::threadleak
