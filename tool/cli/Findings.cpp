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

static void printOne(const SourceLocation &Loc, llvm::StringRef Level,
                     llvm::StringRef Message, llvm::StringRef Suffix,
                     SourceCache &Cache, llvm::raw_ostream &OS) {
  if (Loc.Path.empty()) {
    OS << Level << ": " << Message << Suffix << "\n";
    return;
  }
  if (Loc.Line == 0) {
    OS << Loc.Path << ": " << Level << ": " << Message << Suffix << "\n";
    return;
  }
  OS << Loc.Path << ":" << Loc.Line << ":" << Loc.Column << ": " << Level
     << ": " << Message << Suffix << "\n";
  Excerpt E = excerptAround(Cache.lineText(Loc.Path, Loc.Line), Loc.Column);
  OS << E.Text << "\n" << E.Caret << "^\n";
}

void printText(const Finding &F, SourceCache &Cache, llvm::raw_ostream &OS) {
  printOne(F.Loc, F.Level, F.Message, (" [" + F.Check + "]"), Cache, OS);
  for (const Note &N : F.Notes)
    printOne(N.Loc, "note", N.Message, "", Cache, OS);
}

} // namespace threadleak
