//===--- Workers.cpp ------------------------------------------------------===//

#include "Workers.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <memory>
#include <pthread.h>
#include <csignal>
#include <cstring>
#include <map>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace threadleak {

namespace {

bool readOutcome(llvm::StringRef Path, TUOutcome &O) {
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  if (!Buf)
    return false;
  llvm::Expected<llvm::json::Value> V = parseJSONInput((*Buf)->getBuffer());
  if (!V) {
    llvm::consumeError(V.takeError());
    return false;
  }
  return fromJSON(*V, O);
}

constexpr size_t WorkerStackBytes = size_t(1) << 30;

/// Runs \p Fn on a thread with a WorkerStackBytes stack (address space
/// reserved, pages used as touched); where such a thread cannot be made
/// (a tight `ulimit -v`), on this one.
void runWithLargeStack(const std::function<void()> &Fn) {
  pthread_attr_t Attr;
  pthread_t Thread;
  bool Started = pthread_attr_init(&Attr) == 0 &&
                 pthread_attr_setstacksize(&Attr, WorkerStackBytes) == 0 &&
                 pthread_create(
                     &Thread, &Attr,
                     [](void *Arg) -> void * {
                       (*static_cast<const std::function<void()> *>(Arg))();
                       return nullptr;
                     },
                     const_cast<std::function<void()> *>(&Fn)) == 0;
  pthread_attr_destroy(&Attr);
  if (Started)
    pthread_join(Thread, nullptr);
  else
    Fn();
}

struct Child {
  size_t Index;
  std::string ResultPath;
  std::chrono::steady_clock::time_point Start;
  bool Killed = false;
  unsigned Slot = 0;
};

/// The workers' temporary directory is removed however the run ends: an
/// interrupting signal (SIGINT, SIGTERM, SIGHUP) removes the result files
/// of the running workers and the directory, then goes on to the handler
/// that was there before (LLVM's, which ends the process). A signal handler
/// may not allocate: the paths live in fixed storage, the running workers'
/// input indices in atomic slots.
namespace cleanup {
const int Signals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction Previous[3];
bool Installed[3];
char Dir[4096];
std::unique_ptr<std::atomic<long>[]> Slots;
unsigned NumSlots = 0;

/// Appends decimal \p N to \p Out (async-signal-safe).
char *appendNumber(char *Out, unsigned long N) {
  char Digits[24];
  int Len = 0;
  do
    Digits[Len++] = char('0' + N % 10);
  while ((N /= 10) != 0);
  while (Len > 0)
    *Out++ = Digits[--Len];
  return Out;
}

void removeAll() {
  size_t DirLen = strlen(Dir);
  if (DirLen == 0)
    return;
  for (unsigned I = 0; I < NumSlots; ++I) {
    long Index = Slots[I].load();
    if (Index < 0)
      continue;
    char Path[sizeof(Dir) + 32];
    memcpy(Path, Dir, DirLen);
    char *End = appendNumber(Path + DirLen + 1, (unsigned long)Index);
    Path[DirLen] = '/';
    memcpy(End, ".json", 6);
    unlink(Path);
  }
  rmdir(Dir);
}

void handler(int Sig) {
  removeAll();
  Dir[0] = 0;
  // The previous handler (LLVM's: remove its temporary files, then die of
  // the signal) runs when this one returns.
  for (unsigned I = 0; I < 3; ++I)
    if (Signals[I] == Sig && Installed[I])
      sigaction(Sig, &Previous[I], nullptr);
  raise(Sig);
}

void install(llvm::StringRef Directory, unsigned Jobs) {
  NumSlots = Jobs;
  Slots.reset(new std::atomic<long>[Jobs]);
  for (unsigned I = 0; I < Jobs; ++I)
    Slots[I] = -1;
  size_t Len = std::min(Directory.size(), sizeof(Dir) - 1);
  memcpy(Dir, Directory.data(), Len);
  Dir[Len] = 0;
  for (unsigned I = 0; I < 3; ++I) {
    struct sigaction Current;
    Installed[I] = false;
    // An ignored signal (a background job's SIGINT) stays ignored.
    if (sigaction(Signals[I], nullptr, &Current) != 0 || Current.sa_handler == SIG_IGN)
      continue;
    struct sigaction Mine;
    memset(&Mine, 0, sizeof(Mine));
    Mine.sa_handler = handler;
    sigemptyset(&Mine.sa_mask);
    Installed[I] = sigaction(Signals[I], &Mine, &Previous[I]) == 0;
  }
}

/// Back to the handlers from before install(); in a worker, right after the
/// fork (a worker's signal must not remove the directory).
void uninstall() {
  for (unsigned I = 0; I < 3; ++I)
    if (Installed[I])
      sigaction(Signals[I], &Previous[I], nullptr);
  Dir[0] = 0;
}
} // namespace cleanup

} // namespace

llvm::json::Value toJSON(const TUOutcome &O) {
  llvm::json::Array Findings;
  for (const Finding &F : O.Findings) {
    llvm::json::Value V = threadleak::toJSON(F, "");
    addTransportFields(F, *V.getAsObject());
    Findings.push_back(std::move(V));
  }
  llvm::json::Array Deps;
  for (const std::string &D : O.Dependencies)
    Deps.push_back(D);
  llvm::json::Object Summaries;
  for (const auto &[Id, Text] : O.Summaries)
    Summaries[Id] = Text;
  llvm::json::Array Asked, Wanted;
  for (const std::string &Id : O.Asked)
    Asked.push_back(Id);
  for (const std::string &Id : O.Wanted)
    Wanted.push_back(Id);
  return llvm::json::Object{{"status", int(O.Status)},
                            {"detail", O.Detail},
                            {"seconds", O.Seconds},
                            {"nolint", O.SuppressedByNolint},
                            {"findings", std::move(Findings)},
                            {"dependencies", std::move(Deps)},
                            {"summaries", std::move(Summaries)},
                            {"asked", std::move(Asked)},
                            {"wanted", std::move(Wanted)}};
}

bool fromJSON(const llvm::json::Value &V, TUOutcome &O) {
  const llvm::json::Object *Obj = V.getAsObject();
  if (!Obj)
    return false;
  auto Status = Obj->getInteger("status");
  auto Detail = Obj->getString("detail");
  auto Seconds = Obj->getNumber("seconds");
  const llvm::json::Array *Findings = Obj->getArray("findings");
  const llvm::json::Array *Deps = Obj->getArray("dependencies");
  if (!Status || !Detail || !Seconds || !Findings || !Deps ||
      *Status < TUOutcome::Analysed || *Status > TUOutcome::NotRun)
    return false;
  O.Status = TUOutcome::StatusTy(*Status);
  O.Detail = Detail->str();
  O.Seconds = *Seconds;
  O.SuppressedByNolint = unsigned(Obj->getInteger("nolint").value_or(0));
  llvm::json::Path::Root Root;
  for (const llvm::json::Value &FV : *Findings) {
    Finding F;
    if (!threadleak::fromJSON(FV, F, Root) ||
        !readTransportFields(*FV.getAsObject(), F))
      return false;
    O.Findings.push_back(std::move(F));
  }
  for (const llvm::json::Value &D : *Deps) {
    auto S = D.getAsString();
    if (!S)
      return false;
    O.Dependencies.push_back(S->str());
  }
  const llvm::json::Object *Summaries = Obj->getObject("summaries");
  const llvm::json::Array *Asked = Obj->getArray("asked");
  const llvm::json::Array *Wanted = Obj->getArray("wanted");
  if (!Summaries || !Asked || !Wanted)
    return false;
  for (const auto &[Id, Text] : *Summaries) {
    auto S = Text.getAsString();
    if (!S)
      return false;
    O.Summaries[Id.str()] = S->str();
  }
  for (const llvm::json::Value &A : *Asked) {
    auto S = A.getAsString();
    if (!S)
      return false;
    O.Asked.push_back(S->str());
  }
  for (const llvm::json::Value &A : *Wanted) {
    auto S = A.getAsString();
    if (!S)
      return false;
    O.Wanted.push_back(S->str());
  }
  return true;
}

void runIsolated(const std::vector<std::string> &Inputs, unsigned Jobs,
                 unsigned TimeoutSeconds,
                 const std::function<TUOutcome(const std::string &)> &Analyze,
                 const std::function<void(size_t, TUOutcome)> &OnDone) {
  llvm::SmallString<128> Dir;
  if (std::error_code EC =
          llvm::sys::fs::createUniqueDirectory("threadleak", Dir)) {
    for (size_t I = 0; I < Inputs.size(); ++I) {
      TUOutcome O;
      O.File = Inputs[I];
      O.Status = TUOutcome::NotRun;
      O.Detail = "cannot create a temporary directory: " + EC.message();
      OnDone(I, std::move(O));
    }
    return;
  }

  cleanup::install(Dir, Jobs);
  std::map<pid_t, Child> Running;
  size_t Next = 0;
  // Whatever is buffered must not be written twice, by parent and child.
  llvm::outs().flush();
  llvm::errs().flush();

  auto Finish = [&](pid_t Pid, int WaitStatus) {
    Child C = Running[Pid];
    Running.erase(Pid);
    TUOutcome O;
    O.File = Inputs[C.Index];
    O.Seconds = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - C.Start)
                    .count();
    if (C.Killed) {
      O.Status = TUOutcome::TimedOut;
      O.Detail = "exceeded --tu-timeout=" + std::to_string(TimeoutSeconds) + "s";
    } else if (WIFSIGNALED(WaitStatus)) {
      O.Status = TUOutcome::Crashed;
      O.Detail = "the analysis crashed (signal " +
                 std::to_string(WTERMSIG(WaitStatus)) + ": " +
                 strsignal(WTERMSIG(WaitStatus)) + ")";
    } else if (!WIFEXITED(WaitStatus) || WEXITSTATUS(WaitStatus) != 0 ||
               !readOutcome(C.ResultPath, O)) {
      O.Status = TUOutcome::Crashed;
      O.Detail = "the analysis ended without a result";
    }
    O.File = Inputs[C.Index];
    llvm::sys::fs::remove(C.ResultPath);
    cleanup::Slots[C.Slot] = -1;
    OnDone(C.Index, std::move(O));
  };

  while (Next < Inputs.size() || !Running.empty()) {
    while (Running.size() < Jobs && Next < Inputs.size()) {
      size_t I = Next++;
      std::string ResultPath = (Dir + "/" + llvm::Twine(I) + ".json").str();
      unsigned Slot = 0;
      while (cleanup::Slots[Slot] >= 0)
        ++Slot; // Fewer than Jobs are running: one is free.
      cleanup::Slots[Slot] = long(I);
      pid_t Parent = getpid();
      pid_t Pid = fork();
      if (Pid == 0) {
        cleanup::uninstall();
        // Die with the parent: a killed run leaves no orphaned workers.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != Parent)
          _exit(3);
        // Child. Its stderr stays the user's: a crash's stack trace is what
        // a bug report needs, but unsymbolized: running llvm-symbolizer
        // from the crash handler can take longer than --tu-timeout, and the
        // crash would pass for a timeout.
        setenv("LLVM_DISABLE_SYMBOLIZATION", "1", 1);
        // Never the user's stdin: a compile command that makes clang read
        // the source from stdin must not wait for it (nor eat it).
        int Null = open("/dev/null", O_RDONLY);
        if (Null >= 0) {
          dup2(Null, STDIN_FILENO);
          if (Null != STDIN_FILENO)
            close(Null);
        }
        // On a thread with a large stack (reserved, not committed): valid
        // code may nest deeply (a 50,000-term expression), and clang's and
        // the checks' recursive walks take a few hundred bytes per level.
        TUOutcome O;
        runWithLargeStack([&] { O = Analyze(Inputs[I]); });
        std::error_code EC;
        llvm::raw_fd_ostream OS(ResultPath, EC);
        if (EC)
          _exit(3);
        OS << toJSON(O);
        OS.close();
        _exit(OS.has_error() ? 3 : 0);
      }
      if (Pid < 0) {
        cleanup::Slots[Slot] = -1;
        TUOutcome O;
        O.File = Inputs[I];
        O.Status = TUOutcome::NotRun;
        O.Detail = std::string("cannot start a worker: ") + strerror(errno);
        OnDone(I, std::move(O));
        continue;
      }
      Running[Pid] = Child{I, ResultPath, std::chrono::steady_clock::now(), false, Slot};
    }

    int WaitStatus = 0;
    pid_t Pid = waitpid(-1, &WaitStatus, TimeoutSeconds ? WNOHANG : 0);
    if (Pid > 0 && Running.count(Pid)) {
      Finish(Pid, WaitStatus);
      continue;
    }
    if (Pid < 0 && errno == EINTR)
      continue; // A signal we survive: keep waiting.
    if (Pid < 0)
      break; // No children left that we know of.
    if (!TimeoutSeconds)
      continue;
    // Polling for timeouts.
    auto Now = std::chrono::steady_clock::now();
    for (auto &[P, C] : Running)
      if (!C.Killed && Now - C.Start > std::chrono::seconds(TimeoutSeconds)) {
        kill(P, SIGKILL);
        C.Killed = true;
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cleanup::uninstall();
  llvm::sys::fs::remove(Dir);
}

} // namespace threadleak
