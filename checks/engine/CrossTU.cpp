//===--- CrossTU.cpp ------------------------------------------------------===//

#include "engine/CrossTU.h"
#include "engine/BodyResolver.h"
#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/Mangle.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <memory>

namespace clang::tidy::threadleak::crosstu {

namespace {
Recording *TheRecording = nullptr;
const std::map<std::string, FunctionSummary> *TheProvider = nullptr;

llvm::json::Value toJSON(const Location &L) {
  return llvm::json::Array{L.File, int64_t(L.Offset)};
}

/// \p A, an array of strings (none empty, with \p NonEmpty), appended to
/// \p Out; false if \p A is null or holds anything else.
bool stringsOf(const llvm::json::Array *A, std::vector<std::string> &Out,
               bool NonEmpty = false) {
  if (!A)
    return false;
  for (const llvm::json::Value &V : *A) {
    auto S = V.getAsString();
    if (!S || (NonEmpty && S->empty()))
      return false;
    Out.push_back(S->str());
  }
  return true;
}

using CallChain = std::vector<std::pair<Location, std::string>>;

llvm::json::Array chainJSON(const CallChain &C) {
  llvm::json::Array Out;
  for (const auto &[Loc, Callee] : C)
    Out.push_back(llvm::json::Array{toJSON(Loc), Callee});
  return Out;
}

bool fromJSON(const llvm::json::Value *V, Location &L);

/// \p A, an array of [location, callee] pairs, appended to \p Out; false
/// if \p A is null or holds anything else.
bool chainOf(const llvm::json::Array *A, CallChain &Out) {
  if (!A)
    return false;
  for (const llvm::json::Value &C : *A) {
    const llvm::json::Array *Pair = C.getAsArray();
    if (!Pair || Pair->size() != 2)
      return false;
    Location Loc;
    auto Callee = (*Pair)[1].getAsString();
    if (!fromJSON(&(*Pair)[0], Loc) || !Callee)
      return false;
    Out.emplace_back(std::move(Loc), Callee->str());
  }
  return true;
}

bool fromJSON(const llvm::json::Value *V, Location &L) {
  const llvm::json::Array *A = V ? V->getAsArray() : nullptr;
  if (!A || A->size() != 2)
    return false;
  auto File = (*A)[0].getAsString();
  auto Offset = (*A)[1].getAsInteger();
  if (!File || !Offset || *Offset < 0 || *Offset > int64_t(UINT32_MAX))
    return false;
  L.File = File->str();
  L.Offset = unsigned(*Offset);
  return true;
}
} // namespace

void setRecording(Recording *R) { TheRecording = R; }
Recording *recording() { return TheRecording; }
void setProvider(const std::map<std::string, FunctionSummary> *P) {
  TheProvider = P;
}
bool enabled() { return TheRecording || TheProvider; }

std::string identity(const FunctionDecl *FD, ASTContext &Ctx) {
  if (!FD)
    return {};
  FD = FD->getCanonicalDecl();
  if (llvm::isa<CXXConstructorDecl, CXXDestructorDecl>(FD) || FD->isMain() ||
      FD->isDependentContext() ||
      FD->getTemplatedKind() != FunctionDecl::TK_NonTemplate ||
      FD->isInlined() || !FD->isExternallyVisible() ||
      !FD->getDeclName().isIdentifier())
    return {};
  // Nor a member of a class that is a template's instantiation or local.
  if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(FD->getDeclContext()))
    if (RD->getTemplateSpecializationKind() != TSK_Undeclared ||
        RD->isDependentContext() || RD->isLocalClass())
      return {};
  if (Ctx.getSourceManager().isInSystemHeader(FD->getLocation()))
    return {};
  // One name generator per AST (a worker analyses one unit).
  static ASTContext *For = nullptr;
  static std::unique_ptr<ASTNameGenerator> Names;
  if (For != &Ctx) {
    Names = std::make_unique<ASTNameGenerator>(Ctx);
    For = &Ctx;
  }
  return Names->getName(FD);
}

std::string summaryIdentity(const FunctionDecl *FD, ASTContext &Ctx) {
  if (!FD->doesThisDeclarationHaveABody() || isCoroutine(FD))
    return {};
  // Other units call what a header declares; a function declared only in
  // this file is not worth a summary.
  const SourceManager &SM = Ctx.getSourceManager();
  if (SM.isWrittenInMainFile(
          SM.getExpansionLoc(FD->getFirstDecl()->getLocation())))
    return {};
  return identity(FD, Ctx);
}

static const FunctionSummary *lookUp(const FunctionDecl *Callee,
                                     ASTContext &Ctx, bool Wanted) {
  if (!enabled())
    return nullptr;
  std::string Id = identity(Callee, Ctx);
  if (Id.empty())
    return nullptr;
  if (TheRecording)
    (Wanted ? TheRecording->Wanted : TheRecording->Asked).insert(Id);
  if (TheProvider) {
    auto It = TheProvider->find(Id);
    if (It != TheProvider->end())
      return &It->second;
  }
  return nullptr;
}

const FunctionSummary *ask(const FunctionDecl *Callee, ASTContext &Ctx) {
  return lookUp(Callee, Ctx, /*Wanted=*/false);
}

const FunctionSummary *want(const FunctionDecl *Callee, ASTContext &Ctx) {
  return lookUp(Callee, Ctx, /*Wanted=*/true);
}

std::optional<Location> locationOf(SourceLocation Loc,
                                   const SourceManager &SM) {
  if (Loc.isInvalid())
    return std::nullopt;
  Loc = SM.getExpansionLoc(Loc);
  FileID FID = SM.getFileID(Loc);
  OptionalFileEntryRef FE = SM.getFileEntryRefForID(FID);
  if (!FE)
    return std::nullopt;
  llvm::SmallString<256> Path(FE->getName());
  llvm::sys::fs::make_absolute(Path);
  llvm::SmallString<256> Real;
  if (!llvm::sys::fs::real_path(Path, Real))
    Path = Real;
  else
    llvm::sys::path::remove_dots(Path, /*remove_dot_dot=*/true);
  return Location{std::string(Path), SM.getFileOffset(Loc)};
}

SourceLocation locate(const Location &L, SourceManager &SM) {
  llvm::Expected<FileEntryRef> FE =
      SM.getFileManager().getFileRef(L.File, /*OpenFile=*/true);
  if (!FE) {
    llvm::consumeError(FE.takeError());
    return {};
  }
  FileID FID = SM.translateFile(*FE);
  if (FID.isInvalid())
    FID = SM.createFileID(*FE, SourceLocation(), SrcMgr::C_User);
  std::optional<llvm::MemoryBufferRef> Buffer = SM.getBufferOrNone(FID);
  if (!Buffer || L.Offset >= Buffer->getBufferSize())
    return {};
  return SM.getComposedLoc(FID, L.Offset);
}

namespace {
/// The class whose members a path goes on to from a member or root of
/// type \p T: through references, pointers and smart pointers.
const CXXRecordDecl *classThrough(QualType T) {
  for (int Guard = 0; Guard < 4; ++Guard) {
    const CXXRecordDecl *RD = recordOf(T);
    const auto *Spec =
        llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(RD);
    if (!Spec || !isSmartPointer(RD) || Spec->getTemplateArgs().size() < 1 ||
        Spec->getTemplateArgs()[0].getKind() != TemplateArgument::Type)
      return RD ? RD->getDefinition() : nullptr;
    T = Spec->getTemplateArgs()[0].getAsType();
  }
  return nullptr;
}

/// The data member of \p RD, or of one of its bases, called \p Name.
const FieldDecl *fieldNamed(const CXXRecordDecl *RD, llvm::StringRef Name,
                            unsigned Depth = 0) {
  if (!RD || !RD->hasDefinition() || Depth > 8)
    return nullptr;
  RD = RD->getDefinition();
  for (const FieldDecl *F : RD->fields())
    if (F->getIdentifier() && F->getName() == Name)
      return F;
  for (const CXXBaseSpecifier &B : RD->bases())
    if (const FieldDecl *F =
            fieldNamed(B.getType()->getAsCXXRecordDecl(), Name, Depth + 1))
      return F;
  return nullptr;
}

} // namespace

std::optional<AccessPath> pathOf(const ObjectKey &K, const FunctionDecl *Fn) {
  if (!K.exact() || !Fn)
    return std::nullopt;
  AccessPath P;
  if (K.Root == ObjectKey::This) {
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Fn);
    if (!MD || MD->isStatic() || MD->getParent()->isLambda())
      return std::nullopt;
    P.Root = AccessPath::This;
  } else if (const auto *PVD = llvm::dyn_cast_or_null<ParmVarDecl>(K.RootVar)) {
    if (PVD->getDeclContext() != Fn)
      return std::nullopt;
    P.Root = AccessPath::Param;
    P.Index = PVD->getFunctionScopeIndex();
  } else if (K.RootVar && K.RootVar->hasGlobalStorage() &&
             !K.RootVar->isStaticLocal() && K.RootVar->isExternallyVisible() &&
             K.RootVar->getIdentifier()) {
    P.Root = AccessPath::Global;
    P.Name = K.RootVar->getQualifiedNameAsString();
  } else {
    return std::nullopt;
  }
  for (const ValueDecl *M : K.Path) {
    const auto *F = llvm::dyn_cast_or_null<FieldDecl>(M);
    if (!F || !F->getIdentifier())
      return std::nullopt;
    P.Members.push_back(F->getName().str());
  }
  return P;
}

const ValueDecl *stateNamed(llvm::StringRef Qualified, ASTContext &Ctx) {
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  Qualified.split(Parts, "::");
  const DeclContext *DC = Ctx.getTranslationUnitDecl();
  for (size_t I = 0; I < Parts.size(); ++I) {
    if (Parts[I].empty())
      return nullptr;
    if (I + 1 == Parts.size())
      if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(DC))
        if (const FieldDecl *F = fieldNamed(RD, Parts[I]))
          return F;
    DeclContextLookupResult R =
        DC->lookup(DeclarationName(&Ctx.Idents.get(Parts[I])));
    const DeclContext *Next = nullptr;
    for (const NamedDecl *D : R) {
      if (I + 1 == Parts.size()) {
        if (const auto *VD = llvm::dyn_cast<VarDecl>(D);
            VD && VD->hasGlobalStorage() && VD->isExternallyVisible())
          return VD;
        continue;
      }
      if (const auto *NS = llvm::dyn_cast<NamespaceDecl>(D))
        Next = NS;
      else if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(D);
               RD && RD->getDefinition())
        Next = RD->getDefinition();
    }
    if (!Next)
      return nullptr;
    DC = Next;
  }
  return nullptr;
}

ObjectKey keyOf(const AccessPath &P, const FunctionDecl *Callee) {
  ObjectKey K;
  const CXXRecordDecl *RD = nullptr;
  switch (P.Root) {
  case AccessPath::This: {
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Callee);
    if (!MD || MD->isStatic())
      return {};
    K.Root = ObjectKey::This;
    RD = MD->getParent()->getDefinition();
    break;
  }
  case AccessPath::Param:
    if (P.Index >= Callee->getNumParams())
      return {};
    K.Root = ObjectKey::Var;
    K.RootVar = Callee->getParamDecl(P.Index);
    RD = classThrough(K.RootVar->getType());
    break;
  case AccessPath::Global:
    K.Root = ObjectKey::Var;
    K.RootVar = llvm::dyn_cast_or_null<VarDecl>(
        stateNamed(P.Name, Callee->getASTContext()));
    if (!K.RootVar)
      return {};
    RD = classThrough(K.RootVar->getType());
    break;
  }
  for (const std::string &Name : P.Members) {
    const FieldDecl *F = fieldNamed(RD, Name);
    if (!F)
      return {};
    K.Path.push_back(F);
    RD = classThrough(F->getType());
  }
  return K;
}

llvm::json::Value toJSON(const FunctionSummary &S) {
  llvm::json::Object O{{"name", S.Name}};
  if (S.Loops) {
    O["loops"] = llvm::json::Object{{"chain", chainJSON(S.Loops->Chain)},
                                    {"kind", S.Loops->Kind},
                                    {"loop", toJSON(S.Loops->Loop)},
                                    {"condition", S.Loops->Condition},
                                    {"wait", toJSON(S.Loops->Wait)}};
  }
  llvm::json::Array Starts;
  for (const FunctionSummary::Start &St : S.Starts) {
    llvm::json::Object SO{{"param", int64_t(St.Param)},
                          {"interruptible", St.Interruptible},
                          {"noun", St.Noun},
                          {"detach", toJSON(St.Detach)}};
    if (St.Started)
      SO["started"] = toJSON(*St.Started);
    Starts.push_back(std::move(SO));
  }
  if (!Starts.empty())
    O["starts"] = std::move(Starts);
  llvm::json::Array Channels;
  for (const FunctionSummary::ChannelParam &C : S.Channels)
    Channels.push_back(
        llvm::json::Object{{"param", int64_t(C.Param)},
                           {"closes", C.Closes},
                           {"closes-or-sends", C.ClosesOrSends},
                           {"closes-or-receives", C.ClosesOrReceives}});
  if (!Channels.empty())
    O["channels"] = std::move(Channels);
  if (S.Members) {
    auto Names = [](const std::vector<std::string> &V) {
      return llvm::json::Array(V);
    };
    O["members"] = llvm::json::Object{
        {"closes", Names(S.Members->Closes)},
        {"closes-or-sends", Names(S.Members->ClosesOrSends)},
        {"closes-or-receives", Names(S.Members->ClosesOrReceives)}};
  }
  if (S.Effects) {
    llvm::json::Array Writes;
    for (const auto &[Name, Loc] : S.Effects->Writes)
      Writes.push_back(llvm::json::Array{Name, toJSON(Loc)});
    O["effects"] =
        llvm::json::Object{{"writes", std::move(Writes)},
                           {"notifies", llvm::json::Array(S.Effects->Notifies)},
                           {"unknown", S.Effects->Unknown},
                           {"requests-stop", S.Effects->RequestsStop}};
  }
  llvm::json::Array Acquires;
  static const char *const Roots[] = {"this", "param", "global"};
  for (const FunctionSummary::Acquire &A : S.Acquires) {
    llvm::json::Array Requires;
    for (const auto &[Param, Value] : A.Requires)
      Requires.push_back(llvm::json::Array{int64_t(Param), Value});
    llvm::json::Object AO{{"root", Roots[A.Key.Root]},
                          {"members", llvm::json::Array(A.Key.Members)},
                          {"shared", A.Shared},
                          {"requires", std::move(Requires)},
                          {"at", toJSON(A.At)}};
    if (A.Key.Root == AccessPath::Param)
      AO["param"] = int64_t(A.Key.Index);
    if (A.Key.Root == AccessPath::Global)
      AO["global"] = A.Key.Name;
    Acquires.push_back(std::move(AO));
  }
  if (!Acquires.empty())
    O["acquires"] = std::move(Acquires);
  llvm::json::Array Waits;
  for (const FunctionSummary::Wait &W : S.Waits)
    Waits.push_back(llvm::json::Object{{"cv", W.CondVar},
                                       {"reads", llvm::json::Array(W.Reads)},
                                       {"predicate", W.Predicate},
                                       {"at", toJSON(W.At)},
                                       {"anchor", toJSON(W.Anchor)},
                                       {"chain", chainJSON(W.Chain)}});
  if (!Waits.empty())
    O["waits"] = std::move(Waits);
  return O;
}

bool fromJSON(const llvm::json::Value &V, FunctionSummary &S) {
  const llvm::json::Object *O = V.getAsObject();
  if (!O)
    return false;
  auto Name = O->getString("name");
  if (!Name)
    return false;
  S.Name = Name->str();
  if (const llvm::json::Object *L = O->getObject("loops")) {
    FunctionSummary::Forever F;
    auto Kind = L->getString("kind");
    auto Condition = L->getString("condition");
    if (!chainOf(L->getArray("chain"), F.Chain) || !Kind || !Condition ||
        !fromJSON(L->get("loop"), F.Loop) || !fromJSON(L->get("wait"), F.Wait))
      return false;
    F.Kind = Kind->str();
    F.Condition = Condition->str();
    S.Loops = std::move(F);
  }
  if (const llvm::json::Array *Starts = O->getArray("starts"))
    for (const llvm::json::Value &SV : *Starts) {
      const llvm::json::Object *SO = SV.getAsObject();
      if (!SO)
        return false;
      FunctionSummary::Start St;
      auto Param = SO->getInteger("param");
      auto Interruptible = SO->getBoolean("interruptible");
      auto Noun = SO->getString("noun");
      if (!Param || *Param < 0 || !Interruptible || !Noun ||
          !fromJSON(SO->get("detach"), St.Detach))
        return false;
      St.Param = unsigned(*Param);
      St.Interruptible = *Interruptible;
      St.Noun = Noun->str();
      if (const llvm::json::Value *Started = SO->get("started")) {
        Location L;
        if (!fromJSON(Started, L))
          return false;
        St.Started = std::move(L);
      }
      S.Starts.push_back(std::move(St));
    }
  if (const llvm::json::Array *Channels = O->getArray("channels"))
    for (const llvm::json::Value &CV : *Channels) {
      const llvm::json::Object *CO = CV.getAsObject();
      if (!CO)
        return false;
      auto Param = CO->getInteger("param");
      auto Closes = CO->getBoolean("closes");
      auto Sends = CO->getBoolean("closes-or-sends");
      auto Receives = CO->getBoolean("closes-or-receives");
      if (!Param || *Param < 0 || *Param > int64_t(UINT16_MAX) || !Closes ||
          !Sends || !Receives || S.channelParam(unsigned(*Param)))
        return false;
      S.Channels.push_back({unsigned(*Param), *Closes, *Sends, *Receives});
    }
  if (const llvm::json::Object *M = O->getObject("members")) {
    FunctionSummary::MemberFacts F;
    if (!stringsOf(M->getArray("closes"), F.Closes) ||
        !stringsOf(M->getArray("closes-or-sends"), F.ClosesOrSends) ||
        !stringsOf(M->getArray("closes-or-receives"), F.ClosesOrReceives))
      return false;
    S.Members = std::move(F);
  }
  if (const llvm::json::Object *E = O->getObject("effects")) {
    FunctionSummary::StateEffects F;
    const llvm::json::Array *Writes = E->getArray("writes");
    const llvm::json::Array *Notifies = E->getArray("notifies");
    auto Unknown = E->getBoolean("unknown");
    auto RequestsStop = E->getBoolean("requests-stop");
    if (!Writes || !Notifies || !Unknown || !RequestsStop)
      return false;
    for (const llvm::json::Value &W : *Writes) {
      const llvm::json::Array *Pair = W.getAsArray();
      if (!Pair || Pair->size() != 2)
        return false;
      auto Name = (*Pair)[0].getAsString();
      Location Loc;
      if (!Name || !fromJSON(&(*Pair)[1], Loc))
        return false;
      F.Writes.emplace_back(Name->str(), std::move(Loc));
    }
    if (!stringsOf(Notifies, F.Notifies))
      return false;
    F.Unknown = *Unknown;
    F.RequestsStop = *RequestsStop;
    S.Effects = std::move(F);
  }
  if (const llvm::json::Array *Acquires = O->getArray("acquires"))
    for (const llvm::json::Value &AV : *Acquires) {
      const llvm::json::Object *AO = AV.getAsObject();
      if (!AO)
        return false;
      FunctionSummary::Acquire A;
      auto Root = AO->getString("root");
      const llvm::json::Array *Members = AO->getArray("members");
      const llvm::json::Array *Requires = AO->getArray("requires");
      auto Shared = AO->getBoolean("shared");
      if (!Root || !Members || !Requires || !Shared ||
          !fromJSON(AO->get("at"), A.At))
        return false;
      if (*Root == "this") {
        A.Key.Root = AccessPath::This;
      } else if (*Root == "param") {
        auto Param = AO->getInteger("param");
        if (!Param || *Param < 0 || *Param > int64_t(UINT16_MAX))
          return false;
        A.Key.Root = AccessPath::Param;
        A.Key.Index = unsigned(*Param);
      } else if (*Root == "global") {
        auto Global = AO->getString("global");
        if (!Global || Global->empty())
          return false;
        A.Key.Root = AccessPath::Global;
        A.Key.Name = Global->str();
      } else {
        return false;
      }
      if (!stringsOf(Members, A.Key.Members, /*NonEmpty=*/true))
        return false;
      for (const llvm::json::Value &R : *Requires) {
        const llvm::json::Array *Pair = R.getAsArray();
        if (!Pair || Pair->size() != 2)
          return false;
        auto Param = (*Pair)[0].getAsInteger();
        auto Value = (*Pair)[1].getAsBoolean();
        if (!Param || *Param < 0 || *Param > int64_t(UINT16_MAX) || !Value)
          return false;
        A.Requires.emplace_back(unsigned(*Param), *Value);
      }
      A.Shared = *Shared;
      S.Acquires.push_back(std::move(A));
    }
  if (const llvm::json::Array *Waits = O->getArray("waits"))
    for (const llvm::json::Value &WV : *Waits) {
      const llvm::json::Object *WO = WV.getAsObject();
      if (!WO)
        return false;
      FunctionSummary::Wait W;
      auto CV = WO->getString("cv");
      auto Predicate = WO->getBoolean("predicate");
      if (!CV || CV->empty() || !Predicate ||
          !stringsOf(WO->getArray("reads"), W.Reads, /*NonEmpty=*/true) ||
          !fromJSON(WO->get("at"), W.At) ||
          !fromJSON(WO->get("anchor"), W.Anchor) ||
          !chainOf(WO->getArray("chain"), W.Chain))
        return false;
      W.CondVar = CV->str();
      W.Predicate = *Predicate;
      S.Waits.push_back(std::move(W));
    }
  return true;
}

} // namespace clang::tidy::threadleak::crosstu
