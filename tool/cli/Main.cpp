//===--- Main.cpp - the threadleak command-line tool ----------------------===//
//
//   threadleak -p <build-dir> [options] [files...]
//   threadleak [options] <files...> -- <compiler flags>
//   threadleak --merge [options] <report.json...>
//
// Runs threadleak's checks over a compilation database, each translation
// unit in its own worker process, and reports the findings as text, JSON or
// SARIF, sorted by location, whatever the parallelism.
//
// Exit status: 0 no findings (after baseline and filters), 1 findings, 2 tool
// or input error, 3 some translation unit failed (did not compile, crashed,
// timed out); findings in the others are still reported. After --fix, the
// findings are those it did not fix; with --fail-on=none, only findings of
// --warnings-as-errors checks give 1.
//
//===----------------------------------------------------------------------===//

#include "Cache.h"
#include "Compat.h"
#include "Database.h"
#include "Filters.h"
#include "Findings.h"
#include "Fixes.h"
#include "Reports.h"
#include "Runner.h"
#include "Workers.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang-tidy/GlobList.h"
#include "clang/Basic/Version.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/JSONCompilationDatabase.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <chrono>
#include <map>
#include <set>
#include <thread>

using namespace clang;
using namespace clang::tidy;
namespace cl = llvm::cl;

extern volatile int ThreadLeakModuleAnchorSource;

namespace {

enum ExitCode { ExitClean = 0, ExitFindings = 1, ExitError = 2, ExitTUFailed = 3 };

cl::OptionCategory Category("threadleak options");
cl::OptionCategory OutputCategory("Output and CI options");

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
cl::opt<std::string> ExcludeHeaderFilter(
    "exclude-header-filter",
    cl::desc("Regex of header paths whose findings are not shown"), cl::init(""),
    cl::cat(Category));
cl::opt<std::string> Jobs("j", cl::desc("Translation units analysed in parallel (default: cores)"),
                          cl::value_desc("N"), cl::init(""), cl::Prefix, cl::cat(Category));
cl::opt<std::string> TUTimeout("tu-timeout",
                               cl::desc("Give up on a translation unit after this many seconds\n"
                                        "(0: never); it is reported as failed"),
                               cl::value_desc("seconds"), cl::init("0"), cl::cat(Category));
cl::list<std::string> ExtraArgs("extra-arg",
                                cl::desc("Append an argument to each compile command"),
                                cl::cat(Category));
cl::list<std::string> ExtraArgsBefore("extra-arg-before",
                                      cl::desc("Prepend an argument to each compile command"),
                                      cl::cat(Category));
cl::opt<bool> ListChecks("list-checks", cl::desc("List the enabled checks and exit"),
                         cl::cat(Category));
cl::opt<bool> DumpModel(
    "dump-model",
    cl::desc("Print, per file, the model threadleak-blocked-forever works on (code units "
             "with their lock events, channel and wait operations, calls and returns, the "
             "locks held at each; function-object targets; objects and their names), then "
             "its findings. Runs that check only, one file at a time, without the cache"),
    cl::cat(Category));
cl::opt<bool> DumpConfig("dump-config",
                         cl::desc("Print the effective configuration (for the first file) and exit"),
                         cl::cat(Category));
cl::opt<bool> Quiet("quiet",
                    cl::desc("No progress lines, no help lines after findings and no summary"),
                    cl::cat(Category));
cl::opt<std::string> WarningsAsErrors(
    "warnings-as-errors",
    cl::desc("Comma-separated globs of checks whose findings are errors, as in\n"
             "clang-tidy: printed as errors, and they fail the run even with\n"
             "--fail-on=none"),
    cl::init(""), cl::cat(Category));
cl::opt<bool> SystemHeaders("system-headers",
                            cl::desc("Also report findings in system headers"),
                            cl::cat(Category));
cl::list<std::string> RemovedArgs(
    "removed-arg",
    cl::desc("Remove an argument from each compile command (all its occurrences;\n"
             "may be given several times)"),
    cl::cat(Category));
cl::opt<std::string> Explain("explain",
                             cl::desc("Print the documentation page of a check and exit"),
                             cl::value_desc("check"), cl::init(""), cl::cat(Category));
cl::opt<bool> Fix("fix",
                  cl::desc("Apply the reported findings' fix-its in place, as clang-tidy\n"
                           "--fix does (not after a translation unit failed)"),
                  cl::cat(Category));
cl::opt<std::string> ExportFixes(
    "export-fixes",
    cl::desc("Write the reported findings and their fix-its to this file as YAML,\n"
             "as clang-tidy --export-fixes does, for clang-apply-replacements"),
    cl::value_desc("filename"), cl::init(""), cl::cat(Category));
cl::opt<bool> UseColor("use-color",
                       cl::desc("Colour the text output (default: when stdout is a terminal;\n"
                                "--use-color=false never)"),
                       cl::cat(OutputCategory));

cl::opt<std::string> Format("format", cl::desc("Output format: text (default), json or sarif"),
                            cl::value_desc("text|json|sarif"), cl::init("text"),
                            cl::cat(OutputCategory));
cl::opt<std::string> OutputFile("o",
                                cl::desc("Write the report to this file (whole or not at all)"),
                                cl::value_desc("file"), cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> ProjectRoot(
    "project-root",
    cl::desc("Report paths relative to this directory (default: the git top\n"
             "level above the current directory, else the current directory)"),
    cl::value_desc("dir"), cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> AutomationId("sarif-automation-id",
                                  cl::desc("SARIF automationDetails.id, to upload several runs"),
                                  cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> SarifCategory(
    "sarif-category",
    cl::desc("GitHub code scanning category of the SARIF report: its one run's\n"
             "automationDetails.id is '<category>/' ('<category>/shard-K-of-N/'\n"
             "with --shard=K/N). None by default: upload-sarif's category applies"),
    cl::value_desc("category"), cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> BaselineFile("baseline",
                                  cl::desc("Report only findings that are not in this baseline"),
                                  cl::value_desc("file"), cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> WriteBaseline("write-baseline",
                                   cl::desc("Record the current findings as a baseline"),
                                   cl::value_desc("file"), cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> LineFilterText(
    "line-filter",
    cl::desc("Report only findings on these lines, in clang-tidy's format:\n"
             "[{\"name\":\"file.cpp\",\"lines\":[[1,3],[5,7]]},...]"),
    cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> DiffFile("diff",
                              cl::desc("Report only findings on lines a unified diff adds or\n"
                                       "changes ('-' reads it from stdin; git diff -U0)"),
                              cl::value_desc("file|-"), cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> FailOn("fail-on",
                            cl::desc("findings (default): exit 1 on findings, 3 on failed TUs;\n"
                                     "none: report, exit 0 unless the tool itself fails"),
                            cl::init("findings"), cl::cat(OutputCategory));
cl::opt<std::string> Shard("shard",
                           cl::desc("Analyse only the K-th of N deterministic slices of the files"),
                           cl::value_desc("K/N"), cl::init(""), cl::cat(OutputCategory));
cl::opt<std::string> CacheDir(
    "cache-dir",
    cl::desc("Reuse findings of unchanged translation units from this directory\n"
             "(default: $THREADLEAK_CACHE_DIR, else $XDG_CACHE_HOME/threadleak\n"
             "or ~/.cache/threadleak)"),
    cl::value_desc("dir"), cl::init(""), cl::cat(OutputCategory));
cl::opt<bool> NoCache("no-cache",
                      cl::desc("Analyse every translation unit, reuse and store nothing\n"
                               "(also: THREADLEAK_NO_CACHE=1, unless --cache-dir is given)"),
                      cl::cat(OutputCategory));
cl::opt<bool> CrossTU(
    "cross-tu",
    cl::desc("Second pass with the summaries of functions other translation units\n"
             "define (on by default when the whole database is analysed; with\n"
             "files named or --shard, among those files and the other files'\n"
             "summaries found in the findings cache)"),
    cl::cat(Category));
cl::opt<bool> NoCrossTU("no-cross-tu",
                        cl::desc("Each translation unit on its own: no cross-TU pass"),
                        cl::cat(Category));
cl::opt<bool> Merge("merge",
                    cl::desc("Merge JSON reports (threadleak --format=json, e.g. from shards)\n"
                             "named as positional arguments into one report"),
                    cl::cat(OutputCategory));

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
    else if (llvm::sys::fs::exists(Dir))
      fail("build directory '" + Dir + "' is not a directory");
    else
      fail("build directory '" + Dir + "' does not exist");
  }
  if (JsonPath.empty())
    JsonPath = ".";
  llvm::sys::path::append(JsonPath, "compile_commands.json");
  if (!llvm::sys::fs::exists(JsonPath))
    fail("no compile_commands.json in '" + Dir +
         "' (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)");
  // Validate first: LLVM's loader reports syntax errors on stderr itself, over
  // several lines, without saying which entry is wrong.
  auto Text = threadleak::readInputFile(JsonPath);
  if (!Text)
    fail("cannot read '" + JsonPath + "': " + threadleak::inputFileError(Text.getError()));
  auto DB = threadleak::parseCompilationDatabase((*Text)->getBuffer());
  if (!DB)
    fail("malformed compilation database '" + JsonPath + "': " + llvm::toString(DB.takeError()));
  // @file.rsp arguments, expanded as clang-tidy does.
  return tooling::expandResponseFiles(std::move(*DB), llvm::vfs::getRealFileSystem());
}

/// The compile commands must be runnable: a "directory" that does not exist
/// (LLVM would stop the worker with "Cannot chdir"), or a command that does
/// not start with the compiler (clang would take the flag for the program
/// and read the source from stdin) is an input error.
void validateCommands(const tooling::CompilationDatabase &DB,
                      const std::vector<std::string> &Inputs) {
  for (const std::string &File : Inputs)
    for (const tooling::CompileCommand &C : DB.getCompileCommands(File)) {
      if (!llvm::sys::fs::is_directory(C.Directory))
        fail("the compile command of '" + File + "' runs in '" + C.Directory +
             "', which is not a directory");
      if (C.CommandLine.empty())
        fail("the compile command of '" + File + "' is empty");
      if (llvm::StringRef(C.CommandLine.front()).starts_with("-"))
        fail("the compile command of '" + File + "' starts with '" + C.CommandLine.front() +
             "', not with a compiler");
    }
}

/// YAML nested too deeply for the parser's recursion is an input error.
void checkConfigNesting(llvm::StringRef Text, llvm::StringRef Name) {
  if (auto Deep = threadleak::findExcessiveNesting(Text))
    fail("malformed configuration " + Name + ":" + llvm::Twine(Deep->first) + ":" +
         llvm::Twine(Deep->second) + ": " + threadleak::nestingMessage());
}

ClangTidyOptions parseConfigText(llvm::StringRef Text, llvm::StringRef Name) {
  checkConfigNesting(Text, Name);
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

/// The git top level above the current directory, else the directory.
std::string defaultProjectRoot() {
  llvm::SmallString<256> Dir;
  llvm::sys::fs::current_path(Dir);
  for (llvm::StringRef D = Dir; !D.empty(); D = llvm::sys::path::parent_path(D))
    if (llvm::sys::fs::exists(D + "/.git"))
      return D.str();
  return std::string(Dir);
}

ClangTidyCheckFactories allFactories() {
  ClangTidyCheckFactories Factories;
  for (const auto &Module : ClangTidyModuleRegistry::entries())
    Module.instantiate()->addCheckFactories(Factories);
  return Factories;
}

/// Every positive glob of \p Globs (from \p Origin: "--checks", "Checks of
/// 'file'") must name some threadleak check.
void validateCheckGlobs(const ClangTidyCheckFactories &Factories, llvm::StringRef Globs,
                        llvm::StringRef Origin) {
  llvm::StringRef Rest = Globs;
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
      fail("unknown check '" + Glob + "' in " + Origin + " (see --list-checks)");
  }
}

/// The checks that run: threadleak's default, then the configuration's
/// Checks, then --checks. None is an error: a gate that checks nothing must
/// not pass.
std::vector<std::string> enabledChecks(const ClangTidyCheckFactories &Factories,
                                       const threadleak::RunConfig &Run,
                                       llvm::StringRef ConfigOrigin) {
  std::string Effective = "-*,threadleak-*";
  if (Run.ConfigOptions && Run.ConfigOptions->Checks)
    Effective += "," + *Run.ConfigOptions->Checks;
  if (Run.Overrides.Checks)
    Effective += "," + *Run.Overrides.Checks;
  GlobList Enabled(Effective);
  std::vector<std::string> Names;
  for (const auto &F : Factories)
    if (Enabled.contains(F.getKey()))
      Names.push_back(F.getKey().str());
  std::sort(Names.begin(), Names.end());
  if (Names.empty()) {
    std::string Why;
    if (Run.ConfigOptions && Run.ConfigOptions->Checks)
      Why = "Checks: '" + *Run.ConfigOptions->Checks + "' in " + ConfigOrigin.str();
    if (Run.Overrides.Checks)
      Why += (Why.empty() ? "" : ", then ") + ("--checks='" + *Run.Overrides.Checks + "'");
    fail("no check is enabled (" + Why + "); see --list-checks");
  }
  return Names;
}

struct ShardSpec {
  unsigned K = 1, N = 1;
};

ShardSpec parseShard(llvm::StringRef Text) {
  ShardSpec S;
  auto [K, N] = Text.split('/');
  if (K.getAsInteger(10, S.K) || N.getAsInteger(10, S.N) || S.N == 0 || S.K == 0 || S.K > S.N)
    fail("--shard expects K/N with 1 <= K <= N, not '" + Text + "'");
  return S;
}

/// Writes to a temporary file next to the destination and renames it into
/// place on success, so a crash never leaves half a report.
///
/// Only a regular file (or a new one) is replaced that way: a device, a FIFO
/// or /dev/stdout is written directly (renaming over /dev/null would replace
/// it); a symlink is followed (the link stays, its target gets the report);
/// an existing file keeps its mode.
///
/// The constructor only probes that the destination is writable (so a bad
/// path fails before the analysis); the temporary file is created by os(),
/// after the workers are done: LLVM registers temporary files for removal on
/// a fatal signal, and a crashing worker forked after that would remove it.
class AtomicOutput {
public:
  explicit AtomicOutput(llvm::StringRef Path) : Path(Path.str()) {
    if (this->Path.empty())
      return;
    Target = resolveSymlinks(this->Path);
    llvm::sys::fs::file_status Status;
    if (!llvm::sys::fs::status(Target, Status) && llvm::sys::fs::exists(Status)) {
      if (llvm::sys::fs::is_directory(Status))
        fail("cannot write '" + this->Path + "': it is a directory");
      Mode = Status.permissions();
      Direct = !llvm::sys::fs::is_regular_file(Status);
    }
    // /dev/stdout, /dev/fd/N, /proc/self/fd/N: the stream, whatever it is.
    Direct |= llvm::StringRef(this->Path).starts_with("/dev/") ||
              llvm::StringRef(this->Path).starts_with("/proc/");
    if (Direct) {
      if (::access(Target.c_str(), W_OK) != 0)
        fail("cannot write '" + this->Path + "': " + std::strerror(errno));
      return;
    }
    llvm::sys::fs::TempFile Probe = create();
    llvm::consumeError(Probe.discard());
  }
  llvm::raw_ostream &os() {
    if (Path.empty())
      return llvm::outs();
    if (Direct) {
      if (!Stream) {
        std::error_code EC;
        // Opening a FIFO waits for its reader: after the analysis, here.
        Stream = std::make_unique<llvm::raw_fd_ostream>(Target, EC);
        if (EC)
          fail("cannot write '" + Path + "': " + EC.message());
      }
      return *Stream;
    }
    if (!Temp) {
      Temp.emplace(create());
      if (Mode)
        llvm::sys::fs::setPermissions(Temp->FD, *Mode);
      Stream = std::make_unique<llvm::raw_fd_ostream>(Temp->FD, /*shouldClose=*/false);
    }
    return *Stream;
  }
  void commit() {
    if (Path.empty())
      return;
    os();
    Stream->flush();
    if (Stream->has_error()) {
      if (Temp)
        llvm::consumeError(Temp->discard());
      fail("cannot write '" + Path + "': " + Stream->error().message());
    }
    if (Direct)
      return;
    if (llvm::Error E = Temp->keep(Target))
      fail("cannot write '" + Path + "': " + llvm::toString(std::move(E)));
  }
  ~AtomicOutput() {
    if (Temp && !Temp->TmpName.empty())
      llvm::consumeError(Temp->discard());
  }

private:
  /// \p P with its symlinks followed, also to a target that does not exist
  /// yet (a dangling link gets created).
  static std::string resolveSymlinks(llvm::StringRef P) {
    std::string Current = P.str();
    for (int Hops = 0; Hops < 40; ++Hops) {
      char Buf[4096];
      ssize_t N = ::readlink(Current.c_str(), Buf, sizeof(Buf) - 1);
      if (N < 0)
        return Current;
      llvm::StringRef Link(Buf, size_t(N));
      if (llvm::sys::path::is_absolute(Link)) {
        Current = Link.str();
      } else {
        llvm::SmallString<256> Next(llvm::sys::path::parent_path(Current));
        llvm::sys::path::append(Next, Link);
        Current = std::string(Next);
      }
    }
    return Current;
  }

  llvm::sys::fs::TempFile create() {
    llvm::SmallString<256> Model(Target);
    Model += ".tmp-%%%%%%";
    llvm::Expected<llvm::sys::fs::TempFile> T = llvm::sys::fs::TempFile::create(Model);
    if (!T)
      fail("cannot write '" + Path + "': " + llvm::toString(T.takeError()));
    return std::move(*T);
  }

  std::string Path;   ///< as given
  std::string Target; ///< with symlinks followed
  bool Direct = false;
  std::optional<llvm::sys::fs::perms> Mode;
  std::optional<llvm::sys::fs::TempFile> Temp;
  std::unique_ptr<llvm::raw_fd_ostream> Stream;
};

std::string readAllOrFail(llvm::StringRef Path, llvm::StringRef What) {
  auto Buf = Path == "-" ? llvm::MemoryBuffer::getSTDIN() : llvm::MemoryBuffer::getFile(Path);
  if (!Buf)
    fail("cannot read " + What + " '" + Path + "': " + Buf.getError().message());
  return (*Buf)->getBuffer().str();
}

/// Where the checks' docs pages are: next to an installed executable
/// (<prefix>/bin/threadleak, <prefix>/share/doc/threadleak/docs/checks),
/// else the source tree's docs/checks.
std::vector<std::string> docsDirectories(const char *Argv0) {
  std::string Exe = llvm::sys::fs::getMainExecutable(
      Argv0, reinterpret_cast<void *>(&docsDirectories));
  llvm::SmallString<256> Installed(llvm::sys::path::parent_path(Exe));
  llvm::sys::path::append(Installed, "..", THREADLEAK_INSTALL_DOCDIR, "docs", "checks");
  llvm::sys::path::remove_dots(Installed, /*remove_dot_dot=*/true);
  return {std::string(Installed), THREADLEAK_SOURCE_DOCS_DIR};
}

/// --explain CHECK: the check's docs page, as installed with the tool.
int explainCheck(const ClangTidyCheckFactories &Factories, llvm::StringRef Check,
                 const char *Argv0) {
  bool Known = false;
  for (const auto &F : Factories)
    Known |= F.getKey() == Check;
  if (!Known)
    fail("unknown check '" + Check + "' for --explain (see --list-checks)");
  std::vector<std::string> Dirs = docsDirectories(Argv0);
  for (const std::string &Dir : Dirs) {
    llvm::SmallString<256> Page(Dir);
    llvm::sys::path::append(Page, Check + ".md");
    if (auto Buf = llvm::MemoryBuffer::getFile(Page)) {
      llvm::outs() << (*Buf)->getBuffer();
      return ExitClean;
    }
  }
  fail("no documentation page for '" + Check + "' in " + Dirs.front() + " or " + Dirs.back() +
       "; it is at " + THREADLEAK_DOCS_BASE_URL + Check + ".md");
}

/// A count with its noun: "1 finding", "2 findings".
std::string plural(size_t N, llvm::StringRef One, llvm::StringRef Many) {
  return std::to_string(N) + " " + (N == 1 ? One : Many).str();
}

/// "1m05s", "42s".
std::string duration(double Seconds) {
  unsigned S = unsigned(Seconds + 0.5);
  if (S < 60)
    return std::to_string(S) + "s";
  return llvm::formatv("{0}m{1:2}s", S / 60, S % 60).str();
}

} // namespace

#if defined(__SANITIZE_ADDRESS__)
// A -DTHREADLEAK_SANITIZE=address build: LLVM's and clang's process-lifetime
// allocations are not leaks worth failing a run for.
extern "C" const char *__asan_default_options() { return "detect_leaks=0"; }
#endif

int main(int argc, const char **argv) {
  llvm::sys::PrintStackTraceOnErrorSignal(argv[0]);
  (void)ThreadLeakModuleAnchorSource;

  // `threadleak file.cpp -- -std=c++20 ...`: a fixed compilation database.
  // Flags after `--` that clang's driver does not know (GCC's) would make
  // it fail: dropped first, and said with those of a database (below).
  std::vector<const char *> Args(argv, argv + argc);
  std::vector<std::string> DroppedFixedArgs;
  auto DashDash = std::find_if(Args.begin(), Args.end(),
                               [](const char *A) { return llvm::StringRef(A) == "--"; });
  if (DashDash != Args.end()) {
    tooling::CompileCommand Fixed;
    Fixed.CommandLine.push_back("clang++");
    Fixed.CommandLine.insert(Fixed.CommandLine.end(), DashDash + 1, Args.end());
    DroppedFixedArgs = threadleak::unknownDriverArguments(Fixed);
    Args.erase(std::remove_if(DashDash + 1, Args.end(),
                              [&](const char *A) {
                                return llvm::is_contained(DroppedFixedArgs, A);
                              }),
               Args.end());
  }
  argc = int(Args.size());
  argv = Args.data();
  std::string FixedError;
  std::unique_ptr<tooling::CompilationDatabase> DB =
      tooling::FixedCompilationDatabase::loadFromCommandLine(argc, argv, FixedError);
  if (!FixedError.empty())
    fail(FixedError);
  if (DB)
    DB = tooling::expandResponseFiles(std::move(DB), llvm::vfs::getRealFileSystem());

  cl::HideUnrelatedOptions({&Category, &OutputCategory});
  cl::SetVersionPrinter([](llvm::raw_ostream &OS) {
    OS << "threadleak " << THREADLEAK_VERSION << " (clang " << CLANG_VERSION_STRING << ")\n";
  });
  std::string ParseErrors;
  llvm::raw_string_ostream ParseErrorStream(ParseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "threadleak: finds threads that can never finish.\n\n"
          "  threadleak -p <build-dir> [options] [files...]\n"
          "  threadleak [options] <files...> -- <compiler flags>\n"
          "  threadleak --merge [options] <report.json...>\n\n"
          "Exit status: 0 no findings, 1 findings, 2 tool or input error,\n"
          "3 a translation unit failed (did not compile, crashed, timed out).\n",
          &ParseErrorStream)) {
    ParseErrorStream.flush();
    // llvm::cl prefixes its messages with the program name; we add our own.
    llvm::StringRef First = llvm::StringRef(ParseErrors).split('\n').first;
    if (!First.consume_front(std::string(argv[0]) + ": "))
      First.consume_front(llvm::sys::path::filename(argv[0]).str() + ": ");
    fail(First.empty() ? llvm::StringRef("bad command line") : First);
  }

  // Validate the cheap things before any analysis.
  if (Format != "text" && Format != "json" && Format != "sarif")
    fail("unknown --format '" + Format + "' (expected text, json or sarif)");
  if (FailOn != "findings" && FailOn != "none")
    fail("unknown --fail-on '" + FailOn + "' (expected findings or none)");
  if (Merge && (Fix || !ExportFixes.empty()))
    fail(llvm::Twine(Fix ? "--fix" : "--export-fixes") +
         " needs an analysis; a --merge input carries no fix-its");
  unsigned NumJobs = std::max(1u, std::thread::hardware_concurrency());
  if (!Jobs.empty() && (llvm::StringRef(Jobs).getAsInteger(10, NumJobs) || NumJobs == 0))
    fail("-j expects a positive number of jobs, not '" + Jobs + "'");
  // More workers than this only contend for the cores and memory.
  NumJobs = std::min(NumJobs, 4 * std::max(1u, std::thread::hardware_concurrency()));
  if (DumpModel)
    NumJobs = 1; // One dump after the other.
  ShardSpec ShardSel = Shard.empty() ? ShardSpec() : parseShard(Shard);
  unsigned TimeoutSeconds = 0;
  if (llvm::StringRef(TUTimeout).getAsInteger(10, TimeoutSeconds))
    fail("--tu-timeout expects a number of seconds, not '" + TUTimeout + "'");
  // 13: a bad regex would silently filter everything or nothing.
  for (const auto &[Flag, Value] : {std::pair<llvm::StringRef, std::string>{"--header-filter", HeaderFilter},
                                    {"--exclude-header-filter", ExcludeHeaderFilter}}) {
    std::string Why;
    if (!Value.empty() && !llvm::Regex(Value).isValid(Why))
      fail("invalid " + Flag + " '" + Value + "': " + Why);
  }
  if (!ConfigFile.empty() && !Config.empty())
    fail("--config and --config-file are mutually exclusive");
  if (!LineFilterText.empty() && !DiffFile.empty())
    fail("--line-filter and --diff are mutually exclusive");
  std::optional<threadleak::LineFilter> Lines;
  if (!LineFilterText.empty()) {
    auto F = threadleak::LineFilter::parseJSON(LineFilterText);
    if (!F)
      fail("malformed --line-filter: " + llvm::toString(F.takeError()));
    Lines = std::move(*F);
  } else if (!DiffFile.empty()) {
    auto F = threadleak::LineFilter::parseUnifiedDiff(readAllOrFail(DiffFile, "diff"));
    if (!F)
      fail("malformed diff '" + DiffFile + "': " + llvm::toString(F.takeError()));
    Lines = std::move(*F);
  }
  std::optional<threadleak::Baseline> Known;
  if (!BaselineFile.empty()) {
    auto B = threadleak::Baseline::read(BaselineFile);
    if (!B)
      fail(llvm::toString(B.takeError()));
    Known = std::move(*B);
  }
  threadleak::ReportContext Report;
  Report.ProjectRoot = ProjectRoot.empty() ? defaultProjectRoot() : absolutePath(ProjectRoot);
  Report.AutomationId = AutomationId;
  // Code scanning keeps one analysis per tool and category: a category
  // names the report's one run; each shard's report is an analysis of its
  // own (or merge the shards' JSON and upload one report).
  if (SarifCategory.getNumOccurrences()) {
    if (AutomationId.getNumOccurrences())
      fail("--sarif-category and --sarif-automation-id are mutually exclusive");
    std::string Category = llvm::StringRef(SarifCategory).rtrim('/').str();
    if (Category.empty())
      fail("--sarif-category expects a category, not '" + SarifCategory + "'");
    if (ShardSel.N > 1)
      Category += "/shard-" + std::to_string(ShardSel.K) + "-of-" + std::to_string(ShardSel.N);
    Report.AutomationId = Category + "/";
  }
  Report.DocsBaseUrl = THREADLEAK_DOCS_BASE_URL;
  // Opened now, so an unwritable path fails before the analysis.
  AtomicOutput Out(OutputFile);
  std::optional<AtomicOutput> FixesOut;
  if (!ExportFixes.empty())
    FixesOut.emplace(ExportFixes);
  std::optional<AtomicOutput> BaselineOut;
  if (!WriteBaseline.empty())
    BaselineOut.emplace(WriteBaseline);

  threadleak::RunConfig Run;
  Run.Defaults = ClangTidyOptions::getDefaults();
  Run.Defaults.Checks = "-*,threadleak-*";
  Run.Defaults.HeaderFilterRegex = ".*";
  Run.Defaults.SystemHeaders = false;
  if (Checks.getNumOccurrences())
    Run.Overrides.Checks = Checks;
  if (DumpModel) {
    Run.Overrides.Checks = "-*,threadleak-blocked-forever";
    Run.Overrides.CheckOptions["threadleak-blocked-forever.DumpModel"] =
        ClangTidyOptions::ClangTidyValue("true");
  }
  if (HeaderFilter.getNumOccurrences())
    Run.Overrides.HeaderFilterRegex = HeaderFilter;
  if (ExcludeHeaderFilter.getNumOccurrences())
    Run.Overrides.ExcludeHeaderFilterRegex = ExcludeHeaderFilter;
  if (WarningsAsErrors.getNumOccurrences())
    Run.Overrides.WarningsAsErrors = WarningsAsErrors;
  if (SystemHeaders.getNumOccurrences())
    Run.Overrides.SystemHeaders = bool(SystemHeaders);
  Run.RemovedArgs.assign(RemovedArgs.begin(), RemovedArgs.end());
  if (!ExtraArgs.empty())
    Run.Overrides.ExtraArgs = std::vector<std::string>(ExtraArgs.begin(), ExtraArgs.end());
  if (!ExtraArgsBefore.empty())
    Run.Overrides.ExtraArgsBefore =
        std::vector<std::string>(ExtraArgsBefore.begin(), ExtraArgsBefore.end());
  if (!ConfigFile.empty()) {
    auto Text = llvm::MemoryBuffer::getFile(ConfigFile);
    if (!Text)
      fail("cannot read configuration file '" + ConfigFile + "': " + Text.getError().message());
    checkConfigNesting((*Text)->getBuffer(), ConfigFile);
    // A .threadleak.yaml: its Model is threadleak's, the rest clang-tidy's.
    threadleak::ConfigFileParts Parts =
        threadleak::splitConfigFile((*Text)->getBuffer(), ConfigFile);
    if (!Parts.ModelError.empty())
      fail(Parts.ModelError);
    if (Parts.HasModel)
      Run.Overrides.CheckOptions[threadleak::modelFileOption()] =
          ClangTidyOptions::ClangTidyValue(absolutePath(ConfigFile));
    Run.ConfigOptions = llvm::StringRef(Parts.Tidy).trim().empty()
                            ? ClangTidyOptions()
                            : parseConfigText(Parts.Tidy, ConfigFile);
  } else if (!Config.empty()) {
    Run.ConfigOptions = parseConfigText(Config, "--config");
  }
  std::string ConfigOrigin =
      !ConfigFile.empty() ? "'" + ConfigFile + "'" : std::string("--config");
  // A bad regex in the configuration would hide every header finding, or
  // none: an error, as for the flags.
  if (Run.ConfigOptions)
    if (std::optional<std::string> Bad =
            threadleak::invalidFilterRegex(*Run.ConfigOptions, ConfigOrigin))
      fail(*Bad);
  Run.ResourceDir = threadleak::findResourceDir(argv[0]);

  ClangTidyCheckFactories Factories = allFactories();
  if (!Explain.empty())
    return explainCheck(Factories, Explain, argv[0]);
  validateCheckGlobs(Factories, Checks, "--checks");
  validateCheckGlobs(Factories, WarningsAsErrors, "--warnings-as-errors");
  if (Run.ConfigOptions && Run.ConfigOptions->Checks)
    validateCheckGlobs(Factories, *Run.ConfigOptions->Checks, "Checks of " + ConfigOrigin);
  std::vector<std::string> Enabled = enabledChecks(Factories, Run, ConfigOrigin);
  if (ListChecks) {
    llvm::outs() << "Enabled checks:\n";
    for (const std::string &N : Enabled)
      llvm::outs() << "    " << N << "\n";
    return ExitClean;
  }
  if (DumpConfig) {
    std::string For = Files.empty() ? absolutePath("dummy.cpp") : absolutePath(Files.front());
    llvm::outs() << threadleak::dumpConfig(Run, For);
    return ExitClean;
  }

  auto Start = std::chrono::steady_clock::now();
  std::vector<threadleak::Finding> All;
  std::vector<std::string> Inputs;
  unsigned Failed = 0, FromCacheCount = 0, Nolint = 0;
  // The cross-TU pass: units analysed again, and the time of each pass.
  size_t CrossTURerun = 0;
  double Pass1Seconds = 0, Pass2Seconds = 0;
  std::set<std::string> ConfigErrors;

  if (Merge) {
    // Reports from shards: one report, as if from one run.
    if (Files.empty())
      fail("--merge needs the JSON reports to merge");
    for (const std::string &F : Files) {
      auto Read = threadleak::readJSONReport(F, Report.ProjectRoot);
      if (!Read)
        fail(llvm::toString(Read.takeError()));
      for (threadleak::Finding &Fd : Read->Findings)
        All.push_back(std::move(Fd));
      // A shard's failed units fail the merged run too.
      for (threadleak::TUOutcome &O : Read->Failures) {
        llvm::errs() << "threadleak: error: " << O.File << ": " << O.Detail << "\n";
        ++Failed;
        Report.Failures.push_back(std::move(O));
      }
    }
  } else {
    if (!DB) {
      if (BuildPath.empty()) {
        // Like clang-tidy: look for a database above the first file.
        if (Files.empty())
          fail("no compilation database: pass -p <build-dir>, or files followed by -- <flags>");
        // A compile_commands.json is read as with -p (validated, bounded);
        // other kinds (compile_flags.txt) as clang-tidy reads them.
        std::string Start = absolutePath(Files.front());
        for (llvm::StringRef D = llvm::sys::path::parent_path(Start); !D.empty() && !DB;
             D = llvm::sys::path::parent_path(D)) {
          if (llvm::sys::fs::exists(D + "/compile_commands.json")) {
            DB = loadDatabase(D);
            break;
          }
          std::string Error;
          DB = tooling::CompilationDatabase::loadFromDirectory(D, Error);
        }
        if (!DB)
          fail("no compilation database found above '" + Files.front() + "'; pass -p <build-dir>");
      } else {
        DB = loadDatabase(BuildPath);
      }
    }
    // The files to analyse: the named ones, or every file of the database.
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
    validateCommands(*DB, Inputs);
    if (ShardSel.N > 1) {
      // Every K-th file of the sorted list: deterministic, and the shards
      // together are the whole.
      std::vector<std::string> Sorted = Inputs, Mine;
      std::sort(Sorted.begin(), Sorted.end());
      for (size_t I = 0; I < Sorted.size(); ++I)
        if (I % ShardSel.N == ShardSel.K - 1)
          Mine.push_back(Sorted[I]);
      Inputs = std::move(Mine);
    }

    // Arguments clang does not know (a database written for GCC) would stop
    // the compiler: dropped, as clangd drops them, and said once.
    {
      std::set<std::string> Unknown(DroppedFixedArgs.begin(), DroppedFixedArgs.end());
      for (const std::string &File : Inputs)
        for (const tooling::CompileCommand &C : DB->getCompileCommands(File))
          for (std::string &A : threadleak::unknownDriverArguments(C))
            Unknown.insert(std::move(A));
      for (const std::string &A : Run.RemovedArgs)
        Unknown.erase(A);
      if (!Unknown.empty() && !Quiet) {
        llvm::errs() << "threadleak: removing "
                     << plural(Unknown.size(), "argument", "arguments")
                     << " that clang does not know from the compile commands:";
        for (const std::string &A : Unknown)
          llvm::errs() << " " << A;
        llvm::errs() << "\n";
      }
      Run.RemovedArgs.insert(Run.RemovedArgs.end(), Unknown.begin(), Unknown.end());
    }

    // The findings cache: on unless --no-cache (or THREADLEAK_NO_CACHE=1
    // without an explicit --cache-dir).
    std::optional<threadleak::FindingsCache> Cache;
    const char *NoCacheEnv = std::getenv("THREADLEAK_NO_CACHE");
    bool CacheOff = NoCache || DumpModel ||
                    (CacheDir.empty() && NoCacheEnv && *NoCacheEnv &&
                                llvm::StringRef(NoCacheEnv) != "0");
    std::string Dir = CacheDir.empty() ? threadleak::FindingsCache::defaultDirectory()
                                       : absolutePath(CacheDir);
    if (!CacheOff && !Dir.empty())
      Cache.emplace(Dir, threadleak::FindingsCache::executableIdentity(argv[0]));

    // Cross-TU summaries (docs/design.md, "Cross-TU summaries"): on by
    // default when the whole database is analysed. With files named or a
    // shard, only on request, as the result then depends on which other
    // units' summaries the cache holds.
    if (CrossTU && NoCrossTU)
      fail("--cross-tu and --no-cross-tu are mutually exclusive");
    bool CrossTUOn = !DumpModel && !NoCrossTU &&
                     (CrossTU || (Files.empty() && ShardSel.N <= 1));

    // Progress: on a terminal one line, rewritten, with the time left; in a
    // log (CI), "[k/N] file" lines: the first, the last, and one at most
    // every ProgressInterval in between.
    bool Terminal = llvm::sys::Process::StandardErrIsDisplayed();
    constexpr std::chrono::seconds ProgressInterval(10);
    auto LastProgress = std::chrono::steady_clock::now();
    size_t Done = 0, Analysed = 0;
    unsigned FromCache = 0;
    auto Progress = [&](const threadleak::TUOutcome &O) {
      ++Done;
      auto Now = std::chrono::steady_clock::now();
      if (!Quiet && Terminal) {
        llvm::errs() << "\r\033[K[" << Done << "/" << Inputs.size() << "] " << O.File;
        // The time left, from the units analysed so far (cache hits are
        // instant and say nothing about the others).
        Analysed += !O.FromCache;
        double Elapsed = std::chrono::duration<double>(Now - Start).count();
        if (Analysed >= 1 && Done < Inputs.size() && Elapsed >= 1)
          llvm::errs() << " (about "
                       << duration(Elapsed / double(Analysed) * double(Inputs.size() - Done))
                       << " left)";
      } else if (!Quiet && (Done == 1 || Done == Inputs.size() ||
                            Now - LastProgress >= ProgressInterval)) {
        llvm::errs() << "[" << Done << "/" << Inputs.size() << "] " << O.File << "\n";
        LastProgress = Now;
      }
    };
    auto Collect = [&](threadleak::TUOutcome O) {
      FromCache += O.FromCache;
      Nolint += O.SuppressedByNolint;
      if (O.failed()) {
        ++Failed;
        if (!Quiet && Terminal)
          llvm::errs() << "\r\033[K";
        llvm::errs() << "threadleak: error: " << O.File << ": " << O.Detail << "\n";
      }
      for (threadleak::Finding &F : O.Findings) {
        // A bad option value: the run cannot be trusted.
        if (F.isConfigurationError())
          ConfigErrors.insert(F.Message);
        else
          All.push_back(std::move(F));
      }
      if (O.failed()) {
        O.Findings.clear();
        Report.Failures.push_back(std::move(O));
      }
    };
    // Without the cross-TU pass an outcome is final when it arrives.
    std::map<std::string, threadleak::TUOutcome> Outcomes;
    auto Handle = [&](threadleak::TUOutcome O) {
      Progress(O);
      if (CrossTUOn)
        Outcomes[O.File] = std::move(O);
      else
        Collect(std::move(O));
    };

    // In a worker: analyse, and turn clang-tidy's diagnostics into
    // findings. Pass 1 records the unit's summaries and what it asked for;
    // pass 2 reads the summaries of others from \p Provider.
    auto AnalyseOne = [&](const std::string &File,
                          const std::vector<std::pair<std::string, std::string>> *Read) {
      threadleak::CrossTUMode Mode;
      Mode.Record = CrossTUOn && !Read;
      Mode.Read = Read;
      threadleak::TUResult R = threadleak::analyzeTranslationUnit(File, *DB, Run, Mode);
      threadleak::TUOutcome O;
      O.File = File;
      O.Seconds = R.Seconds;
      O.SuppressedByNolint = R.SuppressedByNolint;
      O.Dependencies = std::move(R.Dependencies);
      O.Summaries = std::move(R.Summaries);
      O.Asked = std::move(R.Asked);
      O.Wanted = std::move(R.Wanted);
      threadleak::SourceCache Cache;
      for (const ClangTidyError &E : R.Diagnostics)
        O.Findings.push_back(threadleak::toFinding(E, Cache));
      if (!R.ToolError.empty()) {
        O.Status = threadleak::TUOutcome::NotRun;
        O.Detail = R.ToolError;
      } else if (R.CompileFailed) {
        O.Status = threadleak::TUOutcome::CompileFailed;
        O.Detail = "failed to compile; its findings may be incomplete";
      }
      return O;
    };

    std::vector<std::string> ToAnalyse;
    std::map<std::string, std::string> Keys;
    auto KeyOf = [&](const std::string &File) -> std::optional<std::string> {
      std::vector<tooling::CompileCommand> Commands = DB->getCompileCommands(File);
      if (Commands.empty())
        return std::nullopt;
      std::string Config = threadleak::dumpConfig(Run, File);
      for (const std::string &A : Run.RemovedArgs)
        Config += "# removed argument: " + A + "\n";
      // Pass 1 records summaries only in a cross-TU run: a different
      // outcome, so a different entry.
      if (CrossTUOn)
        Config += "# cross-TU summaries\n";
      return Cache->key(Commands.front(), Config);
    };
    for (const std::string &File : Inputs) {
      if (Cache) {
        if (std::optional<std::string> Key = KeyOf(File)) {
          Keys[File] = *Key;
          if (std::optional<threadleak::TUOutcome> Hit = Cache->lookup(*Key)) {
            Hit->File = File;
            Handle(std::move(*Hit));
            continue;
          }
        }
      }
      ToAnalyse.push_back(File);
    }

    auto Pass1Start = std::chrono::steady_clock::now();
    threadleak::runIsolated(
        ToAnalyse, std::min<unsigned>(NumJobs, std::max<size_t>(1, ToAnalyse.size())), TimeoutSeconds,
        [&](const std::string &File) { return AnalyseOne(File, nullptr); },
        // In the parent, as workers finish.
        [&](size_t, threadleak::TUOutcome O) {
          if (Cache && Keys.count(O.File))
            Cache->store(Keys[O.File], O);
          Handle(std::move(O));
        });
    Pass1Seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - Pass1Start).count();

    if (CrossTUOn) {
      auto Pass2Start = std::chrono::steady_clock::now();
      // The summaries of every unit analysed (or cached) without errors;
      // with a subset, also those of the database's other files whose
      // first-pass entry the cache holds. A function two units summarise
      // differently (an ODR violation, a platform's variants, a file built
      // twice with other macros) has no summary.
      std::map<std::string, std::string> Table;
      std::set<std::string> Ambiguous;
      auto AddSummaries = [&](const threadleak::TUOutcome &O) {
        if (O.Status != threadleak::TUOutcome::Analysed)
          return;
        for (const auto &[Id, Text] : O.Summaries) {
          auto [It, New] = Table.emplace(Id, Text);
          if (!New && It->second != Text)
            Ambiguous.insert(Id);
        }
      };
      for (const auto &[File, O] : Outcomes)
        AddSummaries(O);
      if (Cache && (!Files.empty() || ShardSel.N > 1)) {
        std::set<std::string> Mine(Inputs.begin(), Inputs.end());
        std::set<std::string> Others;
        for (const std::string &F : DB->getAllFiles())
          if (!Mine.count(absolutePath(F)))
            Others.insert(absolutePath(F));
        for (const std::string &F : Others)
          if (std::optional<std::string> Key = KeyOf(F))
            if (std::optional<threadleak::TUOutcome> Hit = Cache->lookup(*Key))
              AddSummaries(*Hit);
      }
      // Defined with no fact somewhere, and with one elsewhere: ambiguous
      // too (two definitions of one function, such as a platform's
      // variants); defined only with no fact: nothing to read.
      for (const std::string &Id : Ambiguous)
        Table.erase(Id);
      for (auto It = Table.begin(); It != Table.end();)
        It = It->second.empty() ? Table.erase(It) : std::next(It);

      // The units that asked for a function some other unit summarised.
      std::map<std::string, std::vector<std::pair<std::string, std::string>>> Reads;
      std::map<std::string, std::string> CrossKeys;
      std::vector<std::string> Again;
      for (const std::string &File : Inputs) {
        auto It = Outcomes.find(File);
        if (It == Outcomes.end() || It->second.Status != threadleak::TUOutcome::Analysed)
          continue;
        const threadleak::TUOutcome &O = It->second;
        std::vector<std::pair<std::string, std::string>> Read;
        for (const std::string &Id : O.Asked) {
          auto T = Table.find(Id);
          if (T != Table.end() && !O.Summaries.count(Id))
            Read.emplace_back(Id, T->second);
        }
        if (Read.empty())
          continue;
        // Analysed again anyway: with the summaries it wants too.
        for (const std::string &Id : O.Wanted) {
          auto T = Table.find(Id);
          if (T != Table.end() && !O.Summaries.count(Id) &&
              !llvm::is_contained(O.Asked, Id))
            Read.emplace_back(Id, T->second);
        }
        if (Cache && Keys.count(File)) {
          std::string Key = threadleak::FindingsCache::crossKey(Keys[File], Read);
          if (std::optional<threadleak::TUOutcome> Hit = Cache->lookup(Key)) {
            Hit->File = File;
            It->second = std::move(*Hit);
            continue;
          }
          CrossKeys[File] = Key;
        }
        Reads[File] = std::move(Read);
        Again.push_back(File);
      }
      threadleak::runIsolated(
          Again, std::min<unsigned>(NumJobs, std::max<size_t>(1, Again.size())), TimeoutSeconds,
          [&](const std::string &File) { return AnalyseOne(File, &Reads[File]); },
          [&](size_t, threadleak::TUOutcome O) {
            threadleak::TUOutcome &First = Outcomes[O.File];
            if (O.failed()) {
              // The second pass failed: the first pass's findings stand,
              // and the unit counts as failed.
              O.Findings = std::move(First.Findings);
              O.Detail = "in the cross-TU pass: " + O.Detail;
            } else if (Cache && CrossKeys.count(O.File)) {
              Cache->store(CrossKeys[O.File], O);
            }
            First = std::move(O);
          });
      CrossTURerun = Again.size();
      Pass2Seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - Pass2Start).count();
      for (const std::string &File : Inputs)
        if (auto It = Outcomes.find(File); It != Outcomes.end())
          Collect(std::move(It->second));
    }
    FromCacheCount = FromCache;
    if (!Quiet && Terminal)
      llvm::errs() << "\r\033[K";
  }

  // Sorted, de-duplicated, fingerprinted; then filtered.
  threadleak::finalizeFindings(All, Report.ProjectRoot);
  size_t BeforeLineFilter = All.size();
  if (Lines)
    All.erase(std::remove_if(All.begin(), All.end(),
                             [&](const threadleak::Finding &F) {
                               return !Lines->passes(F.Loc.Path, F.Loc.Line);
                             }),
              All.end());
  // A bad option value: nothing this run produced can be trusted, so no
  // report and no baseline replace the previous ones.
  if (!ConfigErrors.empty()) {
    for (const std::string &Message : ConfigErrors)
      llvm::errs() << "threadleak: error: " << Message << "\n";
    return ExitError;
  }
  if (BaselineOut) {
    threadleak::Baseline::write(All, Report.ProjectRoot, BaselineOut->os());
    BaselineOut->commit();
  }
  size_t OutsideLines = BeforeLineFilter - All.size();
  unsigned Baselined = Known ? Known->subtract(All) : 0;
  std::sort(Report.Failures.begin(), Report.Failures.end(),
            [](const threadleak::TUOutcome &A, const threadleak::TUOutcome &B) {
              return A.File < B.File;
            });

  unsigned Findings = 0;
  for (const threadleak::Finding &F : All)
    Findings += !F.isCompilerDiagnostic();

  // --fix: which fix-its go together, decided before anything is written;
  // the files change only after the reports are out (they quote the
  // sources as they were analysed). Like clang-tidy without --fix-errors,
  // nothing is fixed when a unit did not compile.
  threadleak::FixPlan Plan;
  bool ApplyFixes = Fix && !Failed;
  if (ApplyFixes)
    Plan = threadleak::planFixes(All);
  auto Applied = [&](size_t I) {
    return ApplyFixes && Plan.Status[I] == threadleak::FixPlan::Chosen;
  };

  if (FixesOut) {
    threadleak::exportFixes(All, Inputs.empty() ? "" : Inputs.front(), FixesOut->os());
    FixesOut->commit();
  }
  if (Format == "sarif")
    threadleak::writeSarif(All, Report, Out.os());
  else if (Format == "json")
    threadleak::writeJSON(All, Report, Out.os());
  else {
    threadleak::TextStyle Style;
    Style.Color = UseColor.getNumOccurrences()
                      ? bool(UseColor)
                      : OutputFile.empty() && llvm::sys::Process::StandardOutIsDisplayed();
    Style.Help = !Quiet;
    Style.DocsBaseUrl = Report.DocsBaseUrl;
    Out.os().enable_colors(Style.Color);
    threadleak::SourceCache Cache;
    for (size_t I = 0; I < All.size(); ++I) {
      const threadleak::Finding &F = All[I];
      threadleak::printText(F, Cache, Out.os(), Style);
      if (ApplyFixes && !F.Fixes.empty()) {
        // As clang-tidy: a note at each edit, or one that it was left out.
        if (Applied(I))
          for (const threadleak::Replacement &R : F.Fixes) {
            threadleak::SourceLocation L{R.Path, R.Offset};
            Cache.resolve(L);
            threadleak::printNote(L, "FIX-IT applied suggested code changes", Cache,
                                  Out.os(), Style);
          }
        else
          threadleak::printNote(F.Loc,
                                "FIX-IT unable to apply suggested code changes: they "
                                "overlap the fix of another finding",
                                Cache, Out.os(), Style);
      }
      threadleak::printHelp(F, Out.os(), Style);
    }
  }
  Out.commit();
  llvm::outs().flush();

  unsigned Remaining = 0, RemainingErrors = 0;
  for (size_t I = 0; I < All.size(); ++I)
    if (!All[I].isCompilerDiagnostic() && !Applied(I)) {
      ++Remaining;
      RemainingErrors += All[I].WarningAsError;
    }
  bool FixError = false;
  if (Fix) {
    unsigned Suggested = 0;
    for (const threadleak::Finding &F : All)
      Suggested += !F.Fixes.empty();
    if (!ApplyFixes) {
      llvm::errs() << "threadleak: " << plural(Failed, "translation unit", "translation units")
                   << " failed; fixes have NOT been applied\n";
    } else {
      for (const threadleak::FixFailure &E : threadleak::applyEdits(Plan.Edits)) {
        llvm::errs() << "threadleak: error: cannot apply fixes to '" << E.Path
                     << "': " << E.Message << "\n";
        FixError = true;
      }
      unsigned Conflicts = Plan.count(threadleak::FixPlan::Conflict);
      llvm::errs() << "threadleak: applied " << Plan.count(threadleak::FixPlan::Chosen)
                   << " of " << Suggested << " suggested " << (Suggested == 1 ? "fix" : "fixes");
      if (Conflicts)
        llvm::errs() << " (" << Conflicts << " overlapped another and "
                     << (Conflicts == 1 ? "was" : "were") << " left out)";
      llvm::errs() << "\n";
    }
  }

  double Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start).count();
  if (!Quiet) {
    llvm::errs() << "threadleak: " << plural(Findings, "finding", "findings");
    if (!Merge)
      llvm::errs() << " in " << plural(Inputs.size(), "translation unit", "translation units");
    else
      llvm::errs() << " in " << plural(Files.size(), "merged report", "merged reports");
    if (Nolint)
      llvm::errs() << " (" << Nolint << " suppressed by NOLINT)";
    if (OutsideLines)
      llvm::errs() << " (" << OutsideLines
                   << (DiffFile.empty() ? " outside --line-filter)" : " outside the diff)");
    if (Baselined)
      llvm::errs() << " (" << Baselined << " more in the baseline)";
    if (FromCacheCount)
      llvm::errs() << " (" << FromCacheCount << " from the cache)";
    if (CrossTURerun)
      llvm::errs() << " (" << CrossTURerun << " analysed again with cross-TU summaries in "
                   << llvm::format("%.2f", Pass2Seconds) << "s)";
    if (Failed)
      llvm::errs() << " (" << Failed << " failed)";
    llvm::errs() << " in " << llvm::format("%.2f", Seconds) << "s\n";
  }
  // The sources could not all be fixed: the run did not do what was asked.
  if (FixError)
    return ExitError;
  // Warnings made errors fail even a report-only run, as in clang-tidy.
  if (FailOn == "none")
    return RemainingErrors ? ExitFindings : ExitClean;
  // A failed unit leaves the report (and a baseline) incomplete.
  if (Failed)
    return ExitTUFailed;
  // Recording a baseline succeeds whatever it records.
  if (!WriteBaseline.empty())
    return ExitClean;
  // After --fix, what is left to do: the findings it did not fix.
  return Remaining ? ExitFindings : ExitClean;
}
