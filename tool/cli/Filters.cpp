//===--- Filters.cpp ------------------------------------------------------===//

#include "Filters.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cstdint>

namespace threadleak {

static llvm::Error error(const llvm::Twine &Message) {
  return llvm::createStringError(std::errc::invalid_argument, "%s",
                                 Message.str().c_str());
}

llvm::Expected<LineFilter> LineFilter::parseJSON(llvm::StringRef Text) {
  llvm::Expected<llvm::json::Value> V = parseJSONInput(Text);
  if (!V)
    return error(llvm::toString(V.takeError()));
  const llvm::json::Array *A = V->getAsArray();
  if (!A)
    return error("expected an array of {\"name\": ..., \"lines\": [[first, last], ...]}");
  LineFilter F;
  // As in clang-tidy, an empty filter filters nothing.
  F.FiltersNothing = A->empty();
  for (const llvm::json::Value &E : *A) {
    const llvm::json::Object *O = E.getAsObject();
    auto Name = O ? O->getString("name") : std::nullopt;
    if (!Name || Name->empty())
      return error("every entry needs a \"name\"");
    FileLines FL{Name->str(), {}};
    if (const llvm::json::Value *Lines = O->get("lines")) {
      const llvm::json::Array *LA = Lines->getAsArray();
      if (!LA)
        return error("\"lines\" of '" + *Name + "' must be an array of [first, last]");
      for (const llvm::json::Value &R : *LA) {
        const llvm::json::Array *P = R.getAsArray();
        std::optional<int64_t> First, Last;
        if (P && P->size() == 2) {
          First = (*P)[0].getAsInteger();
          Last = (*P)[1].getAsInteger();
        }
        if (!First || !Last || *First < 1 || *Last < *First || *Last > UINT32_MAX)
          return error("\"lines\" of '" + *Name +
                       "' must be [first, last] pairs with 1 <= first <= last <= 4294967295");
        FL.Ranges.push_back({unsigned(*First), unsigned(*Last)});
      }
    }
    F.Files.push_back(std::move(FL));
  }
  return F;
}

std::optional<std::string> unquoteGitPath(llvm::StringRef Quoted) {
  if (!Quoted.consume_front("\""))
    return std::nullopt;
  std::string Out;
  while (!Quoted.empty()) {
    char C = Quoted.front();
    Quoted = Quoted.drop_front();
    if (C == '"')
      return Out; // What follows (a tab and a date) is not the name.
    if (C != '\\') {
      Out += C;
      continue;
    }
    if (Quoted.empty())
      return std::nullopt;
    char E = Quoted.front();
    Quoted = Quoted.drop_front();
    switch (E) {
    case 'a': Out += '\a'; break;
    case 'b': Out += '\b'; break;
    case 'f': Out += '\f'; break;
    case 'n': Out += '\n'; break;
    case 'r': Out += '\r'; break;
    case 't': Out += '\t'; break;
    case 'v': Out += '\v'; break;
    case '"': case '\\': Out += E; break;
    default: {
      // Three octal digits: one byte of the (UTF-8) name.
      if (E < '0' || E > '3' || Quoted.size() < 2 || Quoted[0] < '0' || Quoted[0] > '7' ||
          Quoted[1] < '0' || Quoted[1] > '7')
        return std::nullopt;
      Out += char(((E - '0') << 6) | ((Quoted[0] - '0') << 3) | (Quoted[1] - '0'));
      Quoted = Quoted.drop_front(2);
    }
    }
  }
  return std::nullopt; // No closing quote.
}

llvm::Expected<LineFilter> LineFilter::parseUnifiedDiff(llvm::StringRef Text) {
  llvm::StringRef Whole = Text;
  LineFilter F;
  FileLines *Current = nullptr;
  unsigned LineNo = 0;
  bool SawFile = false;
  while (!Text.empty()) {
    auto [Line, Rest] = Text.split('\n');
    Text = Rest;
    ++LineNo;
    Line = Line.rtrim("\r");
    if (Line.starts_with("+++ ")) {
      SawFile = true;
      llvm::StringRef Field = Line.drop_front(4);
      std::string Unquoted;
      llvm::StringRef Name;
      if (Field.starts_with("\"")) {
        // git quotes names with special or non-ASCII characters, C-style.
        std::optional<std::string> U = unquoteGitPath(Field);
        if (!U)
          return error("line " + llvm::Twine(LineNo) + ": malformed quoted file name '" +
                       Field + "'");
        Unquoted = std::move(*U);
        Name = Unquoted;
      } else {
        Name = Field.split('\t').first.trim();
      }
      if (Name == "/dev/null") { // A deleted file.
        Current = nullptr;
        continue;
      }
      if (Name.starts_with("b/") || Name.starts_with("a/"))
        Name = Name.drop_front(2);
      F.Files.push_back({Name.str(), {}});
      Current = &F.Files.back();
      continue;
    }
    if (!Line.starts_with("@@ ") || !Current)
      continue;
    // @@ -a[,b] +c[,d] @@
    size_t Plus = Line.find(" +");
    if (Plus == llvm::StringRef::npos)
      return error("line " + llvm::Twine(LineNo) + ": malformed hunk header '" + Line + "'");
    llvm::StringRef Range = Line.drop_front(Plus + 2).split(' ').first;
    auto [StartText, CountText] = Range.split(',');
    unsigned Start = 0, Count = 1;
    if (StartText.getAsInteger(10, Start) ||
        (!CountText.empty() && CountText.getAsInteger(10, Count)))
      return error("line " + llvm::Twine(LineNo) + ": malformed hunk header '" + Line + "'");
    if (Count > 0 && Start + (Count - 1) < Start)
      return error("line " + llvm::Twine(LineNo) + ": malformed hunk header '" + Line + "'");
    if (Count > 0)
      Current->Ranges.push_back({Start, Start + Count - 1});
  }
  // An empty diff (a change that touches no file) changes no line.
  if (!SawFile && !Whole.trim().empty())
    return error("no '+++ <file>' line: not a unified diff");
  // A file with only deletions passes no line; keep it with an empty range
  // that matches nothing.
  for (FileLines &FL : F.Files)
    if (FL.Ranges.empty())
      FL.Ranges.push_back({0, 0});
  return F;
}

bool LineFilter::passes(llvm::StringRef Path, unsigned Line) const {
  if (FiltersNothing)
    return true;
  for (const FileLines &FL : Files) {
    if (!Path.ends_with(FL.Name))
      continue;
    // Whole components only: "a.cpp" must not match "data.cpp".
    size_t Before = Path.size() - FL.Name.size();
    if (Before > 0 && Path[Before - 1] != '/')
      continue;
    if (FL.Ranges.empty())
      return true;
    for (const auto &[First, Last] : FL.Ranges)
      if (Line >= First && Line <= Last)
        return true;
  }
  return false;
}

llvm::Expected<Baseline> Baseline::read(llvm::StringRef Path) {
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  if (!Buf)
    return error("cannot read baseline '" + Path + "': " + Buf.getError().message());
  return parse((*Buf)->getBuffer(), Path);
}

namespace {

/// Where the top-level "findings" array of a JSON object lies in \p Text:
/// the offsets of its '[' and ']', and of each element; or nothing if the
/// text is not shaped so (the JSON parser then says why). Strings and
/// nesting are followed, nothing is built.
struct ArraySlices {
  size_t Open = 0, Close = 0;
  std::vector<std::pair<size_t, size_t>> Elements;
};

std::optional<ArraySlices> findFindingsArray(llvm::StringRef Text) {
  auto SkipString = [&](size_t I) { // I at '"'; returns the index after it
    for (++I; I < Text.size(); ++I) {
      if (Text[I] == '\\')
        ++I;
      else if (Text[I] == '"')
        return I + 1;
    }
    return Text.size();
  };
  unsigned Depth = 0;
  std::optional<ArraySlices> Found;
  for (size_t I = 0; I < Text.size();) {
    char C = Text[I];
    if (C == '"') {
      size_t End = SkipString(I);
      // A key of the top-level object: "findings" followed by ':' and '['.
      if (Depth == 1 && Text.slice(I, End) == "\"findings\"") {
        size_t J = End;
        while (J < Text.size() && llvm::isSpace(Text[J]))
          ++J;
        if (J < Text.size() && Text[J] == ':') {
          ++J;
          while (J < Text.size() && llvm::isSpace(Text[J]))
            ++J;
          if (J < Text.size() && Text[J] == '[') {
            if (Found)
              return std::nullopt; // twice: let the parser decide
            ArraySlices A;
            A.Open = J;
            // The elements: split at depth-1 commas inside the array.
            unsigned D = 0;
            size_t ElementStart = J + 1;
            size_t K = J + 1;
            for (; K < Text.size(); ++K) {
              char E = Text[K];
              if (E == '"') {
                K = SkipString(K) - 1;
              } else if (E == '[' || E == '{') {
                ++D;
              } else if ((E == ']' || E == '}') && D > 0) {
                --D;
              } else if (E == ']') {
                break;
              } else if (E == ',' && D == 0) {
                A.Elements.push_back({ElementStart, K});
                ElementStart = K + 1;
              }
            }
            if (K >= Text.size())
              return std::nullopt;
            if (!Text.slice(ElementStart, K).trim().empty() || !A.Elements.empty())
              A.Elements.push_back({ElementStart, K});
            A.Close = K;
            Found = std::move(A);
            I = K + 1;
            continue;
          }
        }
      }
      I = End;
      continue;
    }
    if (C == '[' || C == '{')
      ++Depth;
    else if ((C == ']' || C == '}') && Depth > 0)
      --Depth;
    ++I;
  }
  return Found;
}

} // namespace

llvm::Expected<Baseline> Baseline::parse(llvm::StringRef Text, llvm::StringRef Path) {
  auto Malformed = [&](const llvm::Twine &Why) {
    return error("malformed baseline '" + Path + "': " + Why);
  };
  // A baseline can hold hundreds of thousands of findings: parsed whole as
  // one llvm::json::Value, 60 MB took 1.3 GB. The findings array is parsed
  // one element at a time, the rest (with an empty array) as a whole.
  std::optional<ArraySlices> Slices =
      findExcessiveNesting(Text) ? std::nullopt : findFindingsArray(Text);
  std::string Outer = Slices ? (Text.take_front(Slices->Open) + "[]" +
                                Text.drop_front(Slices->Close + 1))
                                   .str()
                             : Text.str();
  llvm::Expected<llvm::json::Value> V = parseJSONInput(Outer);
  if (!V)
    return Malformed(llvm::toString(V.takeError()));
  const llvm::json::Object *O = V->getAsObject();
  const llvm::json::Array *Findings = O ? O->getArray("findings") : nullptr;
  if (!O || O->getString("tool") != llvm::StringRef("threadleak") || !Findings)
    return Malformed("not written by threadleak --write-baseline");
  // Fingerprints of another format version would silently match nothing.
  std::optional<int64_t> Version = O->getInteger("version");
  if (!Version)
    return Malformed("no \"version\"");
  if (*Version != 1)
    return Malformed("version " + llvm::Twine(*Version) +
                     " is not supported (this threadleak reads version 1)");
  Baseline B;
  auto Add = [&](const llvm::json::Value &F) -> llvm::Error {
    const llvm::json::Object *FO = F.getAsObject();
    auto FP = FO ? FO->getString("fingerprint") : std::nullopt;
    if (!FP)
      return Malformed("a finding has no fingerprint");
    ++B.Counts[FP->str()];
    return llvm::Error::success();
  };
  if (!Slices) {
    for (const llvm::json::Value &F : *Findings)
      if (llvm::Error E = Add(F))
        return E;
    return B;
  }
  for (const auto &[Begin, End] : Slices->Elements) {
    llvm::Expected<llvm::json::Value> F = parseJSONInput(Text.slice(Begin, End));
    if (!F)
      return Malformed(llvm::toString(F.takeError()));
    if (llvm::Error E = Add(*F))
      return E;
  }
  return B;
}

void Baseline::write(const std::vector<Finding> &Findings,
                     llvm::StringRef ProjectRoot, llvm::raw_ostream &OS) {
  llvm::json::Array A;
  for (const Finding &F : Findings) {
    if (F.isCompilerDiagnostic())
      continue;
    // The fingerprint is what matters; the rest helps a reviewer.
    A.push_back(llvm::json::Object{{"fingerprint", F.Fingerprint},
                                   {"check", F.Check},
                                   {"file", relativeTo(F.Loc.Path, ProjectRoot)},
                                   {"line", F.Loc.Line},
                                   {"message", F.Message}});
  }
  OS << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                   {"tool", "threadleak"},
                                   {"version", 1},
                                   {"findings", std::move(A)}}))
     << "\n";
}

unsigned Baseline::subtract(std::vector<Finding> &Findings) const {
  std::map<std::string, unsigned> Left = Counts;
  unsigned Removed = 0;
  Findings.erase(std::remove_if(Findings.begin(), Findings.end(),
                                [&](const Finding &F) {
                                  auto It = Left.find(F.Fingerprint);
                                  if (It == Left.end() || It->second == 0)
                                    return false;
                                  --It->second;
                                  ++Removed;
                                  return true;
                                }),
                 Findings.end());
  return Removed;
}

} // namespace threadleak
