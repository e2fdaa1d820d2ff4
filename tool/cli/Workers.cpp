//===--- Workers.cpp ------------------------------------------------------===//

#include "Workers.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <chrono>
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
  llvm::Expected<llvm::json::Value> V = llvm::json::parse((*Buf)->getBuffer());
  if (!V) {
    llvm::consumeError(V.takeError());
    return false;
  }
  return fromJSON(*V, O);
}

struct Child {
  size_t Index;
  std::string ResultPath;
  std::chrono::steady_clock::time_point Start;
  bool Killed = false;
};

} // namespace

llvm::json::Value toJSON(const TUOutcome &O) {
  llvm::json::Array Findings;
  for (const Finding &F : O.Findings)
    Findings.push_back(threadleak::toJSON(F, ""));
  llvm::json::Array Deps;
  for (const std::string &D : O.Dependencies)
    Deps.push_back(D);
  return llvm::json::Object{{"status", int(O.Status)},
                            {"detail", O.Detail},
                            {"seconds", O.Seconds},
                            {"findings", std::move(Findings)},
                            {"dependencies", std::move(Deps)}};
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
  if (!Status || !Detail || !Seconds || !Findings || !Deps)
    return false;
  O.Status = TUOutcome::StatusTy(*Status);
  O.Detail = Detail->str();
  O.Seconds = *Seconds;
  llvm::json::Path::Root Root;
  for (const llvm::json::Value &FV : *Findings) {
    Finding F;
    if (!threadleak::fromJSON(FV, F, Root))
      return false;
    O.Findings.push_back(std::move(F));
  }
  for (const llvm::json::Value &D : *Deps) {
    auto S = D.getAsString();
    if (!S)
      return false;
    O.Dependencies.push_back(S->str());
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
    OnDone(C.Index, std::move(O));
  };

  while (Next < Inputs.size() || !Running.empty()) {
    while (Running.size() < Jobs && Next < Inputs.size()) {
      size_t I = Next++;
      std::string ResultPath = (Dir + "/" + llvm::Twine(I) + ".json").str();
      pid_t Parent = getpid();
      pid_t Pid = fork();
      if (Pid == 0) {
        // Die with the parent: a killed run leaves no orphaned workers.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != Parent)
          _exit(3);
        // Child. Its stderr stays the user's: a crash's stack trace is what
        // a bug report needs.
        TUOutcome O = Analyze(Inputs[I]);
        std::error_code EC;
        llvm::raw_fd_ostream OS(ResultPath, EC);
        if (EC)
          _exit(3);
        OS << toJSON(O);
        OS.close();
        _exit(OS.has_error() ? 3 : 0);
      }
      if (Pid < 0) {
        TUOutcome O;
        O.File = Inputs[I];
        O.Status = TUOutcome::NotRun;
        O.Detail = std::string("cannot start a worker: ") + strerror(errno);
        OnDone(I, std::move(O));
        continue;
      }
      Running[Pid] = Child{I, ResultPath, std::chrono::steady_clock::now()};
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
  llvm::sys::fs::remove(Dir);
}

} // namespace threadleak
