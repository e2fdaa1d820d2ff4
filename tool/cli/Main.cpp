//===--- Main.cpp - the threadleak command-line tool ----------------------===//
//
//   threadleak -p <build-dir> [options] [files...]
//   threadleak [options] <files...> -- <compiler flags>
//
// Runs threadleak's checks over a compilation database, in parallel, and
// prints clang-style diagnostics in a deterministic order.
//
// Exit status: 0 no findings, 1 findings, 2 tool or input error, 3 some
// translation unit failed to compile (findings in the others are reported).
//
//===----------------------------------------------------------------------===//

#include "Runner.h"
#include "TextOutput.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang-tidy/GlobList.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/JSONCompilationDatabase.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "clang/Basic/Version.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <tuple>
#include <thread>

using namespace clang;
using namespace clang::tidy;
namespace cl = llvm::cl;

extern volatile int ThreadLeakModuleAnchorSource;

namespace {

enum ExitCode { ExitClean = 0, ExitFindings = 1, ExitError = 2, ExitTUFailed = 3 };

cl::OptionCategory Category("threadleak options");

cl::opt<std::string> BuildPath("p", cl::desc("Build directory containing compile_commands.json"),
                               cl::value_desc("build-dir"), cl::cat(Category));
cl::list<std::string> Files(cl::Positional, cl::desc("[<file>...]"), cl::cat(Category));
cl::opt<std::string> Checks(
    "checks",
    cl::desc("Comma-separated globs of checks to enable or (with '-') disable,\n"
             "applied after the default 'threadleak-*' as in clang-tidy"),
    cl::init(""), cl::cat(Category));
cl::opt<std::string> ConfigFile(
    "config-file",
    cl::desc("Read CheckOptions and Checks from this clang-tidy-format YAML file\n"
             "instead of the .clang-tidy files next to the sources"),
    cl::value_desc("path"), cl::init(""), cl::cat(Category));
cl::opt<std::string> Config("config",
                            cl::desc("Inline clang-tidy-format YAML configuration"),
                            cl::init(""), cl::cat(Category));
cl::opt<std::string> HeaderFilter(
    "header-filter",
    cl::desc("Regex of header paths whose findings are shown (default: all\n"
             "non-system headers)"),
    cl::init(".*"), cl::cat(Category));
cl::opt<std::string> Jobs("j", cl::desc("Translation units analysed in parallel (default: cores)"),
                          cl::value_desc("N"), cl::init(""), cl::Prefix, cl::cat(Category));
cl::list<std::string> ExtraArgs("extra-arg",
                                cl::desc("Append an argument to each compile command"),
                                cl::cat(Category));
cl::list<std::string> ExtraArgsBefore("extra-arg-before",
                                      cl::desc("Prepend an argument to each compile command"),
                                      cl::cat(Category));
cl::opt<bool> ListChecks("list-checks", cl::desc("List the enabled checks and exit"),
                         cl::cat(Category));
cl::opt<bool> Quiet("quiet", cl::desc("No progress line and no summary"), cl::cat(Category));

[[noreturn]] void fail(const llvm::Twine &Message) {
  llvm::errs() << "threadleak: error: " << Message << "\n";
  std::exit(ExitError);
}

std::string absolutePath(llvm::StringRef Path) {
  llvm::SmallString<256> Abs(Path);
  llvm::sys::fs::make_absolute(Abs);
  llvm::sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  return std::string(Abs);
}

std::unique_ptr<tooling::CompilationDatabase> loadDatabase(llvm::StringRef Dir) {
  llvm::SmallString<256> JsonPath(Dir);
  if (!llvm::sys::fs::is_directory(Dir)) {
    if (llvm::sys::fs::exists(Dir) && llvm::sys::path::filename(Dir) == "compile_commands.json")
      JsonPath = llvm::sys::path::parent_path(Dir);
    else
      fail("build directory '" + Dir + "' does not exist");
  }
  llvm::sys::path::append(JsonPath, "compile_commands.json");
  if (!llvm::sys::fs::exists(JsonPath))
    fail("no compile_commands.json in '" + Dir +
         "' (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)");
  // Validate first: LLVM's loader reports syntax errors on stderr itself, over
  // several lines, without saying which entry is wrong.
  auto Text = llvm::MemoryBuffer::getFile(JsonPath);
  if (!Text)
    fail("cannot read '" + JsonPath + "': " + Text.getError().message());
  llvm::Expected<llvm::json::Value> Json = llvm::json::parse((*Text)->getBuffer());
  if (!Json)
    fail("malformed compilation database '" + JsonPath +
         "': " + llvm::toString(Json.takeError()));
  const llvm::json::Array *Entries = Json->getAsArray();
  if (!Entries)
    fail("malformed compilation database '" + JsonPath + "': expected an array of entries");
  for (size_t I = 0; I < Entries->size(); ++I) {
    const llvm::json::Object *E = (*Entries)[I].getAsObject();
    if (!E || !E->getString("directory") || !E->getString("file") ||
        (!E->getString("command") && !E->getArray("arguments")))
      fail("malformed compilation database '" + JsonPath + "': entry " + llvm::Twine(I) +
           " needs \"directory\", \"file\" and \"command\" or \"arguments\"");
  }
  std::string Error;
  auto DB = tooling::JSONCompilationDatabase::loadFromFile(
      JsonPath, Error, tooling::JSONCommandLineSyntax::AutoDetect);
  if (!DB)
    fail("malformed compilation database '" + JsonPath + "': " + Error);
  return DB;
}

std::optional<ClangTidyOptions> parseConfigText(llvm::StringRef Text, llvm::StringRef Name) {
  auto Buffer = llvm::MemoryBuffer::getMemBuffer(Text, Name);
  std::string Problem;
  llvm::ErrorOr<ClangTidyOptions> Parsed = parseConfigurationWithDiags(
      Buffer->getMemBufferRef(), [&](const llvm::SMDiagnostic &D) {
        if (Problem.empty() && D.getKind() == llvm::SourceMgr::DK_Error)
          Problem = (Name + ":" + llvm::Twine(D.getLineNo()) + ":" +
                     llvm::Twine(D.getColumnNo() + 1) + ": " + D.getMessage())
                        .str();
      });
  if (!Parsed)
    fail("malformed configuration " +
         (Problem.empty() ? (Name + ": " + Parsed.getError().message()).str() : Problem));
  return *Parsed;
}

/// Streams results in input order as workers finish them.
class OrderedResults {
public:
  explicit OrderedResults(size_t N) : Slots(N) {}
  void put(size_t I, threadleak::TUResult R) {
    std::lock_guard<std::mutex> Lock(M);
    Slots[I] = std::move(R);
    CV.notify_all();
  }
  threadleak::TUResult take(size_t I) {
    std::unique_lock<std::mutex> Lock(M);
    CV.wait(Lock, [&] { return Slots[I].has_value(); });
    threadleak::TUResult R = std::move(*Slots[I]);
    Slots[I].reset();
    return R;
  }

private:
  std::mutex M;
  std::condition_variable CV;
  std::vector<std::optional<threadleak::TUResult>> Slots;
};

} // namespace

int main(int argc, const char **argv) {
  llvm::sys::PrintStackTraceOnErrorSignal(argv[0]);
  (void)ThreadLeakModuleAnchorSource;

  // `threadleak file.cpp -- -std=c++20 ...`: a fixed compilation database.
  std::string FixedError;
  std::unique_ptr<tooling::CompilationDatabase> DB =
      tooling::FixedCompilationDatabase::loadFromCommandLine(argc, argv, FixedError);
  if (!FixedError.empty())
    fail(FixedError);

  cl::HideUnrelatedOptions(Category);
  cl::SetVersionPrinter([](llvm::raw_ostream &OS) {
    OS << "threadleak " << THREADLEAK_VERSION << " (clang " << CLANG_VERSION_STRING << ")\n";
  });
  std::string ParseErrors;
  llvm::raw_string_ostream ParseErrorStream(ParseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "threadleak: finds threads that can never finish.\n\n"
          "  threadleak -p <build-dir> [options] [files...]\n"
          "  threadleak [options] <files...> -- <compiler flags>\n\n"
          "Exit status: 0 no findings, 1 findings, 2 tool or input error,\n"
          "3 a translation unit failed to compile.\n",
          &ParseErrorStream)) {
    ParseErrorStream.flush();
    // llvm::cl prefixes its messages with the program name; we add our own.
    llvm::StringRef First = llvm::StringRef(ParseErrors).split('\n').first;
    if (!First.consume_front(std::string(argv[0]) + ": "))
      First.consume_front(llvm::sys::path::filename(argv[0]).str() + ": ");
    fail(First.empty() ? llvm::StringRef("bad command line") : First);
  }

  threadleak::RunConfig Run;
  Run.Defaults = ClangTidyOptions::getDefaults();
  Run.Defaults.Checks = "-*,threadleak-*";
  Run.Defaults.HeaderFilterRegex = ".*";
  Run.Defaults.SystemHeaders = false;
  if (Checks.getNumOccurrences())
    Run.Overrides.Checks = Checks;
  if (HeaderFilter.getNumOccurrences())
    Run.Overrides.HeaderFilterRegex = HeaderFilter;
  if (!ExtraArgs.empty())
    Run.Overrides.ExtraArgs = std::vector<std::string>(ExtraArgs.begin(), ExtraArgs.end());
  if (!ExtraArgsBefore.empty())
    Run.Overrides.ExtraArgsBefore =
        std::vector<std::string>(ExtraArgsBefore.begin(), ExtraArgsBefore.end());
  if (!ConfigFile.empty() && !Config.empty())
    fail("--config and --config-file are mutually exclusive");
  if (!ConfigFile.empty()) {
    auto Text = llvm::MemoryBuffer::getFile(ConfigFile);
    if (!Text)
      fail("cannot read configuration file '" + ConfigFile + "': " + Text.getError().message());
    Run.ConfigOptions = parseConfigText((*Text)->getBuffer(), ConfigFile);
  } else if (!Config.empty()) {
    Run.ConfigOptions = parseConfigText(Config, "--config");
  }
  Run.ResourceDir = threadleak::findResourceDir(argv[0]);

  // Validate --checks: every positive glob must name a threadleak check.
  {
    ClangTidyCheckFactories Factories;
    for (const auto &Module : ClangTidyModuleRegistry::entries())
      Module.instantiate()->addCheckFactories(Factories);
    std::string Effective = "-*,threadleak-*";
    if (Run.ConfigOptions && Run.ConfigOptions->Checks)
      Effective += "," + *Run.ConfigOptions->Checks;
    if (Run.Overrides.Checks)
      Effective += "," + *Run.Overrides.Checks;
    llvm::StringRef Rest = Checks;
    while (!Rest.empty()) {
      auto [Glob, Tail] = Rest.split(',');
      Rest = Tail;
      Glob = Glob.trim();
      if (Glob.empty() || Glob.starts_with("-"))
        continue;
      GlobList One(Glob);
      bool Any = false;
      for (const auto &F : Factories)
        Any |= One.contains(F.getKey());
      if (!Any)
        fail("unknown check '" + Glob + "' in --checks (see --list-checks)");
    }
    if (ListChecks) {
      GlobList Enabled(Effective);
      std::vector<std::string> Names;
      for (const auto &F : Factories)
        if (Enabled.contains(F.getKey()))
          Names.push_back(F.getKey().str());
      std::sort(Names.begin(), Names.end());
      llvm::outs() << "Enabled checks:\n";
      for (const std::string &N : Names)
        llvm::outs() << "    " << N << "\n";
      return ExitClean;
    }
  }

  if (!DB) {
    if (BuildPath.empty()) {
      // Like clang-tidy: look for a database above the first file.
      if (Files.empty())
        fail("no compilation database: pass -p <build-dir>, or files followed by -- <flags>");
      std::string Error;
      DB = tooling::CompilationDatabase::autoDetectFromSource(absolutePath(Files.front()), Error);
      if (!DB)
        fail("no compilation database found above '" + Files.front() + "'; pass -p <build-dir>");
    } else {
      DB = loadDatabase(BuildPath);
    }
  }

  // The files to analyse: the named ones, or every file of the database.
  std::vector<std::string> Inputs;
  if (Files.empty()) {
    for (const std::string &F : DB->getAllFiles())
      Inputs.push_back(absolutePath(F));
    std::sort(Inputs.begin(), Inputs.end());
    Inputs.erase(std::unique(Inputs.begin(), Inputs.end()), Inputs.end());
    if (Inputs.empty())
      fail("the compilation database has no files");
  } else {
    llvm::StringSet<> Seen;
    for (const std::string &F : Files) {
      std::string Abs = absolutePath(F);
      if (!llvm::sys::fs::exists(Abs))
        fail("no such file: '" + F + "'");
      if (DB->getCompileCommands(Abs).empty())
        fail("'" + F + "' is not in the compilation database");
      if (Seen.insert(Abs).second)
        Inputs.push_back(Abs);
    }
  }

  unsigned NumJobs = std::max(1u, std::thread::hardware_concurrency());
  if (!Jobs.empty() && (llvm::StringRef(Jobs).getAsInteger(10, NumJobs) || NumJobs == 0))
    fail("-j expects a positive number of jobs, not '" + Jobs + "'");
  NumJobs = std::min<unsigned>(NumJobs, Inputs.size());
  bool Progress = !Quiet && llvm::sys::Process::StandardErrIsDisplayed();

  auto Start = std::chrono::steady_clock::now();
  OrderedResults Results(Inputs.size());
  std::atomic<size_t> Next{0};
  std::vector<std::thread> Workers;
  for (unsigned W = 0; W < NumJobs; ++W)
    Workers.emplace_back([&] {
      for (size_t I = Next++; I < Inputs.size(); I = Next++)
        Results.put(I, threadleak::analyzeTranslationUnit(Inputs[I], *DB, Run));
    });

  // Findings are collected, de-duplicated (a header's finding is seen by every
  // TU that includes it) and printed sorted by location, so the output is a
  // function of the findings alone, whatever -j and the database's order.
  struct Finding {
    std::string Path;
    unsigned Offset;
    ClangTidyError Error;
  };
  std::vector<Finding> All;
  std::set<std::string> Seen;
  std::set<std::string> ConfigErrors;
  unsigned Findings = 0, Failed = 0;
  for (size_t I = 0; I < Inputs.size(); ++I) {
    if (Progress)
      llvm::errs() << "\r\033[K[" << (I + 1) << "/" << Inputs.size() << "] " << Inputs[I];
    threadleak::TUResult R = Results.take(I);
    if (Progress)
      llvm::errs() << "\r\033[K";
    if (!R.ToolError.empty()) {
      llvm::errs() << "threadleak: error: " << R.File << ": " << R.ToolError << "\n";
      ++Failed;
      continue;
    }
    if (R.CompileFailed) {
      ++Failed;
      llvm::errs() << "threadleak: error: " << R.File
                   << ": failed to compile; its findings may be incomplete\n";
    }
    for (ClangTidyError &E : R.Diagnostics) {
      // A bad option value: the run cannot be trusted. Reported once, at the
      // end, as an error.
      if (E.DiagnosticName == "clang-tidy-config") {
        ConfigErrors.insert(E.Message.Message);
        continue;
      }
      std::string Path = threadleak::diagnosticPath(E.Message.FilePath, E.BuildDirectory);
      std::string Key = Path + ":" + std::to_string(E.Message.FileOffset) + ":" +
                        E.DiagnosticName + ":" + E.Message.Message;
      if (!Seen.insert(Key).second)
        continue;
      if (!llvm::StringRef(E.DiagnosticName).starts_with("clang-diagnostic-"))
        ++Findings;
      All.push_back({std::move(Path), E.Message.FileOffset, std::move(E)});
    }
  }
  std::stable_sort(All.begin(), All.end(), [](const Finding &A, const Finding &B) {
    return std::tie(A.Path, A.Offset, A.Error.DiagnosticName, A.Error.Message.Message) <
           std::tie(B.Path, B.Offset, B.Error.DiagnosticName, B.Error.Message.Message);
  });
  threadleak::TextPrinter Printer(llvm::outs());
  for (const Finding &F : All)
    Printer.print(F.Error);
  llvm::outs().flush();
  for (std::thread &T : Workers)
    T.join();

  double Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start).count();
  if (!Quiet) {
    llvm::errs() << "threadleak: " << Findings << (Findings == 1 ? " finding" : " findings")
                 << " in " << Inputs.size()
                 << (Inputs.size() == 1 ? " translation unit" : " translation units");
    if (Failed)
      llvm::errs() << " (" << Failed << " failed to compile)";
    llvm::errs() << " in " << llvm::format("%.2f", Seconds) << "s\n";
  }
  for (const std::string &Message : ConfigErrors)
    llvm::errs() << "threadleak: error: " << Message << "\n";
  if (!ConfigErrors.empty())
    return ExitError;
  if (Failed)
    return ExitTUFailed;
  return Findings ? ExitFindings : ExitClean;
}
