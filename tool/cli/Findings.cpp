//===--- Findings.cpp -----------------------------------------------------===//

#include "Findings.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include <algorithm>
#include <map>
#include <tuple>

using namespace clang;

namespace threadleak {

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
  auto Normalized = [&](const SourceLocation &L) {
    std::string Out;
    for (char C : Cache.lineText(L.Path, L.Line))
      if (!llvm::isSpace(C))
        Out += C;
    return Out;
  };
  F.LineContent = Normalized(F.Loc);
  // The path's lines too (where the thread starts, the loop): two different
  // threads ending in the same `}).detach();` line are told apart.
  for (const Note &N : F.Notes)
    F.PathContent += Normalized(N.Loc) + "\n";
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
  llvm::StringRef Line = Cache.lineText(Loc.Path, Loc.Line);
  OS << Line << "\n";
  std::string Caret;
  for (unsigned I = 0; I + 1 < Loc.Column && I < Line.size(); ++I)
    Caret += Line[I] == '\t' ? '\t' : ' ';
  OS << Caret << "^\n";
}

void printText(const Finding &F, SourceCache &Cache, llvm::raw_ostream &OS) {
  printOne(F.Loc, F.Level, F.Message, (" [" + F.Check + "]"), Cache, OS);
  for (const Note &N : F.Notes)
    printOne(N.Loc, "note", N.Message, "", Cache, OS);
}

} // namespace threadleak
