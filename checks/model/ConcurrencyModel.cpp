//===--- ConcurrencyModel.cpp ---------------------------------------------===//

#include "model/ConcurrencyModel.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

namespace clang::tidy::threadleak {

namespace defaults {
const char ThreadTypes[] =
    "::std::thread;::std::jthread;::boost::thread;::boost::fibers::fiber";
const char JThreadTypes[] = "::std::jthread";
// libcoro's spawns hand a coro::task<void> over to a scheduler or thread
// pool that owns it from then on; nobody can await it.
const char DetachedSpawnFunctions[] =
    "::coro::scheduler::spawn_detached;::coro::scheduler::spawn;"
    "::coro::io_scheduler::spawn;::coro::thread_pool::spawn;"
    "::coro::thread_pool::spawn_detached";
// Coroutine return types whose coroutines nobody can await or join, however
// they start (concurrencpp::null_result runs on an executor when its first
// argument is an executor_tag, inline otherwise).
const char DetachedCoroutineTypes[] = "::concurrencpp::null_result";
// Asio's post/dispatch/defer and a oneTBB task group's run(): the handler
// runs once, on the executor's threads (oneTBB's task_group lives in
// tbb::detail::d1, named tbb::task_group through a using-declaration).
const char RunOnceSubmitFunctions[] =
    "::boost::asio::post;::boost::asio::dispatch;::boost::asio::defer;"
    "::asio::post;::asio::dispatch;::asio::defer;"
    "::tbb::detail::d1::task_group::run;::tbb::task_group::run";
// Spawns into a scope that owns the coroutine until the scope is joined
// (`co_await scope.join()`).
const char ScopedSpawnFunctions[] = "::cppcoro::async_scope::spawn";
// Boost.Thread's interruption points: boost::thread::interrupt() makes them
// throw boost::thread_interrupted, which ends the loop. One list, in both
// StopSignalFunctions' default and InterruptionPoints.
#define THREADLEAK_BOOST_INTERRUPTION_POINTS \
    "::boost::this_thread::interruption_point;" \
    "::boost::this_thread::sleep_for;::boost::this_thread::sleep_until;" \
    "::boost::this_thread::sleep;" \
    "::boost::condition_variable::wait;::boost::condition_variable::wait_for;" \
    "::boost::condition_variable::wait_until;" \
    "::boost::condition_variable::timed_wait;" \
    "::boost::condition_variable_any::wait;" \
    "::boost::condition_variable_any::wait_for;" \
    "::boost::condition_variable_any::wait_until;" \
    "::boost::condition_variable_any::timed_wait;" \
    "::boost::thread::join;::boost::thread::timed_join;" \
    "::boost::thread::try_join_for;::boost::thread::try_join_until"
const char StopSignalFunctions[] =
    THREADLEAK_BOOST_INTERRUPTION_POINTS ";"
    "::pthread_testcancel;"
    // Deliberate ends of the thread or process. Other noreturn calls (abort,
    // assert failures, std::terminate) are crashes, not stop signals.
    "::pthread_exit;::exit;::_exit;::_Exit;::quick_exit;"
    "::std::exit;::std::_Exit;::std::quick_exit";
const char BlockingFunctions[] =
    "::std::condition_variable::wait;::std::condition_variable_any::wait;"
    "::std::future::get;::std::future::wait;"
    "::std::shared_future::get;::std::shared_future::wait;"
    "::std::counting_semaphore::acquire;::std::latch::wait;"
    "::std::barrier::arrive_and_wait;::std::thread::join;"
    "::boost::condition_variable::wait;::boost::condition_variable_any::wait;"
    "::pthread_cond_wait;::pthread_join;::sem_wait";
// The entries of StopSignalFunctions' default that are Boost.Thread
// interruption points rather than deliberate exits.
const char InterruptionPoints[] = THREADLEAK_BOOST_INTERRUPTION_POINTS;
#undef THREADLEAK_BOOST_INTERRUPTION_POINTS
} // namespace defaults

std::string plainQualifiedName(const NamedDecl *D) {
  llvm::SmallVector<llvm::StringRef, 8> Parts;
  std::string Own = D->getDeclName().getAsString();
  for (const DeclContext *Ctx = D->getDeclContext(); Ctx;
       Ctx = Ctx->getParent()) {
    if (const auto *NS = llvm::dyn_cast<NamespaceDecl>(Ctx)) {
      if (NS->isInlineNamespace() || NS->isAnonymousNamespace())
        continue;
      Parts.push_back(NS->getName());
    } else if (const auto *RD = llvm::dyn_cast<RecordDecl>(Ctx)) {
      if (!RD->getIdentifier())
        continue;
      Parts.push_back(RD->getName());
    } else if (llvm::isa<FunctionDecl>(Ctx)) {
      // Local declarations are not nameable from a configuration list.
      Parts.push_back("(local)");
    }
  }
  std::string Result;
  for (auto It = Parts.rbegin(); It != Parts.rend(); ++It) {
    Result += *It;
    Result += "::";
  }
  Result += Own;
  return Result;
}

NameList NameList::parse(llvm::StringRef List) {
  NameList Result;
  llvm::StringRef Rest = List;
  while (!Rest.empty()) {
    size_t Cut = Rest.find_first_of(";,");
    llvm::StringRef Item = Rest.substr(0, Cut).trim();
    Rest = Cut == llvm::StringRef::npos ? llvm::StringRef() : Rest.substr(Cut + 1);
    Item.consume_front("::");
    if (Item.empty() || !Result.Names.insert(Item).second)
      continue;
    Result.Ordered.push_back(("::" + Item).str());
  }
  return Result;
}

std::string NameList::str() const {
  std::string S;
  for (const std::string &N : Ordered)
    S += (S.empty() ? "" : ";") + N;
  return S;
}

void NameList::add(const std::vector<std::string> &More) {
  for (const std::string &M : More) {
    llvm::StringRef Item = llvm::StringRef(M).trim();
    Item.consume_front("::");
    if (!Item.empty() && Names.insert(Item).second)
      Ordered.push_back(("::" + Item).str());
  }
}

bool NameList::containsName(llvm::StringRef QualifiedName) const {
  QualifiedName.consume_front("::");
  return Names.contains(QualifiedName);
}

bool NameList::contains(const NamedDecl *D) const {
  if (!D || Names.empty())
    return false;
  // Cheap pre-filter: the unqualified name must end one of the entries.
  if (const IdentifierInfo *II = D->getIdentifier()) {
    llvm::StringRef Short = II->getName();
    bool Any = false;
    for (const std::string &N : Ordered)
      if (llvm::StringRef(N).ends_with(Short)) {
        Any = true;
        break;
      }
    if (!Any)
      return false;
  }
  return Names.contains(plainQualifiedName(D));
}

bool NameList::containsCallee(const CallExpr *Call) const {
  const FunctionDecl *Callee = Call ? Call->getDirectCallee() : nullptr;
  if (!Callee || Names.empty())
    return false;
  if (contains(Callee))
    return true;
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  if (!MC || !Callee->getIdentifier())
    return false;
  // The object as written, before the implicit derived-to-base conversion.
  const Expr *ObjectExpr = MC->getImplicitObjectArgument();
  const CXXRecordDecl *Object =
      ObjectExpr ? recordOf(ObjectExpr->IgnoreParenImpCasts()->getType())
                 : nullptr;
  if (!Object || Object == llvm::cast<CXXMethodDecl>(Callee)->getParent())
    return false;
  return Names.contains(plainQualifiedName(Object) + "::" +
                        Callee->getName().str());
}

const CXXRecordDecl *recordOf(QualType T) {
  if (T.isNull())
    return nullptr;
  T = T.getNonReferenceType();
  if (const auto *PT = T->getAs<PointerType>())
    T = PT->getPointeeType();
  return T->getAsCXXRecordDecl();
}

QualType firstTypeArgument(QualType T) {
  const auto *Spec = llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      recordOf(T.getNonReferenceType()));
  if (!Spec || Spec->getTemplateArgs().size() < 1 ||
      Spec->getTemplateArgs()[0].getKind() != TemplateArgument::Type)
    return QualType();
  return Spec->getTemplateArgs()[0].getAsType();
}

bool mayRunOverride(const FunctionDecl *FD) {
  const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(FD);
  return MD && MD->isVirtual() && !MD->hasAttr<FinalAttr>() &&
         !MD->getParent()->hasAttr<FinalAttr>();
}

bool isStdFactory(const FunctionDecl *FD) {
  return FD && FD->isInStdNamespace() && FD->getIdentifier() &&
         (FD->getName() == "make_shared" || FD->getName() == "make_unique" ||
          FD->getName() == "allocate_shared");
}

bool isStopTokenType(QualType T) {
  const CXXRecordDecl *RD = recordOf(T);
  return RD && RD->getIdentifier() && RD->getName() == "stop_token" &&
         plainQualifiedName(RD) == "std::stop_token";
}

bool isStopSourceType(QualType T) {
  if (T->isReferenceType() || T->isPointerType())
    return false;
  const CXXRecordDecl *RD = recordOf(T);
  return RD && RD->getIdentifier() && RD->getName() == "stop_source" &&
         plainQualifiedName(RD) == "std::stop_source";
}

llvm::StringRef threadNoun(const CXXRecordDecl *RD) {
  return RD && RD->getIdentifier() && RD->getName() == "fiber" &&
                 plainQualifiedName(RD) == "boost::fibers::fiber"
             ? "fiber"
             : "thread";
}

bool isNeverInterruptible(const CXXRecordDecl *RD) {
  if (!RD || !RD->getIdentifier())
    return false;
  std::string Q = plainQualifiedName(RD);
  return Q == "std::thread" || Q == "std::jthread";
}

const Expr *bareExprThroughCopies(const Expr *E) {
  while (E) {
    const Expr *Next = bareExpr(E);
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Next))
      if (CE->getNumArgs() == 1 && CE->getConstructor() &&
          CE->getConstructor()->isCopyOrMoveConstructor())
        Next = CE->getArg(0);
    if (Next == E)
      return E;
    E = Next;
  }
  return E;
}

const Expr *accessorReturnValue(const FunctionDecl *FD) {
  const FunctionDecl *Def = FD ? FD->getDefinition() : nullptr;
  const auto *Body =
      Def ? llvm::dyn_cast_or_null<CompoundStmt>(Def->getBody()) : nullptr;
  if (!Body || Body->size() != 1)
    return nullptr;
  const auto *Ret = llvm::dyn_cast<ReturnStmt>(Body->body_front());
  return Ret ? Ret->getRetValue() : nullptr;
}

bool isIteratorClass(const CXXRecordDecl *RD) {
  return RD && RD->getIdentifier() &&
         RD->getName().contains_insensitive("iterator");
}

const FieldDecl *ownDataMember(const Expr *E) {
  const auto *ME =
      llvm::dyn_cast_or_null<MemberExpr>(E ? bareExpr(E) : nullptr);
  if (!ME || !llvm::isa<CXXThisExpr>(bareExpr(ME->getBase())))
    return nullptr;
  return llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
}

std::string foldedName(llvm::StringRef Name) {
  std::string Key;
  for (char C : Name)
    if (C != '_')
      Key += llvm::toLower(C);
  return Key;
}

std::vector<std::string> identifierWords(llvm::StringRef Name) {
  std::vector<std::string> Out;
  std::string Cur;
  for (size_t I = 0; I < Name.size(); ++I) {
    char C = Name[I];
    if (C == '_' || llvm::isDigit(C)) {
      if (!Cur.empty())
        Out.push_back(Cur);
      Cur.clear();
      continue;
    }
    if (llvm::isUpper(C) && !Cur.empty() &&
        (!llvm::isUpper(Name[I - 1]) ||
         (I + 1 < Name.size() && llvm::isLower(Name[I + 1])))) {
      Out.push_back(Cur);
      Cur.clear();
    }
    Cur.push_back(llvm::toLower(C));
  }
  if (!Cur.empty())
    Out.push_back(Cur);
  return Out;
}

const Expr *bareExpr(const Expr *E) {
  while (E) {
    const Expr *Next = E->IgnoreImplicit()->IgnoreParens();
    if (Next == E)
      return E;
    E = Next;
  }
  return E;
}

} // namespace clang::tidy::threadleak
