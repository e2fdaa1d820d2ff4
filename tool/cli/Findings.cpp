//===--- Findings.cpp -----------------------------------------------------===//

#include "Findings.h"
#include "model/InputLimits.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include <algorithm>
#include <map>
#include <tuple>

using namespace clang;

namespace threadleak {

std::optional<std::pair<unsigned, unsigned>>
findExcessiveNesting(llvm::StringRef Text) {
  if (auto P = clang::tidy::threadleak::findExcessiveNesting(Text))
    return std::make_pair(P->Line, P->Column);
  return std::nullopt;
}

std::string nestingMessage() {
  return clang::tidy::threadleak::nestingMessage();
}

llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(llvm::StringRef Path) {
  return clang::tidy::threadleak::readInputFile(Path);
}

std::string inputFileError(std::error_code EC) {
  return clang::tidy::threadleak::inputFileError(EC);
}

llvm::Expected<llvm::json::Value> parseJSONInput(llvm::StringRef Text) {
  if (auto Deep = clang::tidy::threadleak::findExcessiveNesting(Text))
    return llvm::createStringError(
        std::errc::invalid_argument, "%s",
        clang::tidy::threadleak::nestingMessage().c_str());
  return llvm::json::parse(Text);
}

std::string diagnosticPath(llvm::StringRef FilePath,
                           llvm::StringRef BuildDirectory) {
  llvm::SmallString<256> Path(FilePath);
  if (!Path.empty() && !llvm::sys::path::is_absolute(Path) &&
      !BuildDirectory.empty()) {
    llvm::SmallString<256> Abs(BuildDirectory);
    llvm::sys::path::append(Abs, Path);
    Path = Abs;
  }
  llvm::sys::path::remove_dots(Path, /*remove_dot_dot=*/true);
  return std::string(Path);
}

const SourceCache::File *SourceCache::load(llvm::StringRef Path) {
  auto It = Files.find(Path);
  if (It != Files.end())
    return It->second.Buffer ? &It->second : nullptr;
  File &F = Files[Path];
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Buf)
    return nullptr;
  F.Buffer = std::move(*Buf);
  llvm::StringRef Text = F.Buffer->getBuffer();
  F.LineStarts.push_back(0);
  for (unsigned I = 0; I < Text.size(); ++I)
    if (Text[I] == '\n')
      F.LineStarts.push_back(I + 1);
  return &F;
}

void SourceCache::resolve(SourceLocation &Loc) {
  const File *F = Loc.Path.empty() ? nullptr : load(Loc.Path);
  if (!F)
    return;
  auto It = std::upper_bound(F->LineStarts.begin(), F->LineStarts.end(),
                             Loc.Offset);
  Loc.Line = unsigned(It - F->LineStarts.begin());
  Loc.Column = Loc.Offset - F->LineStarts[Loc.Line - 1] + 1;
}

llvm::StringRef SourceCache::lineText(llvm::StringRef Path, unsigned Line) {
  const File *F = load(Path);
  if (!F || Line == 0 || Line > F->LineStarts.size())
    return {};
  llvm::StringRef Text = F->Buffer->getBuffer().substr(F->LineStarts[Line - 1]);
  return Text.split('\n').first.rtrim("\r");
}

const std::string &SourceCache::normalizedLine(llvm::StringRef Path,
                                              unsigned Line) {
  auto Key = std::make_pair(Path.str(), Line);
  auto It = Normalized.find(Key);
  if (It != Normalized.end())
    return It->second;
  std::string Out;
  for (char C : lineText(Path, Line))
    if (!llvm::isSpace(C))
      Out += C;
  // A long line (minified or generated code) is not stored whole with every
  // finding on it: its beginning and a hash of the rest stand for it.
  if (Out.size() > MaxNormalizedLine) {
    llvm::SHA256 Hash;
    Hash.update(Out);
    auto Digest = Hash.final();
    Out = Out.substr(0, MaxNormalizedLine - 40) + "...sha256:" +
          llvm::toHex(llvm::ArrayRef<uint8_t>(Digest).take_front(16),
                      /*LowerCase=*/true);
  }
  return Normalized.emplace(std::move(Key), std::move(Out)).first->second;
}

Excerpt excerptAround(llvm::StringRef Line, unsigned Column) {
  Excerpt E;
  if (Line.size() <= MaxExcerptBytes) {
    E.Text = Line.str();
    for (unsigned I = 0; I + 1 < Column && I < Line.size(); ++I)
      E.Caret += Line[I] == '\t' ? '\t' : ' ';
    return E;
  }
  // A window around the column, cut at UTF-8 character boundaries.
  size_t At = std::min<size_t>(Column ? Column - 1 : 0, Line.size());
  size_t Begin = At > MaxExcerptBytes / 3 ? At - MaxExcerptBytes / 3 : 0;
  size_t End = std::min(Line.size(), Begin + MaxExcerptBytes);
  if (End == Line.size() && End > MaxExcerptBytes)
    Begin = std::min(Begin, End - MaxExcerptBytes);
  auto Continuation = [&](size_t I) {
    return I < Line.size() && (uint8_t(Line[I]) & 0xC0) == 0x80;
  };
  while (Begin > 0 && Continuation(Begin))
    --Begin;
  while (End < Line.size() && Continuation(End))
    --End;
  if (Begin > 0) {
    E.Text = "...";
    E.Caret = "   ";
  }
  E.Text += Line.slice(Begin, End).str();
  if (End < Line.size())
    E.Text += "...";
  for (size_t I = Begin; I < At && I < End; ++I)
    E.Caret += Line[I] == '\t' ? '\t' : ' ';
  return E;
}

Finding toFinding(const tidy::ClangTidyError &Error, SourceCache &Cache) {
  Finding F;
  F.Check = Error.DiagnosticName;
  F.Level = (Error.DiagLevel == tooling::Diagnostic::Error ||
             Error.IsWarningAsError)
                ? "error"
                : "warning";
  F.Message = Error.Message.Message;
  if (!Error.Message.FilePath.empty()) {
    F.Loc.Path = diagnosticPath(Error.Message.FilePath, Error.BuildDirectory);
    F.Loc.Offset = Error.Message.FileOffset;
    Cache.resolve(F.Loc);
  }
  for (const tooling::DiagnosticMessage &M : Error.Notes) {
    Note N;
    N.Message = M.Message;
    if (!M.FilePath.empty()) {
      N.Loc.Path = diagnosticPath(M.FilePath, Error.BuildDirectory);
      N.Loc.Offset = M.FileOffset;
      Cache.resolve(N.Loc);
    }
    F.Notes.push_back(std::move(N));
  }
  auto Ranges = [&](const tooling::DiagnosticMessage &M) {
    std::vector<SourceRange> Out;
    for (const tooling::FileByteRange &R : M.Ranges)
      if (!R.FilePath.empty())
        Out.push_back(SourceRange{
            diagnosticPath(R.FilePath, Error.BuildDirectory), R.FileOffset,
            R.Length});
    return Out;
  };
  F.Ranges = Ranges(Error.Message);
  for (size_t I = 0; I < Error.Notes.size(); ++I)
    F.Notes[I].Ranges = Ranges(Error.Notes[I]);
  F.BuildDirectory = Error.BuildDirectory;
  F.WarningAsError = Error.IsWarningAsError;
  // The warning's own fix-it, as clang-tidy --fix applies it; the compiler's
  // fix-its only with clang-tidy's --fix-errors, which threadleak has not.
  if (!F.isCompilerDiagnostic()) {
    for (const auto &[File, Reps] : Error.Message.Fix)
      for (const tooling::Replacement &R : Reps)
        F.Fixes.push_back(Replacement{
            diagnosticPath(R.getFilePath(), Error.BuildDirectory),
            R.getOffset(), R.getLength(), R.getReplacementText().str()});
    std::stable_sort(F.Fixes.begin(), F.Fixes.end(),
                     [](const Replacement &A, const Replacement &B) {
                       return std::tie(A.Path, A.Offset, A.Length) <
                              std::tie(B.Path, B.Offset, B.Length);
                     });
  }
  F.LineContent = Cache.normalizedLine(F.Loc.Path, F.Loc.Line);
  // The path's lines too (where the thread starts, the loop): two different
  // threads ending in the same `}).detach();` line are told apart.
  for (const Note &N : F.Notes)
    F.PathContent += Cache.normalizedLine(N.Loc.Path, N.Loc.Line) + "\n";
  return F;
}

std::string relativeTo(llvm::StringRef Path, llvm::StringRef Root) {
  if (Root.empty() || Path.empty())
    return Path.str();
  llvm::SmallString<256> R(Root);
  llvm::sys::path::remove_dots(R, true);
  if (!R.ends_with("/"))
    R += "/";
  if (Path.starts_with(R))
    return Path.drop_front(R.size()).str();
  return Path.str();
}

void finalizeFindings(std::vector<Finding> &Findings, llvm::StringRef Root) {
  auto Key = [](const Finding &F) {
    return std::tie(F.Loc.Path, F.Loc.Offset, F.Check, F.Message);
  };
  std::stable_sort(Findings.begin(), Findings.end(),
                   [&](const Finding &A, const Finding &B) {
                     return Key(A) < Key(B);
                   });
  Findings.erase(std::unique(Findings.begin(), Findings.end(),
                             [&](const Finding &A, const Finding &B) {
                               return Key(A) == Key(B);
                             }),
                 Findings.end());
  // Identical content in one file (two copies of the same spawn) is told
  // apart by its rank, which survives edits elsewhere in the file.
  std::map<std::string, unsigned> Seen;
  for (Finding &F : Findings) {
    std::string Content = F.Check + '\0' + relativeTo(F.Loc.Path, Root) +
                          '\0' + F.Message + '\0' + F.LineContent + '\0' +
                          F.PathContent;
    unsigned Rank = Seen[Content]++;
    llvm::SHA256 Hash;
    Hash.update(Content);
    Hash.update(llvm::StringRef("\0", 1));
    Hash.update(std::to_string(Rank));
    auto Digest = Hash.final();
    F.Fingerprint = llvm::toHex(llvm::ArrayRef<uint8_t>(Digest).take_front(16),
                                /*LowerCase=*/true);
  }
}

llvm::json::Value toJSON(const SourceLocation &L, llvm::StringRef Root) {
  return llvm::json::Object{{"file", relativeTo(L.Path, Root)},
                            {"offset", L.Offset},
                            {"line", L.Line},
                            {"column", L.Column}};
}

llvm::json::Value toJSON(const Finding &F, llvm::StringRef Root) {
  llvm::json::Array Notes;
  for (const Note &N : F.Notes) {
    llvm::json::Object O = *toJSON(N.Loc, Root).getAsObject();
    O["message"] = N.Message;
    Notes.push_back(std::move(O));
  }
  llvm::json::Object O = *toJSON(F.Loc, Root).getAsObject();
  O["check"] = F.Check;
  O["level"] = F.Level;
  O["message"] = F.Message;
  O["notes"] = std::move(Notes);
  O["fingerprint"] = F.Fingerprint;
  O["normalizedLine"] = F.LineContent;
  O["normalizedPath"] = F.PathContent;
  return O;
}

static bool readLocation(const llvm::json::Object &O, SourceLocation &L) {
  auto File = O.getString("file");
  auto Offset = O.getInteger("offset");
  auto Line = O.getInteger("line");
  auto Column = O.getInteger("column");
  if (!File || !Offset || !Line || !Column)
    return false;
  L.Path = File->str();
  L.Offset = unsigned(*Offset);
  L.Line = unsigned(*Line);
  L.Column = unsigned(*Column);
  return true;
}

bool fromJSON(const llvm::json::Value &V, Finding &F, llvm::json::Path P) {
  const llvm::json::Object *O = V.getAsObject();
  if (!O || !readLocation(*O, F.Loc)) {
    P.report("expected a finding");
    return false;
  }
  auto Check = O->getString("check");
  auto Level = O->getString("level");
  auto Message = O->getString("message");
  const llvm::json::Array *Notes = O->getArray("notes");
  if (!Check || !Level || !Message || !Notes) {
    P.report("expected check, level, message and notes");
    return false;
  }
  F.Check = Check->str();
  F.Level = Level->str();
  F.Message = Message->str();
  if (auto FP = O->getString("fingerprint"))
    F.Fingerprint = FP->str();
  if (auto LC = O->getString("normalizedLine"))
    F.LineContent = LC->str();
  if (auto PC = O->getString("normalizedPath"))
    F.PathContent = PC->str();
  for (const llvm::json::Value &NV : *Notes) {
    const llvm::json::Object *NO = NV.getAsObject();
    Note N;
    auto NM = NO ? NO->getString("message") : std::nullopt;
    if (!NO || !NM || !readLocation(*NO, N.Loc)) {
      P.report("expected a note");
      return false;
    }
    N.Message = NM->str();
    F.Notes.push_back(std::move(N));
  }
  return true;
}

void addTransportFields(const Finding &F, llvm::json::Object &O) {
  auto RangesJSON = [](const std::vector<SourceRange> &Ranges) {
    llvm::json::Array A;
    for (const SourceRange &R : Ranges)
      A.push_back(llvm::json::Array{R.Path, R.Offset, R.Length});
    return A;
  };
  if (!F.Ranges.empty())
    O["ranges"] = RangesJSON(F.Ranges);
  llvm::json::Array NoteRanges;
  bool AnyNoteRange = false;
  for (const Note &N : F.Notes) {
    AnyNoteRange |= !N.Ranges.empty();
    NoteRanges.push_back(RangesJSON(N.Ranges));
  }
  if (AnyNoteRange)
    O["noteRanges"] = std::move(NoteRanges);
  if (!F.Fixes.empty()) {
    llvm::json::Array Fixes;
    for (const Replacement &R : F.Fixes)
      Fixes.push_back(llvm::json::Array{R.Path, R.Offset, R.Length, R.Text});
    O["fixes"] = std::move(Fixes);
  }
  if (!F.BuildDirectory.empty())
    O["buildDirectory"] = F.BuildDirectory;
  if (F.WarningAsError)
    O["warningAsError"] = true;
}

static bool readRanges(const llvm::json::Value &V,
                       std::vector<SourceRange> &Out) {
  const llvm::json::Array *A = V.getAsArray();
  if (!A)
    return false;
  for (const llvm::json::Value &E : *A) {
    const llvm::json::Array *T = E.getAsArray();
    if (!T || T->size() != 3)
      return false;
    auto Path = (*T)[0].getAsString();
    auto Offset = (*T)[1].getAsUINT64();
    auto Length = (*T)[2].getAsUINT64();
    if (!Path || !Offset || !Length || *Offset > UINT32_MAX ||
        *Length > UINT32_MAX)
      return false;
    Out.push_back(SourceRange{Path->str(), unsigned(*Offset), unsigned(*Length)});
  }
  return true;
}

bool readTransportFields(const llvm::json::Object &O, Finding &F) {
  if (const llvm::json::Value *R = O.get("ranges"))
    if (!readRanges(*R, F.Ranges))
      return false;
  if (const llvm::json::Value *NR = O.get("noteRanges")) {
    const llvm::json::Array *A = NR->getAsArray();
    if (!A || A->size() != F.Notes.size())
      return false;
    for (size_t I = 0; I < A->size(); ++I)
      if (!readRanges((*A)[I], F.Notes[I].Ranges))
        return false;
  }
  if (const llvm::json::Value *Fx = O.get("fixes")) {
    const llvm::json::Array *A = Fx->getAsArray();
    if (!A)
      return false;
    for (const llvm::json::Value &E : *A) {
      const llvm::json::Array *T = E.getAsArray();
      if (!T || T->size() != 4)
        return false;
      auto Path = (*T)[0].getAsString();
      auto Offset = (*T)[1].getAsUINT64();
      auto Length = (*T)[2].getAsUINT64();
      auto Text = (*T)[3].getAsString();
      if (!Path || !Offset || !Length || !Text || *Offset > UINT32_MAX ||
          *Length > UINT32_MAX)
        return false;
      F.Fixes.push_back(Replacement{Path->str(), unsigned(*Offset),
                                    unsigned(*Length), Text->str()});
    }
  }
  if (auto B = O.getString("buildDirectory"))
    F.BuildDirectory = B->str();
  F.WarningAsError = O.getBoolean("warningAsError").value_or(false);
  return true;
}

namespace {

/// Colours as clang's TextDiagnostic uses them.
constexpr auto NoteColor = llvm::raw_ostream::BLACK;
constexpr auto WarningColor = llvm::raw_ostream::MAGENTA;
constexpr auto ErrorColor = llvm::raw_ostream::RED;
constexpr auto CaretColor = llvm::raw_ostream::GREEN;
constexpr auto HelpColor = llvm::raw_ostream::CYAN;

class Painter {
public:
  Painter(llvm::raw_ostream &OS, bool Color) : OS(OS), Color(Color) {}
  void bold() {
    if (Color)
      OS.changeColor(llvm::raw_ostream::SAVEDCOLOR, /*Bold=*/true);
  }
  void color(llvm::raw_ostream::Colors C) {
    if (Color)
      OS.changeColor(C, /*Bold=*/true);
  }
  void reset() {
    if (Color)
      OS.resetColor();
  }

private:
  llvm::raw_ostream &OS;
  bool Color;
};

/// The line under an excerpt: '~' under what \p Ranges cover of line \p
/// Line, '^' at the location. Tabs are kept, so that the marks line up.
std::string markerLine(const SourceLocation &Loc,
                       const std::vector<SourceRange> &Ranges,
                       llvm::StringRef LineText, const Excerpt &E,
                       SourceCache &Cache) {
  std::string Marks = E.Caret + "^";
  // Ranges only on lines printed whole (a cut line has no room for them).
  if (Ranges.empty() || LineText.size() > MaxExcerptBytes)
    return Marks;
  std::string Under(LineText.size() + 1, ' ');
  for (size_t I = 0; I < LineText.size(); ++I)
    if (LineText[I] == '\t')
      Under[I] = '\t';
  bool Any = false;
  for (const SourceRange &R : Ranges) {
    if (R.Path != Loc.Path)
      continue;
    SourceLocation B{R.Path, R.Offset}, End{R.Path, R.Offset + R.Length};
    Cache.resolve(B);
    Cache.resolve(End);
    if (B.Line == 0 || B.Line > Loc.Line || End.Line < Loc.Line)
      continue;
    size_t From = B.Line < Loc.Line ? 0 : B.Column - 1;
    size_t To = End.Line > Loc.Line ? LineText.size() : End.Column - 1;
    for (size_t I = From; I < To && I < LineText.size(); ++I)
      if (LineText[I] != '\t')
        Under[I] = '~', Any = true;
  }
  if (!Any)
    return Marks;
  size_t At = Loc.Column ? Loc.Column - 1 : 0;
  if (At < Under.size())
    Under[At] = '^';
  return llvm::StringRef(Under).rtrim().str();
}

void printOne(const SourceLocation &Loc, llvm::StringRef Level,
              llvm::StringRef Message, llvm::StringRef Suffix,
              const std::vector<SourceRange> &Ranges, SourceCache &Cache,
              llvm::raw_ostream &OS, const TextStyle &Style) {
  Painter P(OS, Style.Color);
  auto Header = [&] {
    auto LevelColor = Level == "error"     ? ErrorColor
                      : Level == "warning" ? WarningColor
                                           : NoteColor;
    P.color(LevelColor);
    OS << Level << ":";
    P.reset();
    OS << " ";
    P.bold();
    OS << Message << Suffix;
    P.reset();
    OS << "\n";
  };
  if (Loc.Path.empty()) {
    Header();
    return;
  }
  P.bold();
  if (Loc.Line == 0)
    OS << Loc.Path << ": ";
  else
    OS << Loc.Path << ":" << Loc.Line << ":" << Loc.Column << ": ";
  P.reset();
  Header();
  if (Loc.Line == 0)
    return;
  llvm::StringRef LineText = Cache.lineText(Loc.Path, Loc.Line);
  Excerpt E = excerptAround(LineText, Loc.Column);
  OS << E.Text << "\n";
  P.color(CaretColor);
  OS << markerLine(Loc, Ranges, LineText, E, Cache);
  P.reset();
  OS << "\n";
}

} // namespace

llvm::StringRef checkHelp(llvm::StringRef Check) {
  static const std::pair<llvm::StringRef, llvm::StringRef> Help[] = {
      {"threadleak-blocked-forever",
       "release every mutex on every path (a std::lock_guard or "
       "std::scoped_lock), take mutexes in one order, and do not block on a "
       "channel or a wait while holding a mutex the partner needs"},
      {"threadleak-channel-recv-no-close",
       "close the channel on every path of its owner (a scope guard, or a "
       "close before each early return and in a catch (...) that rethrows)"},
      {"threadleak-channel-send-no-receiver",
       "give the channel capacity 1 for a single result, or close or cancel "
       "it on the path where the receiver gives up"},
      {"threadleak-cv-lost-wakeup",
       "change the predicate's state while holding the waiter's mutex, "
       "before the notify (the notify may follow the unlock); let the "
       "predicate check every flag the waiter leaves on, and wake every "
       "waiter (notify_all) for a flag they all leave on"},
      {"threadleak-cv-wait-no-stop",
       "make the predicate read a stopping flag, set it under the lock and "
       "notify_all() on the stop path, or wait with "
       "condition_variable_any::wait(lock, stop_token, pred)"},
      {"threadleak-detached-no-stop",
       "give the thread a stop signal (a std::stop_token, an atomic flag "
       "set on shutdown, a closed channel), or make it a member std::jthread"},
      {"threadleak-jthread-ignores-stop",
       "take a std::stop_token as the callable's first parameter and leave "
       "the loop (or the wait) when stop is requested"},
      {"threadleak-select-loop-no-exit",
       "give the loop a way out: leave it on a closed or cancelled channel, "
       "an error, or a stop or cancellation check"},
  };
  for (const auto &[Name, Text] : Help)
    if (Name == Check)
      return Text;
  return {};
}

void printNote(const SourceLocation &Loc, llvm::StringRef Message,
               SourceCache &Cache, llvm::raw_ostream &OS,
               const TextStyle &Style) {
  printOne(Loc, "note", Message, "", {}, Cache, OS, Style);
}

void printText(const Finding &F, SourceCache &Cache, llvm::raw_ostream &OS,
               const TextStyle &Style) {
  std::string Suffix = " [" + F.Check;
  if (F.WarningAsError)
    Suffix += ",-warnings-as-errors";
  Suffix += "]";
  printOne(F.Loc, F.Level, F.Message, Suffix, F.Ranges, Cache, OS, Style);
  for (const Note &N : F.Notes)
    printOne(N.Loc, "note", N.Message, "", N.Ranges, Cache, OS, Style);
}

void printHelp(const Finding &F, llvm::raw_ostream &OS,
               const TextStyle &Style) {
  if (!Style.Help || !llvm::StringRef(F.Check).starts_with("threadleak-"))
    return;
  llvm::StringRef Help = checkHelp(F.Check);
  Painter P(OS, Style.Color);
  P.color(HelpColor);
  OS << "help:";
  P.reset();
  OS << " ";
  if (!Help.empty())
    OS << Help << "; ";
  OS << "see " << Style.DocsBaseUrl << F.Check << ".md\n";
}

} // namespace threadleak
