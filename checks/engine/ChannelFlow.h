//===--- ChannelFlow.h - who blocks on a channel, and who releases it -----===//
//
// The dataflow pass behind the channel checks.
//
// Context side: the blocking receives and sends a spawned context performs
// (its body and the functions of the translation unit it calls, to a bounded
// depth), each with the channel's origin in its owner's terms: a local of
// the function that spawned the context (captured by reference, by copy of a
// shared_ptr, or passed as a thread argument), or a data member.
//
// Owner side: on the owner's CFG, a path from the spawn to the owner's exit
// (or to the end of the channel's lifetime) on which nothing releases the
// channel. A release is a close (any operation of the spec's `Close` list),
// for a single receive a send, for a single send a receive that is certain
// to happen (not one alternative of a race), handing the channel to code
// that releases it on all its paths (a summary per function and parameter,
// computed once), or to code we cannot see (the channel escapes: silence),
// a lambda that releases it (a scope guard, a producer thread), a guard
// object whose destructor closes a channel, and returning the channel.
// A path into a crash (abort, an assert failure) ends the process and is no
// leak. A member channel is released if any member function of its class
// releases it.
//
// With the model file's `SelectCases` and `Contexts`: a select of cases is
// one blocking use, released on a path if any case can fire for good (a
// case that leaves the select's loop, or any case of a select in no loop);
// a receive from a Go-style context's done channel (a case on it too) is
// one from the context, released only by cancelling it.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_CHANNELFLOW_H
#define THREADLEAK_ENGINE_CHANNELFLOW_H

#include "engine/CrossTU.h"
#include "engine/Lenders.h"
#include "engine/PathFacts.h"
#include "model/ChannelModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include <memory>
#include <optional>

namespace clang::tidy::threadleak {

class ContextModel;
class SelectCaseModel;

/// Where a channel lives: a variable (local or parameter, the channel
/// itself or a smart pointer to it) or a data member of the class whose
/// member function runs.
struct ChannelOrigin {
  const ValueDecl *Decl = nullptr;

  const VarDecl *var() const { return llvm::dyn_cast_or_null<VarDecl>(Decl); }
  const FieldDecl *field() const {
    return llvm::dyn_cast_or_null<FieldDecl>(Decl);
  }
  explicit operator bool() const { return Decl != nullptr; }
  bool operator==(const ChannelOrigin &O) const { return Decl == O.Decl; }
};

/// What a function's parameters stand for in the caller's terms.
using ParamBindings = llvm::DenseMap<const ParmVarDecl *, ChannelOrigin>;
/// No parameter bound: the owner's own view.
inline const ParamBindings NoBindings;

/// One case of a select a context waits in.
struct SelectArm {
  /// The case's receive or send (Op.Call is the case constructor's call).
  ChannelOp Op;
  /// Its channel, or (Context) the context whose done channel it receives
  /// from.
  ChannelOrigin Origin;
  bool Context = false;
  /// Its firing leaves the loop the select is in: every case of a select in
  /// no loop, and every case when the tests of the select's result cannot
  /// be read.
  bool Exits = true;
};

/// A receive or send that blocks the context performing it.
struct BlockingChannelUse {
  ChannelOp Op;
  /// The call, or the range-for that receives until the channel is closed.
  const Stmt *Where = nullptr;
  ChannelOrigin Origin;
  /// Inside a loop: repeated, so one matching send or receive is not
  /// enough to release it.
  bool InLoop = false;
  /// Inside a loop that only the channel can end (`for (;;)`, a condition
  /// that receives, a range-for over the channel): it receives until the
  /// channel is closed, so sends never release it.
  bool UntilClosed = false;
  /// Inside a counted loop (`for (i = 0; i < n; ++i)`, a range-for over a
  /// container): as many receives as the owner's sends, which a path-by-path
  /// search cannot count.
  bool Counted = false;
  /// Calls from the context's body down to the function performing it.
  llvm::SmallVector<const CallExpr *, 4> CallChain;
  /// A receive from a context's done channel: Origin is the context.
  bool Context = false;
  /// A select of cases (Where is the select's call; Op and Origin are its
  /// first case's).
  llvm::SmallVector<SelectArm, 2> Arms;

  /// What the use waits on: a select's arms, or itself as one arm.
  llvm::SmallVector<SelectArm, 2> arms() const {
    if (!Arms.empty())
      return Arms;
    return {SelectArm{Op, Origin, Context}};
  }
};

/// What counts as releasing the context blocked on a channel.
struct ReleaseRules {
  /// A send releases a single receive.
  bool Send = false;
  /// A receive that certainly happens releases a single send.
  bool Receive = false;
  /// The rules as a number below 4, for caches.
  unsigned key() const { return (Send ? 1 : 0) + (Receive ? 2 : 0); }
};

/// A channel (or a context) the owner may release, and what releases it.
struct Watched {
  const VarDecl *V = nullptr;
  ReleaseRules Rules;
  /// V is a context (the variable its factory initialised): only its
  /// cancels release it.
  bool Context = false;
};

/// A path of the owner on which the channel is never released.
struct UnreleasedPath {
  enum KindTy {
    Return,   ///< a return statement
    CoReturn, ///< a co_return statement
    Throw,    ///< a throw the owner does not catch
    FallOff,  ///< the end of the function's body
    ScopeEnd, ///< the end of the channel variable's scope
  };
  KindTy Kind = FallOff;
  SourceLocation Loc;
  /// For ScopeEnd: the variable whose scope ends.
  const VarDecl *Dead = nullptr;
};

class ChannelFlow {
public:
  ChannelFlow(ASTContext &Ctx, const ChannelModel &Model,
              unsigned MaxCallDepth);
  ~ChannelFlow();

  /// The model file's select cases and contexts (either may be null): the
  /// context side then reads selects and done channels.
  void setSelects(const SelectCaseModel *Cases, const ContextModel *Contexts) {
    this->Cases = Cases;
    this->Contexts = Contexts;
  }

  /// The context \p E names, in the terms of the function that made it:
  /// the variable a context factory initialised (`ctx` or `[ctx, cancel]`),
  /// through copies, captures and the parameters \p Bindings binds; none
  /// for a context derived from a parent (its parent's cancels reach it).
  ChannelOrigin contextOf(const Expr *E, const ParamBindings &Bindings) const;
  /// The origin of a call's argument \p Arg for its parameter \p P: the
  /// channel it names, or the context.
  ChannelOrigin argumentOrigin(const Expr *Arg, const ParmVarDecl *P,
                               const ParamBindings &B) const;
  /// How diagnostics name the context \p V (a contextOf() variable): the
  /// binding of the context type in `auto [ctx, cancel] = ...`, else \p V.
  const NamedDecl *contextName(const VarDecl *V) const;

  /// The channel \p E denotes, seen through `&`, `*`, `->`, `.get()`,
  /// std::ref/std::move, casts and smart-pointer copies; parameters bound in
  /// \p Bindings stand for their argument's origin.
  ChannelOrigin originOf(const Expr *E, const ParamBindings &Bindings) const;

  /// Binds the trailing parameters of \p Body to the origins of \p Args:
  /// arguments handed to a context's callable align from the end (a
  /// jthread prepends a stop_token). Nothing if there are more arguments
  /// than parameters.
  void bindTrailing(const FunctionDecl *Body, llvm::ArrayRef<const Expr *> Args,
                    ParamBindings &Out) const;

  /// The blocking channel operations of a context running \p Body.
  void blockingUses(const FunctionDecl *Body, const ParamBindings &Bindings,
                    llvm::SmallVectorImpl<BlockingChannelUse> &Out);

  /// A path of \p Owner from \p From (the spawn) to its exit, or to the end
  /// of \p Channel's lifetime, that never releases \p Channel. None when
  /// every path releases it, or when the analysis cannot tell (silence).
  /// \p Body is the function the blocked context runs.
  std::optional<UnreleasedPath> findUnreleasedPath(const FunctionDecl *Owner,
                                                   const Stmt *From,
                                                   const VarDecl *Channel,
                                                   const FunctionDecl *Body,
                                                   ReleaseRules Rules) {
    return findUnreleasedPath(Owner, From, {{Channel, Rules}}, Body);
  }
  /// The same for several channels (a select's cases, a context): a path
  /// on which none of \p Channels is released.
  std::optional<UnreleasedPath>
  findUnreleasedPath(const FunctionDecl *Owner, const Stmt *From,
                     llvm::ArrayRef<Watched> Channels,
                     const FunctionDecl *Body);

  /// \p Owner's own code (not its lambdas) releases one of \p Channels
  /// somewhere, on some path.
  bool releasedSomewhere(const FunctionDecl *Owner,
                         llvm::ArrayRef<Watched> Channels);

  /// A path of \p Closer (a lambda's body that reaches \p Channel, a local
  /// of the function it is written in, by capture) from its entry to its
  /// exit that never releases \p Channel. None when every path releases
  /// it, or when the analysis cannot tell.
  std::optional<UnreleasedPath> findSkippingPath(const FunctionDecl *Closer,
                                                 const VarDecl *Channel,
                                                 ReleaseRules Rules);

  /// True if \p Owner closes, sends to or hands on \p Channel anywhere
  /// (for a counted receive loop, whose number of receives a path-by-path
  /// search cannot match with sends).
  bool mayReleaseAnywhere(const FunctionDecl *Owner, const VarDecl *Channel,
                          ReleaseRules Rules) {
    return mentionsRelease(Owner->getBody(), {Channel}, NoBindings, Rules);
  }

  /// True unless every member function of \p Field's class is visible in
  /// this translation unit and none of them releases \p Field, and, for a
  /// channel the class borrows (a member a constructor binds to what it is
  /// handed), every lender is seen and none releases the channel it lends.
  bool memberMayBeReleased(const FieldDecl *Field, ReleaseRules Rules);
  /// For a borrowed member judged unreleased: the argument that lends it
  /// (a construction's), for the note; null otherwise.
  const Expr *lenderOf(const FieldDecl *Field) const {
    return Lenders.lookup(Field);
  }

  /// The calls of \p Owner's own code that hand \p V to a function of
  /// another unit whose cross-TU summary says some path of it does not
  /// release it by \p Rules, in source order (for the notes).
  void unreleasedElsewhere(const FunctionDecl *Owner, const VarDecl *V,
                           ReleaseRules Rules,
                           llvm::SmallVectorImpl<const CallExpr *> &Out);

  /// For a member function \p Def (a definition, not static) of a class
  /// with channel data members: the members its body may release, by each
  /// release rule (what memberMayBeReleased() asks of it). What a cross-TU
  /// summary records.
  std::optional<crosstu::FunctionSummary::MemberFacts>
  memberReleaseFacts(const CXXMethodDecl *Def);

  /// For each channel \p Def (a definition) is given as a parameter that it
  /// may release (not a const reference): whether every path of \p Def
  /// releases it, by each release rule. What a cross-TU summary records.
  std::vector<crosstu::FunctionSummary::ChannelParam>
  channelParamFacts(const FunctionDecl *Def);

  /// \p Fn's CFG (a coroutine's body without its implicit parts), built
  /// once, with implicit destructors and every expression an element; null
  /// when it has no body or is over MaxCFGBlocks.
  const CFG *cfgOf(const FunctionDecl *Fn) { return cfgFor(Fn); }

  /// Functions whose CFG is larger than this are not analysed.
  static constexpr unsigned MaxCFGBlocks = 4096;

  /// A receive that is one alternative of an awaited race.
  struct RaceInfo {
    const VarDecl *Result = nullptr; ///< `r` in `auto r = co_await (a || b)`
    unsigned Alternative = 0;        ///< its index in r's variant
    unsigned Count = 0;              ///< how many alternatives
    /// A timed or non-blocking receive (pop_wait_for, try_pop): resolved by
    /// a branch on its own result (`== channel_op_status::success`).
    const CallExpr *TimedCall = nullptr;
    /// A Go-style select's receive case: the select, whose integer result
    /// says which case fired (tested where it is made, or through Result).
    const CallExpr *Select = nullptr;
  };

  /// \p V (a local of \p Owner) is given another channel before \p Start
  /// (in source order): assigned a channel made elsewhere, or handed to
  /// a function that stores one through its out-parameter. Its channel is
  /// then not one \p Owner made.
  bool repointedBefore(const FunctionDecl *Owner, const VarDecl *V,
                       const Stmt *Start);

private:
  struct Walker;
  /// Lambdas held in a local variable that is only ever called.
  struct HelperLambdas {
    llvm::DenseMap<const VarDecl *, const LambdaExpr *> ByVar;
    llvm::DenseSet<const LambdaExpr *> Exprs;
  };
  const HelperLambdas &helperLambdasIn(const FunctionDecl *Fn);
  /// \p S calls a helper lambda of \p Fn (`finish()`): its lambda.
  const LambdaExpr *calledHelper(const Stmt *S, const FunctionDecl *Fn);
  bool destructorCloses(const CXXRecordDecl *RD, ReleaseRules Rules);
  bool guardReleases(const VarDecl *Guard, const VarDecl *V,
                     ReleaseRules Rules, const FunctionDecl *Fn);
  const llvm::DenseMap<const CallExpr *, RaceInfo> &
  racesIn(const FunctionDecl *Fn);
  const CFG *cfgFor(const FunctionDecl *Fn);
  /// True if \p Fn cannot return: [[noreturn]], or every path of it loops
  /// or ends in a call that never returns.
  bool neverReturns(const FunctionDecl *Fn);
  /// True if \p S joins a thread whose body never returns: it never
  /// returns either.
  bool joinNeverReturns(const Stmt *S, const FunctionDecl *Owner);
  std::optional<UnreleasedPath>
  search(const FunctionDecl *Owner, const CFG &Graph,
         const CFGBlock *StartBlock, unsigned StartIndex,
         llvm::ArrayRef<Watched> Channels, const PathFacts *Facts = nullptr);
  bool releases(const Stmt *S, const VarDecl *V, ReleaseRules Rules,
                const FunctionDecl *Fn);
  /// Some code of \p Owner that may run before the context running
  /// \p Body starts (at element \p StartIndex of \p StartBlock, the
  /// expression \p From) releases one of \p Channels: closes it, or hands
  /// it on.
  bool releasedOnTheWay(const FunctionDecl *Owner, const CFGBlock *StartBlock,
                        unsigned StartIndex, const Stmt *From,
                        const FunctionDecl *Body,
                        llvm::ArrayRef<Watched> Channels);
  bool releases(const Stmt *S, const Watched &W, const FunctionDecl *Fn) {
    return W.Context ? cancels(S, W.V, Fn) : releases(S, W.V, W.Rules, Fn);
  }
  /// \p S cancels the context \p V, or hands its cancel function (or the
  /// context, to code that may cancel it) on.
  bool cancels(const Stmt *S, const VarDecl *V, const FunctionDecl *Fn);
  /// \p Body calls a cancel of the context \p V.
  bool mentionsCancel(const Stmt *Body, const VarDecl *V) const;
  /// \p E names the context \p V or its cancel function.
  bool namesContext(const Expr *E, const VarDecl *V, bool &Cancel) const;
  /// Another lambda of \p Owner (not \p Body) that may cancel \p V.
  bool cancelledByAnotherContext(const FunctionDecl *Owner, const VarDecl *V,
                                 const FunctionDecl *Body);
  bool passesTo(const Expr *Arg, const VarDecl *V, const FunctionDecl *Callee,
                unsigned ParamIndex, ReleaseRules Rules);
  bool mentionsRelease(const Stmt *Body, ChannelOrigin O,
                       const ParamBindings &B, ReleaseRules Rules);
  bool releasedByAnotherContext(const FunctionDecl *Owner, const VarDecl *V,
                                const FunctionDecl *Body, ReleaseRules Rules);
  bool paramReleasedOnAllPaths(const FunctionDecl *Fn, unsigned Index,
                               ReleaseRules Rules);
  const llvm::DenseSet<const Expr *> &awaitedIn(const FunctionDecl *Fn);
  bool isCertainReceive(const ChannelOp &Op, const FunctionDecl *Fn);

  ASTContext &Ctx;
  const ChannelModel &Model;
  const SelectCaseModel *Cases = nullptr;
  const ContextModel *Contexts = nullptr;
  unsigned MaxCallDepth;
  llvm::DenseMap<const FunctionDecl *, std::unique_ptr<CFG>> CFGs;
  llvm::DenseMap<const FunctionDecl *, llvm::DenseSet<const Expr *>> Awaited;
  /// (function, parameter, rules) -> releases on all paths.
  llvm::DenseMap<std::pair<const FunctionDecl *, unsigned>, bool> Summaries;
  llvm::DenseSet<const FunctionDecl *> InProgress;
  /// By field and release rules (ReleaseRules::key()).
  llvm::DenseMap<std::pair<const FieldDecl *, unsigned>, bool> MemberCache;
  /// The lenders of a borrowed member: each binding constructor's argument
  /// for it, at every construction of the TU. False if one cannot be
  /// resolved (or none is seen) or may release the channel.
  bool lendersMayRelease(const FieldDecl *Field, ReleaseRules Rules);
  MemberLenders Lending;
  llvm::DenseMap<const FieldDecl *, const Expr *> Lenders;
  llvm::DenseMap<const FunctionDecl *, bool> NeverReturnsCache;
  llvm::DenseMap<const FunctionDecl *, HelperLambdas> Helpers;
  /// The body of the context whose channel findUnreleasedPath follows.
  const FunctionDecl *BlockedBody = nullptr;
  llvm::DenseMap<const FunctionDecl *,
                 llvm::DenseMap<const CallExpr *, RaceInfo>>
      Races;
};

/// Strips what does not change which object an expression denotes.
const Expr *stripChannelExpr(const Expr *E);

/// Flattens `a || b || c` (Asio's awaitable operators) into its
/// alternatives, left to right, as the result variant orders them.
void raceAlternatives(const Expr *E, llvm::SmallVectorImpl<const Expr *> &Out);

/// What a branch on `r.index()` (or on a Go-style select's integer result,
/// `fired == 0`) says about which alternative of a race won.
enum class RaceBranch { Unknown, Is, IsNot };
struct IndexTest {
  const VarDecl *Result = nullptr; ///< `r`
  /// Or the call whose result is tested where it is made
  /// (`if (select(...) == 1)`).
  const CallExpr *Select = nullptr;
  uint64_t K = 0;
  /// On the true branch, alternative K won (Is) or did not (IsNot).
  RaceBranch OnTrue = RaceBranch::Unknown;
};
/// The test \p B's two-way terminator makes on a race's result variant:
/// `r.index() == K`, `r.index() != K`, `if (r.index())`.
std::optional<IndexTest> indexTest(const CFGBlock &B, const ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
