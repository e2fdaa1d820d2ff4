//===--- ModelConfig.cpp --------------------------------------------------===//

#include "model/ModelConfig.h"
#include "model/InputLimits.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/YAMLTraits.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>

using namespace clang::tidy::threadleak;

LLVM_YAML_IS_FLOW_SEQUENCE_VECTOR(ChannelSpec)
LLVM_YAML_IS_FLOW_SEQUENCE_VECTOR(CounterSpec)
LLVM_YAML_IS_FLOW_SEQUENCE_VECTOR(ContextSpec)

namespace {
/// The file's top level: only `Model` for now; an unknown key is an error
/// (a typo must not silently disable a user's model).
struct ConfigFile {
  std::optional<ModelConfig> Model;
};
} // namespace

namespace {
/// A model entry's class name without blanks and leading "::"; false if
/// nothing is left.
bool normalizeClassName(std::string &Type) {
  llvm::StringRef T = llvm::StringRef(Type).trim();
  T.consume_front("::");
  Type = T.str();
  return !T.empty();
}

/// Trims each operation name of \p Lists; the first that is empty or
/// qualified, if any.
std::optional<std::string> normalizeOperationNames(
    std::initializer_list<std::vector<std::string> *> Lists) {
  for (std::vector<std::string> *List : Lists)
    for (std::string &Op : *List) {
      llvm::StringRef O = llvm::StringRef(Op).trim();
      if (O.empty() || O.contains(':'))
        return Op;
      Op = O.str();
    }
  return std::nullopt;
}
} // namespace

namespace llvm::yaml {

template <> struct MappingTraits<ChannelSpec> {
  static void mapping(IO &IO, ChannelSpec &S) {
    IO.mapRequired("Type", S.Type);
    IO.mapOptional("Receive", S.Receive);
    IO.mapOptional("Send", S.Send);
    IO.mapOptional("TrySend", S.TrySend);
    IO.mapOptional("TryReceive", S.TryReceive);
    IO.mapOptional("Close", S.Close);
    IO.mapOptional("WakesOnlyReceivers", S.WakesOnlyReceivers);
    IO.mapOptional("CapacityArgument", S.CapacityArgument);
    IO.mapOptional("DefaultCapacity", S.DefaultCapacity);
    IO.mapOptional("CapacitySetters", S.CapacitySetters);
    IO.mapOptional("Unbuffered", S.Unbuffered, false);
    IO.mapOptional("RangeReceives", S.RangeReceives, false);
  }
  static std::string validate(IO &, ChannelSpec &S) {
    if (!normalizeClassName(S.Type))
      return "a channel's 'Type' must name a class";
    if (std::optional<std::string> Bad = normalizeOperationNames(
            {&S.Receive, &S.Send, &S.TrySend, &S.TryReceive, &S.Close,
             &S.WakesOnlyReceivers, &S.CapacitySetters}))
      return "channel operation '" + *Bad +
             "' must be an unqualified name such as 'pop' or "
             "'operator>>'";
    for (const std::string &Op : S.WakesOnlyReceivers)
      if (!llvm::is_contained(S.Close, Op))
        return "'" + Op + "' in 'WakesOnlyReceivers' must also be in 'Close'";
    if (S.Unbuffered && S.CapacityArgument)
      return "channel '" + S.Type +
             "' cannot be both 'Unbuffered' and have a 'CapacityArgument'";
    if (S.Unbuffered && !S.CapacitySetters.empty())
      return "channel '" + S.Type +
             "' cannot be both 'Unbuffered' and have 'CapacitySetters'";
    return "";
  }
};

template <> struct MappingTraits<CounterSpec> {
  static void mapping(IO &IO, CounterSpec &S) {
    IO.mapRequired("Type", S.Type);
    IO.mapOptional("Add", S.Add);
    IO.mapOptional("Done", S.Done);
    IO.mapRequired("Wait", S.Wait);
  }
  static std::string validate(IO &, CounterSpec &S) {
    if (!normalizeClassName(S.Type))
      return "a wait group's 'Type' must name a class";
    if (S.Wait.empty() || S.Done.empty())
      return "wait group '" + S.Type + "' needs 'Wait' and 'Done' operations";
    if (std::optional<std::string> Bad =
            normalizeOperationNames({&S.Add, &S.Done, &S.Wait}))
      return "wait group operation '" + *Bad +
             "' must be an unqualified member name such as 'wait'";
    return "";
  }
};

template <> struct MappingTraits<ContextSpec> {
  static void mapping(IO &IO, ContextSpec &S) {
    IO.mapRequired("Type", S.Type);
    IO.mapRequired("Done", S.Done);
    IO.mapOptional("Cancel", S.Cancel);
    IO.mapOptional("WithCancel", S.WithCancel);
    IO.mapOptional("Background", S.Background);
  }
  static std::string validate(IO &, ContextSpec &S) {
    if (!normalizeClassName(S.Type))
      return "a context's 'Type' must name a class";
    if (S.Done.empty())
      return "context '" + S.Type + "' needs a 'Done' member";
    if (std::optional<std::string> Bad =
            normalizeOperationNames({&S.Done, &S.Cancel}))
      return "context member '" + *Bad +
             "' must be an unqualified member name such as 'done'";
    for (std::vector<std::string> *L : {&S.WithCancel, &S.Background})
      for (std::string &F : *L)
        if (!normalizeClassName(F))
          return "context function '" + F + "' must be a qualified name";
    return "";
  }
};

template <> struct MappingTraits<ModelConfig::SelectCaseSpec> {
  static void mapping(IO &IO, ModelConfig::SelectCaseSpec &S) {
    IO.mapOptional("Receive", S.Receive);
    IO.mapOptional("Send", S.Send);
    IO.mapOptional("Default", S.Default);
  }
};

template <> struct MappingTraits<ModelConfig> {
  static void mapping(IO &IO, ModelConfig &M) {
    IO.mapOptional("Channels", M.Channels);
    IO.mapOptional("WaitGroups", M.WaitGroups);
    IO.mapOptional("Contexts", M.Contexts);
    IO.mapOptional("ThreadTypes", M.ThreadTypes);
    IO.mapOptional("SpawnFunctions", M.SpawnFunctions);
    IO.mapOptional("DetachedSpawnFunctions", M.DetachedSpawnFunctions);
    IO.mapOptional("DetachedCoroutineTypes", M.DetachedCoroutineTypes);
    IO.mapOptional("ScopedSpawnFunctions", M.ScopedSpawnFunctions);
    IO.mapOptional("StopSignalFunctions", M.StopSignalFunctions);
    IO.mapOptional("BlockingFunctions", M.BlockingFunctions);
    IO.mapOptional("SelectFunctions", M.SelectFunctions);
    IO.mapOptional("SelectCases", M.SelectCases);
    IO.mapOptional("ConditionVariableTypes", M.ConditionVariableTypes);
    IO.mapOptional("WriterPreferringMutexes", M.WriterPreferringMutexes);
    IO.mapOptional("StopMethods", M.StopMethods);
  }
};

template <> struct MappingTraits<ConfigFile> {
  static void mapping(IO &IO, ConfigFile &F) {
    IO.mapOptional("Model", F.Model);
  }
};

} // namespace llvm::yaml

namespace clang::tidy::threadleak {

namespace {

/// Runs YAML I/O over \p Text, turning the first diagnostic into
/// "<Name>:<line>:<col>: <message>".
/// The first alias (*name) in \p N. LLVM's YAML I/O does not support them,
/// and crashes on a document that is one ("*a" as a list): they are refused.
/// (The recursion is bounded: the nesting was checked first.)
const llvm::yaml::Node *findAlias(llvm::yaml::Node *N) {
  if (!N || llvm::isa<llvm::yaml::AliasNode>(N))
    return N;
  if (auto *M = llvm::dyn_cast<llvm::yaml::MappingNode>(N)) {
    for (llvm::yaml::KeyValueNode &KV : *M) {
      if (const llvm::yaml::Node *A = findAlias(KV.getKey()))
        return A;
      if (const llvm::yaml::Node *A = findAlias(KV.getValue()))
        return A;
    }
  } else if (auto *S = llvm::dyn_cast<llvm::yaml::SequenceNode>(N)) {
    for (llvm::yaml::Node &E : *S)
      if (const llvm::yaml::Node *A = findAlias(&E))
        return A;
  }
  return nullptr;
}

template <typename T>
llvm::Expected<T> parseWith(llvm::StringRef Text, llvm::StringRef Name) {
  // The YAML parser recurses once per level: bound the nesting first.
  if (auto Deep = findExcessiveNesting(Text))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   (Name + ":" + llvm::Twine(Deep->Line) + ":" +
                                    llvm::Twine(Deep->Column) + ": " +
                                    nestingMessage())
                                       .str());
  {
    llvm::SourceMgr SM;
    SM.setDiagHandler([](const llvm::SMDiagnostic &, void *) {});
    llvm::yaml::Stream S(Text, SM);
    for (llvm::yaml::Document &D : S) {
      llvm::yaml::Node *Root = D.getRoot();
      const llvm::yaml::Node *A = Root ? findAlias(Root) : nullptr;
      // (An alias node's source range is not reliable: no line here.)
      if (A && llvm::isa<llvm::yaml::AliasNode>(A))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            (Name + ": YAML aliases (*name) are not supported").str());
      break; // Only the first document is read.
    }
  }
  std::string Problem;
  auto Handler = [](const llvm::SMDiagnostic &D, void *Ctx) {
    auto &P = *static_cast<std::string *>(Ctx);
    if (!P.empty() || D.getKind() != llvm::SourceMgr::DK_Error)
      return;
    llvm::raw_string_ostream OS(P);
    OS << ":" << D.getLineNo() << ":" << (D.getColumnNo() + 1) << ": "
       << D.getMessage();
  };
  T Value{};
  llvm::yaml::Input In(Text, nullptr, Handler, &Problem);
  // An empty document is an empty model, not an error.
  if (!Text.trim().empty())
    In >> Value;
  if (In.error() || !Problem.empty()) {
    if (Problem.empty())
      Problem = ": " + In.error().message();
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   (Name + Problem).str());
  }
  return Value;
}

} // namespace

SplitConfig splitConfigText(llvm::StringRef Text) {
  // clang-tidy's configuration keys (ClangTidyOptions.cpp's mapping).
  static const char *const TidyKeys[] = {"Checks",
                                         "WarningsAsErrors",
                                         "HeaderFileExtensions",
                                         "ImplementationFileExtensions",
                                         "HeaderFilterRegex",
                                         "ExcludeHeaderFilterRegex",
                                         "FormatStyle",
                                         "User",
                                         "CheckOptions",
                                         "ExtraArgs",
                                         "ExtraArgsBefore",
                                         "RemovedArgs",
                                         "InheritParentConfig",
                                         "UseColor",
                                         "SystemHeaders",
                                         "CustomChecks"};
  SplitConfig Out;
  Out.Model = Text.str();
  Out.Tidy = Text.str();
  llvm::SourceMgr SM;
  SM.setDiagHandler([](const llvm::SMDiagnostic &, void *) {});
  llvm::yaml::Stream S(Text, SM);
  auto Doc = S.begin();
  if (Doc == S.end())
    return Out;
  auto *Map = llvm::dyn_cast_or_null<llvm::yaml::MappingNode>(Doc->getRoot());
  if (!Map)
    return Out;
  auto Blank = [&](std::string &T, llvm::SMRange R) {
    size_t B = R.Start.getPointer() - Text.data();
    size_t E = R.End.getPointer() - Text.data();
    for (size_t I = B; I < E && I < T.size(); ++I)
      if (T[I] != '\n')
        T[I] = ' ';
  };
  // Each top-level key owns the text up to the next one (node ranges do
  // not cover a block mapping's value reliably).
  struct Entry {
    std::string Name;
    const char *Begin;
  };
  std::vector<Entry> Entries;
  for (llvm::yaml::KeyValueNode &KV : *Map) {
    auto *Key = llvm::dyn_cast_or_null<llvm::yaml::ScalarNode>(KV.getKey());
    if (!Key)
      return Out; // malformed: let the strict parsers say so
    llvm::SmallString<32> Storage;
    Entries.push_back({Key->getValue(Storage).str(),
                       Key->getSourceRange().Start.getPointer()});
    KV.skip();
  }
  for (size_t I = 0; I < Entries.size(); ++I) {
    const char *End =
        I + 1 < Entries.size() ? Entries[I + 1].Begin : Text.end();
    llvm::SMRange R(llvm::SMLoc::getFromPointer(Entries[I].Begin),
                    llvm::SMLoc::getFromPointer(End));
    if (Entries[I].Name == "Model")
      Out.HasModel = true;
    if (llvm::is_contained(TidyKeys, Entries[I].Name))
      Blank(Out.Model, R);
    else
      Blank(Out.Tidy, R);
  }
  if (S.failed())
    return SplitConfig{Text.str(), Text.str(), Out.HasModel};
  return Out;
}

llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef Text,
                                             llvm::StringRef Name) {
  // Before splitConfigText, whose YAML parse recurses as deep as the text
  // nests.
  if (findExcessiveNesting(Text))
    return parseWith<ConfigFile>(Text, Name).takeError();
  // clang-tidy's keys may sit next to the model; they are not ours.
  std::string Own = splitConfigText(Text).Model;
  auto File = parseWith<ConfigFile>(Own, Name);
  if (!File)
    return File.takeError();
  return File->Model.value_or(ModelConfig());
}

llvm::Expected<std::vector<ChannelSpec>>
parseChannelSpecs(llvm::StringRef Text, llvm::StringRef Name) {
  return parseWith<std::vector<ChannelSpec>>(Text, Name);
}

std::string channelSpecsToString(const std::vector<ChannelSpec> &Specs) {
  if (Specs.empty())
    return "";
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  auto List = [&](llvm::StringRef Key, const std::vector<std::string> &V) {
    if (V.empty())
      return;
    OS << ", " << Key << ": [";
    for (size_t I = 0; I < V.size(); ++I)
      OS << (I ? ", " : "") << "'" << V[I] << "'";
    OS << "]";
  };
  OS << "[";
  for (size_t I = 0; I < Specs.size(); ++I) {
    const ChannelSpec &S = Specs[I];
    OS << (I ? ", " : "") << "{Type: '" << S.Type << "'";
    List("Receive", S.Receive);
    List("Send", S.Send);
    List("TrySend", S.TrySend);
    List("TryReceive", S.TryReceive);
    List("Close", S.Close);
    List("WakesOnlyReceivers", S.WakesOnlyReceivers);
    if (S.CapacityArgument)
      OS << ", CapacityArgument: " << *S.CapacityArgument;
    if (S.DefaultCapacity)
      OS << ", DefaultCapacity: " << *S.DefaultCapacity;
    List("CapacitySetters", S.CapacitySetters);
    if (S.Unbuffered)
      OS << ", Unbuffered: true";
    if (S.RangeReceives)
      OS << ", RangeReceives: true";
    OS << "}";
  }
  OS << "]";
  return Out;
}

std::string findModelConfigFile(llvm::StringRef File) {
  llvm::SmallString<256> Dir(File);
  llvm::sys::fs::make_absolute(Dir);
  llvm::sys::path::remove_dots(Dir, /*remove_dot_dot=*/true);
  llvm::StringRef D = llvm::sys::path::parent_path(Dir);
  for (; !D.empty(); D = llvm::sys::path::parent_path(D)) {
    llvm::SmallString<256> Candidate(D);
    llvm::sys::path::append(Candidate, ".threadleak.yaml");
    if (llvm::sys::fs::is_regular_file(Candidate))
      return std::string(Candidate);
  }
  return "";
}

const LoadedModelConfig &loadModelConfig(llvm::StringRef Path) {
  // One parse per file per process: every check instance of every TU asks.
  static llvm::StringMap<std::unique_ptr<LoadedModelConfig>> Cache;
  auto &Slot = Cache[Path];
  if (Slot)
    return *Slot;
  Slot = std::make_unique<LoadedModelConfig>();
  // Only a regular file of bounded size: a FIFO would hang, /dev/zero
  // would be read without end.
  auto Buffer = readInputFile(Path, /*MaxBytes=*/16 << 20);
  if (!Buffer) {
    Slot->Error =
        ("cannot read '" + Path + "': " + inputFileError(Buffer.getError()))
            .str();
    return *Slot;
  }
  if (auto Parsed = parseModelConfig((*Buffer)->getBuffer(), Path))
    Slot->Model = std::move(*Parsed);
  else
    Slot->Error =
        "malformed configuration " + llvm::toString(Parsed.takeError());
  return *Slot;
}

} // namespace clang::tidy::threadleak
