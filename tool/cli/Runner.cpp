//===--- Runner.cpp - analyse one translation unit ------------------------===//

#include "Runner.h"
#include "Compat.h"
#include "engine/CrossTU.h"
#include "clang-tidy/ClangTidy.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "model/InputLimits.h"
#include "model/ModelConfig.h"
#include "clang/Basic/Version.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendActions.h"
#include "clang/Frontend/Utils.h"
#include "clang/Lex/PreprocessorOptions.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/Tooling.h"
#include "llvm/Option/ArgList.h"
#include "llvm/Option/OptTable.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/VirtualFileSystem.h"
#include <algorithm>
#include <chrono>

// The driver's option table: clang/Options/ since 22, clang/Driver/ before.
#if CLANG_VERSION_MAJOR >= 22
#include "clang/Options/Options.h"
static const llvm::opt::OptTable &driverOptions() {
  return clang::getDriverOptTable();
}
#else
#include "clang/Driver/Options.h"
static const llvm::opt::OptTable &driverOptions() {
  return clang::driver::getDriverOptTable();
}
#endif

using namespace clang;
using namespace clang::tidy;

namespace threadleak {

namespace {

/// Options for one file, in clang-tidy's order of precedence: threadleak's
/// defaults, then the configuration (the --config-file, or the .clang-tidy
/// files found walking up from the file), then the command line.
///
/// A .clang-tidy file's `Checks:` line is written for clang-tidy's own checks
/// and is ignored here; its CheckOptions for threadleak-* checks apply. An
/// explicit --config-file is threadleak's own and fully honoured.
class RunOptionsProvider : public ClangTidyOptionsProvider {
public:
  explicit RunOptionsProvider(const RunConfig &Config) : Config(Config) {
    ClangTidyGlobalOptions Global;
    if (Config.ConfigOptions)
      Inner = std::make_unique<ConfigOptionsProvider>(
          Global, Config.Defaults, *Config.ConfigOptions, ClangTidyOptions());
    else
      Inner = std::make_unique<FileOptionsProvider>(Global, Config.Defaults,
                                                    ClangTidyOptions());
  }

  const ClangTidyGlobalOptions &getGlobalOptions() override {
    return Inner->getGlobalOptions();
  }

  std::vector<OptionsSource> getRawOptions(llvm::StringRef File) override {
    std::vector<OptionsSource> Sources = Inner->getRawOptions(File);
    if (!Config.ConfigOptions)
      for (OptionsSource &S : Sources)
        if (S.second != OptionsSourceTypeDefaultBinary)
          S.first.Checks.reset();
    Sources.emplace_back(Config.Overrides, "threadleak command line");
    return Sources;
  }

private:
  const RunConfig &Config;
  std::unique_ptr<ClangTidyOptionsProvider> Inner;
};

/// Every file the preprocessor enters, system headers included.
class AllFilesCollector : public DependencyCollector {
  bool needSystemDependencies() override { return true; }
};

class TidyActionFactory : public tooling::FrontendActionFactory {
public:
  TidyActionFactory(ClangTidyContext &Context,
                    std::shared_ptr<DependencyCollector> Files)
      : ConsumerFactory(Context), Files(std::move(Files)) {}

  std::unique_ptr<FrontendAction> create() override {
    return std::make_unique<Action>(&ConsumerFactory, Files);
  }

  bool runInvocation(std::shared_ptr<CompilerInvocation> Invocation,
                     FileManager *Files,
                     std::shared_ptr<PCHContainerOperations> PCHContainerOps,
                     DiagnosticConsumer *DiagConsumer) override {
    // Same as clang-tidy: code may test __clang_analyzer__.
    Invocation->getPreprocessorOpts().SetUpStaticAnalyzer = true;
    // No "N warnings generated." on stderr: the CLI prints its own summary.
    Invocation->getDiagnosticOpts().ShowCarets = false;
    return FrontendActionFactory::runInvocation(Invocation, Files,
                                                PCHContainerOps, DiagConsumer);
  }

private:
  class Action : public ASTFrontendAction {
  public:
    Action(ClangTidyASTConsumerFactory *Factory,
           std::shared_ptr<DependencyCollector> Files)
        : Factory(Factory), Files(std::move(Files)) {}
    std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &Compiler,
                                                   llvm::StringRef File) override {
      // Before the main file is entered: sees every file from the start.
      Files->attachToPreprocessor(Compiler.getPreprocessor());
      return Factory->createASTConsumer(Compiler, File);
    }

  private:
    ClangTidyASTConsumerFactory *Factory;
    std::shared_ptr<DependencyCollector> Files;
  };

  ClangTidyASTConsumerFactory ConsumerFactory;
  std::shared_ptr<DependencyCollector> Files;
};

/// Databases often list a file once per library it is built into (static
/// and shared, say): analysing it once is enough, and ClangTool would run
/// every command.
class FirstCommandDatabase : public tooling::CompilationDatabase {
public:
  explicit FirstCommandDatabase(const tooling::CompilationDatabase &Inner)
      : Inner(Inner) {}
  std::vector<tooling::CompileCommand>
  getCompileCommands(llvm::StringRef File) const override {
    std::vector<tooling::CompileCommand> All = Inner.getCompileCommands(File);
    if (All.size() > 1)
      All.resize(1);
    return All;
  }
  std::vector<std::string> getAllFiles() const override {
    return Inner.getAllFiles();
  }

private:
  const tooling::CompilationDatabase &Inner;
};

bool hasResourceDirArg(const tooling::CommandLineArguments &Args) {
  for (const std::string &A : Args)
    if (llvm::StringRef(A).starts_with("-resource-dir"))
      return true;
  return false;
}

} // namespace

ConfigFileParts splitConfigFile(llvm::StringRef Text, llvm::StringRef Name) {
  ConfigFileParts Parts;
  clang::tidy::threadleak::SplitConfig Split =
      clang::tidy::threadleak::splitConfigText(Text);
  Parts.Tidy = std::move(Split.Tidy);
  Parts.HasModel = Split.HasModel;
  // Anything that is not clang-tidy's is threadleak's, and checked: a
  // misspelled `Modle:` or `Chekcs:` is an error, not silence.
  if (Split.HasModel || !llvm::StringRef(Split.Model).trim().empty())
    if (auto Model = clang::tidy::threadleak::parseModelConfig(Text, Name);
        !Model)
      Parts.ModelError =
          "malformed configuration " + llvm::toString(Model.takeError());
  return Parts;
}

std::optional<std::string> invalidFilterRegex(const ClangTidyOptions &Options,
                                              llvm::StringRef Origin) {
  for (const auto &[Key, Value] :
       {std::pair<llvm::StringRef, const std::optional<std::string> &>{
            "HeaderFilterRegex", Options.HeaderFilterRegex},
        {"ExcludeHeaderFilterRegex", Options.ExcludeHeaderFilterRegex}}) {
    std::string Why;
    if (Value && !Value->empty() && !llvm::Regex(*Value).isValid(Why))
      return ("invalid " + Key + " '" + *Value + "' in " + Origin + ": " + Why)
          .str();
  }
  return std::nullopt;
}

llvm::StringRef modelFileOption() {
  return clang::tidy::threadleak::ModelFileOption;
}

std::string dumpConfig(const RunConfig &Config, llvm::StringRef File) {
  ClangTidyContext Context(std::make_unique<RunOptionsProvider>(Config));
  // Checks report configuration problems while they are constructed; here
  // they go nowhere (the analysis reports them).
  IgnoringDiagConsumer Ignore;
  ::threadleak::compat::TidyDiagnosticsEngine DE(Context, &Ignore);
  ClangTidyOptions Options = Context.getOptionsForFile(File);
  // Every option of the enabled checks, defaults included, as clang-tidy's
  // --dump-config shows them.
  ClangTidyOptions WithChecks = Options;
  WithChecks.CheckOptions.clear();
  Context.setCurrentFile(File);
  ClangTidyASTConsumerFactory Factory(Context);
  for (const auto &[Key, Value] : Factory.getCheckOptions())
    WithChecks.CheckOptions[Key] = Value;
  for (const auto &[Key, Value] : Options.CheckOptions)
    WithChecks.CheckOptions[Key] = Value;
  std::string Text = configurationAsText(WithChecks);
  // The concurrency model the checks read from a .threadleak.yaml is part
  // of the configuration (and of the findings cache's key).
  std::string ModelFile;
  auto It = WithChecks.CheckOptions.find(clang::tidy::threadleak::ModelFileOption);
  if (It != WithChecks.CheckOptions.end())
    ModelFile = It->second.Value;
  else
    ModelFile = clang::tidy::threadleak::findModelConfigFile(File);
  if (!ModelFile.empty()) {
    Text += "# threadleak model: " + ModelFile + "\n";
    if (auto Buffer = clang::tidy::threadleak::readInputFile(ModelFile, 16 << 20))
      for (llvm::StringRef Line :
           llvm::split((*Buffer)->getBuffer().rtrim("\n"), '\n'))
        Text += ("#   " + Line + "\n").str();
    else
      Text += "#   (unreadable)\n";
  }
  return Text;
}

namespace {
/// Installs the cross-TU ends for one analysis, and removes them.
class CrossTUScope {
public:
  explicit CrossTUScope(CrossTUMode Mode) {
    namespace crosstu = clang::tidy::threadleak::crosstu;
    if (Mode.Record)
      crosstu::setRecording(&Recorded);
    if (Mode.Read) {
      for (const auto &[Id, Text] : *Mode.Read) {
        llvm::Expected<llvm::json::Value> V = llvm::json::parse(Text);
        crosstu::FunctionSummary S;
        if (!V)
          llvm::consumeError(V.takeError());
        else if (crosstu::fromJSON(*V, S))
          Provider[Id] = std::move(S);
      }
      crosstu::setProvider(&Provider);
    }
  }
  ~CrossTUScope() {
    clang::tidy::threadleak::crosstu::setRecording(nullptr);
    clang::tidy::threadleak::crosstu::setProvider(nullptr);
  }
  void take(TUResult &R) {
    // A function defined with no fact: an empty text.
    for (const auto &[Id, Summary] : Recorded.Defined) {
      std::string Text;
      llvm::raw_string_ostream OS(Text);
      if (!Summary.empty())
        OS << clang::tidy::threadleak::crosstu::toJSON(Summary);
      R.Summaries[Id] = std::move(Text);
    }
    R.Asked.assign(Recorded.Asked.begin(), Recorded.Asked.end());
    R.Wanted.assign(Recorded.Wanted.begin(), Recorded.Wanted.end());
  }

private:
  clang::tidy::threadleak::crosstu::Recording Recorded;
  std::map<std::string, clang::tidy::threadleak::crosstu::FunctionSummary>
      Provider;
};
} // namespace

TUResult analyzeTranslationUnit(const std::string &File,
                                const tooling::CompilationDatabase &DB,
                                const RunConfig &Config, CrossTUMode Mode) {
  auto Start = std::chrono::steady_clock::now();
  TUResult Result;
  Result.File = File;
  CrossTUScope CrossTU(Mode);

  // A .clang-tidy file found next to the source may carry a bad regex: a
  // configuration error (exit 2), as the same regex on the command line.
  for (const auto &[Options, Source] :
       RunOptionsProvider(Config).getRawOptions(File))
    if (std::optional<std::string> Bad = invalidFilterRegex(Options, Source)) {
      ClangTidyError E("clang-tidy-config", tooling::Diagnostic::Error, "",
                       /*IsWarningAsError=*/false);
      E.Message.Message = *Bad;
      Result.Diagnostics.push_back(std::move(E));
      return Result;
    }

  ClangTidyContext Context(std::make_unique<RunOptionsProvider>(Config));
  // ClangTool changes the process's working directory to the command's:
  // safe, as each translation unit has a worker process of its own, and
  // needed, so that clang-tidy's .clang-tidy lookup resolves relative source
  // paths against the compile directory.
  FirstCommandDatabase OneCommand(DB);
  tooling::ClangTool Tool(OneCommand, {File});
  Tool.setPrintErrorMessage(false);

  // Extra arguments from the configuration, as clang-tidy adds them.
  Tool.appendArgumentsAdjuster(
      [&Context](const tooling::CommandLineArguments &Args,
                 llvm::StringRef Filename) {
        ClangTidyOptions Opts = Context.getOptionsForFile(Filename);
        tooling::CommandLineArguments Adjusted = Args;
        if (Opts.ExtraArgsBefore) {
          auto I = Adjusted.begin();
          if (I != Adjusted.end() && !llvm::StringRef(*I).starts_with("-"))
            ++I;
          Adjusted.insert(I, Opts.ExtraArgsBefore->begin(),
                          Opts.ExtraArgsBefore->end());
        }
        if (Opts.ExtraArgs)
          Adjusted.insert(Adjusted.end(), Opts.ExtraArgs->begin(),
                          Opts.ExtraArgs->end());
        return Adjusted;
      });
  Tool.appendArgumentsAdjuster(tooling::getStripPluginsAdjuster());
  if (!Config.RemovedArgs.empty())
    Tool.appendArgumentsAdjuster(
        [&Config](const tooling::CommandLineArguments &Args, llvm::StringRef) {
          tooling::CommandLineArguments Adjusted;
          for (size_t I = 0; I < Args.size(); ++I)
            if (I == 0 || !llvm::is_contained(Config.RemovedArgs, Args[I]))
              Adjusted.push_back(Args[I]);
          return Adjusted;
        });
  if (!Config.ResourceDir.empty()) {
    std::string ResourceArg = "-resource-dir=" + Config.ResourceDir;
    Tool.appendArgumentsAdjuster(
        [ResourceArg](const tooling::CommandLineArguments &Args,
                      llvm::StringRef) {
          if (hasResourceDirArg(Args))
            return Args;
          tooling::CommandLineArguments Adjusted = Args;
          Adjusted.insert(Adjusted.begin() + (Adjusted.empty() ? 0 : 1),
                          ResourceArg);
          return Adjusted;
        });
  }

  ClangTidyDiagnosticConsumer DiagConsumer(Context);
  ::threadleak::compat::TidyDiagnosticsEngine DE(Context, &DiagConsumer);
  Tool.setDiagnosticConsumer(&DiagConsumer);

  auto Files = std::make_shared<AllFilesCollector>();
  TidyActionFactory Factory(Context, Files);
  int Status = Tool.run(&Factory);
  CrossTU.take(Result);
  Result.Diagnostics = DiagConsumer.take();
  Result.SuppressedByNolint = Context.getStats().ErrorsIgnoredNOLINT;
  // Relative names are relative to the command's directory.
  std::vector<tooling::CompileCommand> Commands = DB.getCompileCommands(File);
  std::string Directory = Commands.empty() ? "" : Commands.front().Directory;
  for (const std::string &F : Files->getDependencies()) {
    llvm::SmallString<256> Abs(F);
    if (!llvm::sys::path::is_absolute(Abs) && !Directory.empty()) {
      Abs = Directory;
      llvm::sys::path::append(Abs, F);
    }
    // Resolved, symlinks included: "a/link/../h.h" is not "a/h.h" when
    // link is a symlink (Debian's /lib -> usr/lib, under which g++'s
    // libstdc++ headers are found), and a path that does not exist would
    // keep the unit out of the findings cache.
    llvm::SmallString<256> Real;
    if (!llvm::sys::fs::real_path(Abs, Real))
      Abs = Real;
    else
      llvm::sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
    Result.Dependencies.push_back(std::string(Abs));
  }
  // Compiler errors mean an incomplete AST; other errors (a malformed NOLINT
  // block, say) are findings like any warning.
  for (const ClangTidyError &E : Result.Diagnostics)
    if (E.DiagLevel == tooling::Diagnostic::Error &&
        llvm::StringRef(E.DiagnosticName).starts_with("clang-diagnostic-"))
      Result.CompileFailed = true;
  // A non-zero status with diagnostics is an error diagnostic (a malformed
  // NOLINT block, say): report them. Without any, the compiler never ran.
  if (Status != 0 && !Result.CompileFailed && Result.Diagnostics.empty())
    Result.ToolError = "could not be analysed (the compiler could not run)";
  Result.Seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - Start)
                       .count();
  return Result;
}

std::vector<std::string>
unknownDriverArguments(const tooling::CompileCommand &Command) {
  const std::vector<std::string> &Line = Command.CommandLine;
  if (Line.size() < 2)
    return {};
  // clang-cl's options are another table; leave its commands alone.
  llvm::StringRef Program = llvm::sys::path::stem(Line.front());
  if (Program.ends_with_insensitive("cl"))
    return {};
  std::vector<const char *> Args;
  for (size_t I = 1; I < Line.size(); ++I) {
    if (llvm::StringRef(Line[I]).starts_with("--driver-mode="))
      return {};
    Args.push_back(Line[I].c_str());
  }
  unsigned MissingIndex = 0, MissingCount = 0;
  llvm::opt::InputArgList Parsed = driverOptions().ParseArgs(
      Args, MissingIndex, MissingCount,
      llvm::opt::Visibility(llvm::opt::DefaultVis));
  std::vector<std::string> Unknown;
  for (const llvm::opt::Arg *A : Parsed)
    if (A->getOption().getKind() == llvm::opt::Option::UnknownClass)
      Unknown.push_back(A->getAsString(Parsed));
  return Unknown;
}

std::string findResourceDir(const char *Argv0) {
  auto IsDir = [](const std::string &P) {
    return !P.empty() && llvm::sys::fs::is_directory(P + "/include");
  };
  if (const char *Env = std::getenv("THREADLEAK_RESOURCE_DIR"))
    if (IsDir(Env))
      return Env;
  if (IsDir(THREADLEAK_RESOURCE_DIR))
    return THREADLEAK_RESOURCE_DIR;
  std::string Exe = llvm::sys::fs::getMainExecutable(
      Argv0, reinterpret_cast<void *>(&findResourceDir));
  llvm::SmallString<256> Dir(llvm::sys::path::parent_path(Exe));
  llvm::sys::path::append(Dir, "..", "lib", "clang",
                          llvm::StringRef(CLANG_VERSION_MAJOR_STRING));
  if (IsDir(std::string(Dir)))
    return std::string(Dir);
  return {};
}

} // namespace threadleak
