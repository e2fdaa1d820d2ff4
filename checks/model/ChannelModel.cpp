//===--- ChannelModel.cpp -------------------------------------------------===//

#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "llvm/Support/ErrorHandling.h"

namespace clang::tidy::threadleak {

namespace defaults {
// Asio: async_send is declared in a base class
// (experimental::detail::channel_send_functions); operations are matched by
// the class of the object they are called on, so that does not matter.
// close() completes pending receives with channel_closed but leaves a
// pending async_send pending (Boost 1.81); cancel() and reset() complete
// every pending operation.
// Fiber: pop() returns channel_op_status::closed, value_pop() throws, once
// the channel is closed; a range-for receives until it is closed.
// buffered_channel's capacity is its only constructor argument.
// TBB: pop()/push() block (push only once set_capacity() bounded the queue,
// unbounded by default: its capacity is what set_capacity() sets); abort()
// makes every blocked call throw.
const char BuiltinChannels[] =
    "["
    "{Type: 'boost::asio::experimental::basic_channel', "
    "Receive: [async_receive], Send: [async_send], TrySend: [try_send, "
    "try_send_n], "
    "TryReceive: [try_receive], "
    "Close: [close, cancel, reset], WakesOnlyReceivers: [close], "
    "CapacityArgument: 1, DefaultCapacity: 0},"
    "{Type: 'boost::asio::experimental::basic_concurrent_channel', "
    "Receive: [async_receive], Send: [async_send], TrySend: [try_send, "
    "try_send_n], "
    "TryReceive: [try_receive], "
    "Close: [close, cancel, reset], WakesOnlyReceivers: [close], "
    "CapacityArgument: 1, DefaultCapacity: 0},"
    "{Type: 'boost::fibers::buffered_channel', Receive: [pop, value_pop], "
    "Send: [push], TrySend: [try_push, push_wait_for, push_wait_until], "
    "TryReceive: [try_pop, pop_wait_for, pop_wait_until], "
    "Close: [close], CapacityArgument: 0, RangeReceives: true},"
    "{Type: 'boost::fibers::unbuffered_channel', Receive: [pop, value_pop], "
    "Send: [push], TrySend: [push_wait_for, push_wait_until], "
    "TryReceive: [pop_wait_for, pop_wait_until], "
    "Close: [close], Unbuffered: true, RangeReceives: true},"
    "{Type: 'tbb::detail::d2::concurrent_bounded_queue', Receive: [pop], "
    "Send: [push, emplace], TrySend: [try_push, try_emplace], "
    "TryReceive: [try_pop], Close: [abort], CapacitySetters: [set_capacity]}"
    "]";
} // namespace defaults

/// The built-in channel table, parsed once per process: every check that
/// reads channels builds a model per translation unit, and the table is
/// the same for all of them.
static const std::vector<ChannelSpec> &builtinSpecs() {
  static const std::vector<ChannelSpec> Specs = [] {
    auto Builtin = parseChannelSpecs(defaults::BuiltinChannels, "built-in");
    if (!Builtin)
      llvm::report_fatal_error(Builtin.takeError());
    return std::move(*Builtin);
  }();
  return Specs;
}

ChannelModel::ChannelModel(const std::vector<ChannelSpec> &User) {
  Specs = builtinSpecs();
  Specs.insert(Specs.end(), User.begin(), User.end());
  // A user spec for a built-in type replaces it.
  for (size_t I = 0; I < Specs.size(); ++I)
    ByType[Specs[I].Type] = I;
  for (const ChannelSpec &S : Specs)
    for (const auto *L :
         {&S.Receive, &S.Send, &S.TrySend, &S.TryReceive, &S.Close})
      for (const std::string &Op : *L)
        OpNames.insert(Op);
}

const ChannelSpec *ChannelModel::specForRecord(const CXXRecordDecl *RD) const {
  if (!RD)
    return nullptr;
  RD = RD->getCanonicalDecl();
  auto [It, New] = RecordCache.try_emplace(RD, nullptr);
  if (!New)
    return It->second;
  const ChannelSpec *Found = nullptr;
  if (RD->getIdentifier()) {
    auto S = ByType.find(plainQualifiedName(RD));
    if (S != ByType.end())
      Found = &Specs[S->second];
  }
  if (!Found && RD->hasDefinition())
    for (const CXXBaseSpecifier &B : RD->getDefinition()->bases())
      if ((Found = specForRecord(B.getType()->getAsCXXRecordDecl())))
        break;
  if (!Found && Inference && RD->hasDefinition()) {
    const CXXRecordDecl *Pattern = codePattern(RD->getDefinition());
    auto [PIt, PNew] = InferredByPattern.try_emplace(Pattern, nullptr);
    if (PNew)
      if (std::unique_ptr<InferredChannel> IC = inferChannel(Pattern)) {
        Inferred.push_back(std::move(IC));
        PIt->second = Inferred.back().get();
        InferredBySpec[&PIt->second->Spec] = PIt->second;
      }
    if (PIt->second)
      Found = &PIt->second->Spec;
  }
  RecordCache[RD] = Found;
  return Found;
}

const InferredChannel *ChannelModel::inferredFor(const ChannelSpec *S) const {
  if (Inferred.empty()) // the usual case: no class was read as a channel
    return nullptr;
  return InferredBySpec.lookup(S);
}

std::vector<const InferredChannel *> ChannelModel::inferred() const {
  std::vector<const InferredChannel *> Out;
  for (const auto &IC : Inferred)
    Out.push_back(IC.get());
  return Out;
}

/// The pointee of a smart pointer type, or null.
static QualType smartPointee(const CXXRecordDecl *RD) {
  const auto *Spec =
      llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(RD);
  if (!Spec || !Spec->getIdentifier())
    return QualType();
  llvm::StringRef N = Spec->getName();
  if (N != "shared_ptr" && N != "unique_ptr")
    return QualType();
  std::string Q = plainQualifiedName(Spec);
  if (Q != "std::shared_ptr" && Q != "std::unique_ptr" &&
      Q != "boost::shared_ptr")
    return QualType();
  const TemplateArgumentList &Args = Spec->getTemplateArgs();
  if (Args.size() < 1 || Args[0].getKind() != TemplateArgument::Type)
    return QualType();
  return Args[0].getAsType();
}

bool isSmartPointer(const CXXRecordDecl *RD) {
  return !smartPointee(RD).isNull();
}

const ChannelSpec *ChannelModel::specForType(QualType T) const {
  const CXXRecordDecl *RD = recordOf(T);
  if (!RD)
    return nullptr;
  if (QualType P = smartPointee(RD); !P.isNull())
    RD = recordOf(P);
  return specForRecord(RD);
}

static bool isIn(const std::vector<std::string> &L, llvm::StringRef N) {
  for (const std::string &S : L)
    if (S == N)
      return true;
  return false;
}

ChannelOp ChannelModel::classify(const CallExpr *Call) const {
  ChannelOp Op;
  const FunctionDecl *Callee = Call ? Call->getDirectCallee() : nullptr;
  if (!Callee)
    return Op;
  std::string Name = Callee->getDeclName().getAsString();
  // A method of a class read as a channel, or a name some spec lists.
  const InferredChannel *IC = nullptr;
  if (const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Callee))
    if (Inference && !OpNames.contains(Name))
      if (const ChannelSpec *S = specForRecord(MD->getParent()))
        IC = inferredFor(S);
  if (!IC && !OpNames.contains(Name))
    return Op;
  const Expr *Object = nullptr;
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
    Object = MC->getImplicitObjectArgument();
  else if (llvm::isa<CXXOperatorCallExpr>(Call) &&
           llvm::isa<CXXMethodDecl>(Callee) && Call->getNumArgs() > 0)
    Object = Call->getArg(0);
  // The object as written, before the conversion to the base class that
  // declares the operation (Asio's channel_send_functions).
  if (Object)
    Object = Object->IgnoreParenImpCasts();
  // `result.reset()` on a std::shared_ptr to a channel is the pointer's own
  // method, not the channel's.
  if (Object && !Object->getType()->isPointerType())
    if (isSmartPointer(recordOf(Object->getType())))
      return Op;
  const ChannelSpec *S = Object ? specForType(Object->getType()) : nullptr;
  if (!S && !Object) {
    // A free function or operator: the channel is an argument.
    for (const Expr *Arg : Call->arguments())
      if ((S = specForType(Arg->getType()))) {
        Object = Arg;
        break;
      }
  }
  if (!S)
    return Op;
  if (const InferredChannel *Own = inferredFor(S)) {
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Callee);
    Op.Kind = MD ? Own->kindOf(MD, Call) : ChannelOpKind::None;
    if (Op.Kind == ChannelOpKind::None)
      return Op;
  } else if (isIn(S->Receive, Name))
    Op.Kind = ChannelOpKind::Receive;
  else if (isIn(S->Send, Name))
    Op.Kind = ChannelOpKind::Send;
  else if (isIn(S->Close, Name))
    Op.Kind = ChannelOpKind::Close;
  else if (isIn(S->TrySend, Name))
    Op.Kind = ChannelOpKind::TrySend;
  else if (isIn(S->TryReceive, Name))
    Op.Kind = ChannelOpKind::TryReceive;
  else
    return Op;
  Op.Call = Call;
  Op.Channel = Object;
  Op.Spec = S;
  Op.Asynchronous = llvm::StringRef(Name).starts_with("async_");
  Op.WakesOnlyReceivers =
      Op.Kind == ChannelOpKind::Close && isIn(S->WakesOnlyReceivers, Name);
  return Op;
}

bool ChannelModel::setsCapacity(const CXXMemberCallExpr *Call) const {
  const CXXMethodDecl *MD = Call ? Call->getMethodDecl() : nullptr;
  if (!MD || !MD->getIdentifier())
    return false;
  const ChannelSpec *S = specForRecord(MD->getParent());
  return S && llvm::is_contained(S->CapacitySetters, MD->getName());
}

ChannelOp ChannelModel::rangeReceive(const CXXForRangeStmt *For) const {
  ChannelOp Op;
  const Expr *Range = For ? For->getRangeInit() : nullptr;
  if (!Range)
    return Op;
  const ChannelSpec *S = specForType(Range->getType());
  if (!S || !S->RangeReceives)
    return Op;
  Op.Kind = ChannelOpKind::Receive;
  Op.Channel = Range;
  Op.Spec = S;
  return Op;
}

std::optional<llvm::ArrayRef<const Expr *>>
ChannelModel::constructionArgs(const Expr *Init, const ChannelSpec &S) const {
  if (!Init)
    return std::nullopt;
  Init = Init->IgnoreImplicit();
  // `chan<int>(1)`: an explicit construction written as a cast.
  if (const auto *Cast = llvm::dyn_cast<CXXFunctionalCastExpr>(Init))
    Init = Cast->getSubExpr()->IgnoreImplicit();
  if (const auto *New = llvm::dyn_cast<CXXNewExpr>(Init))
    Init = New->getConstructExpr();
  if (const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(Init)) {
    if (CE->getNumArgs() == 1 &&
        CE->getConstructor()->isCopyOrMoveConstructor())
      return constructionArgs(CE->getArg(0), S);
    // std::shared_ptr<Chan> p(new Chan(io, 5)): the pointer's argument.
    if (specForRecord(CE->getConstructor()->getParent()) != &S) {
      if (CE->getNumArgs() >= 1)
        return constructionArgs(CE->getArg(0), S);
      return std::nullopt;
    }
    return llvm::ArrayRef(CE->getArgs(), CE->getNumArgs());
  }
  if (const auto *Call = llvm::dyn_cast_or_null<CallExpr>(Init)) {
    // std::make_shared<Chan>(io, 0) forwards its arguments.
    const FunctionDecl *F = Call->getDirectCallee();
    if (!F || !F->getIdentifier() ||
        !llvm::StringRef(F->getName()).starts_with("make_"))
      return std::nullopt;
    return llvm::ArrayRef(Call->getArgs(), Call->getNumArgs());
  }
  return std::nullopt;
}

const Expr *ChannelModel::capacityArgument(const Expr *Init,
                                           const ChannelSpec &S) const {
  if (S.Unbuffered || !S.CapacityArgument)
    return nullptr;
  std::optional<llvm::ArrayRef<const Expr *>> Args = constructionArgs(Init, S);
  if (!Args || *S.CapacityArgument >= Args->size() ||
      llvm::isa<CXXDefaultArgExpr>((*Args)[*S.CapacityArgument]))
    return nullptr;
  return (*Args)[*S.CapacityArgument];
}

bool ChannelModel::acceptsCapacity(const ChannelSpec &S, uint64_t N) {
  if (S.Unbuffered)
    return N == 0;
  if (S.Type == "boost::fibers::buffered_channel")
    return N >= 2 && (N & (N - 1)) == 0;
  return true;
}

std::optional<uint64_t> ChannelModel::capacityOf(const Expr *Init,
                                                 const ChannelSpec &S,
                                                 const ASTContext &Ctx) const {
  if (S.Unbuffered)
    return 0;
  std::optional<llvm::ArrayRef<const Expr *>> Args = constructionArgs(Init, S);
  if (!Args)
    return std::nullopt;
  if (!S.CapacityArgument || *S.CapacityArgument >= Args->size() ||
      llvm::isa<CXXDefaultArgExpr>((*Args)[*S.CapacityArgument]))
    return S.DefaultCapacity ? std::optional<uint64_t>(*S.DefaultCapacity)
                             : std::nullopt;
  return evaluateCount((*Args)[*S.CapacityArgument], Ctx);
}

std::optional<uint64_t> evaluateCount(const Expr *E, const ASTContext &Ctx) {
  if (!E || E->isValueDependent() || E->isTypeDependent())
    return std::nullopt;
  Expr::EvalResult R;
  if (!E->EvaluateAsInt(R, Ctx) || R.Val.getInt().isNegative())
    return std::nullopt;
  return R.Val.getInt().getLimitedValue();
}

} // namespace clang::tidy::threadleak
