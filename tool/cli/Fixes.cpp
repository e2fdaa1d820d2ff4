//===--- Fixes.cpp --------------------------------------------------------===//

#include "Fixes.h"
#include "clang/Tooling/Core/Diagnostic.h"
#include "clang/Tooling/DiagnosticsYaml.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/YAMLTraits.h"
#include <algorithm>
#include <map>
#include <tuple>

namespace threadleak {

unsigned FixPlan::count(StatusTy S) const {
  return unsigned(std::count(Status.begin(), Status.end(), S));
}

namespace {

/// Whether \p A and \p B cannot both be made: their ranges overlap, one
/// inserts strictly inside what the other replaces, or both insert at the
/// same offset (which text would come first is not for us to decide).
bool conflicts(const Replacement &A, const Replacement &B) {
  if (A.Path != B.Path)
    return false;
  unsigned AEnd = A.Offset + A.Length, BEnd = B.Offset + B.Length;
  if (A.Length == 0 && B.Length == 0)
    return A.Offset == B.Offset;
  if (A.Length == 0)
    return B.Offset < A.Offset && A.Offset < BEnd;
  if (B.Length == 0)
    return A.Offset < B.Offset && B.Offset < AEnd;
  return A.Offset < BEnd && B.Offset < AEnd;
}

bool editOrder(const Replacement &A, const Replacement &B) {
  return std::tie(A.Path, A.Offset, A.Length) <
         std::tie(B.Path, B.Offset, B.Length);
}

} // namespace

FixPlan planFixes(const std::vector<Finding> &Findings) {
  FixPlan Plan;
  for (const Finding &F : Findings) {
    if (F.Fixes.empty()) {
      Plan.Status.push_back(FixPlan::NoFix);
      continue;
    }
    std::vector<const Replacement *> New;
    bool Conflict = false;
    for (const Replacement &R : F.Fixes) {
      bool Duplicate = false;
      for (const Replacement &E : Plan.Edits) {
        if (E == R) {
          Duplicate = true;
          break;
        }
        if (conflicts(E, R)) {
          Conflict = true;
          break;
        }
      }
      for (const Replacement *N : New) {
        Duplicate |= *N == R;
        Conflict |= conflicts(*N, R) && !(*N == R);
      }
      if (Conflict)
        break;
      if (!Duplicate)
        New.push_back(&R);
    }
    if (Conflict) {
      Plan.Status.push_back(FixPlan::Conflict);
      continue;
    }
    // A fix whose every edit is already chosen (the same header fix from
    // another translation unit) is applied too: once.
    for (const Replacement *N : New)
      Plan.Edits.push_back(*N);
    Plan.Status.push_back(FixPlan::Chosen);
  }
  std::stable_sort(Plan.Edits.begin(), Plan.Edits.end(), editOrder);
  return Plan;
}

std::vector<FixFailure> applyEdits(const std::vector<Replacement> &Edits) {
  std::vector<FixFailure> Failures;
  for (size_t I = 0; I < Edits.size();) {
    size_t End = I;
    while (End < Edits.size() && Edits[End].Path == Edits[I].Path)
      ++End;
    const std::string &Path = Edits[I].Path;
    auto Fail = [&](const llvm::Twine &Why) {
      Failures.push_back(FixFailure{Path, Why.str()});
    };
    // The file itself, through its symlinks: the link stays a link.
    llvm::SmallString<256> Target;
    if (llvm::sys::fs::real_path(Path, Target))
      Target = Path;
    auto Buf = llvm::MemoryBuffer::getFile(Target, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!Buf) {
      Fail("cannot read: " + Buf.getError().message());
      I = End;
      continue;
    }
    llvm::StringRef Old = (*Buf)->getBuffer();
    std::string New;
    size_t At = 0;
    bool Stale = false;
    for (size_t J = I; J < End; ++J) {
      const Replacement &R = Edits[J];
      if (R.Offset < At || size_t(R.Offset) + R.Length > Old.size()) {
        Stale = true;
        break;
      }
      New += Old.slice(At, R.Offset);
      New += R.Text;
      At = R.Offset + R.Length;
    }
    I = End;
    if (Stale) {
      Fail("the file changed since it was analysed; not fixed");
      continue;
    }
    New += Old.substr(At);

    llvm::sys::fs::file_status Status;
    std::optional<llvm::sys::fs::perms> Mode;
    if (!llvm::sys::fs::status(Target, Status))
      Mode = Status.permissions();
    llvm::SmallString<256> Model(Target);
    Model += ".tmp-%%%%%%";
    llvm::Expected<llvm::sys::fs::TempFile> T =
        llvm::sys::fs::TempFile::create(Model);
    if (!T) {
      Fail("cannot write: " + llvm::toString(T.takeError()));
      continue;
    }
    if (Mode)
      llvm::sys::fs::setPermissions(T->FD, *Mode);
    bool WriteError;
    {
      llvm::raw_fd_ostream OS(T->FD, /*shouldClose=*/false);
      OS << New;
      OS.flush();
      WriteError = OS.has_error();
      OS.clear_error();
    }
    if (WriteError) {
      llvm::consumeError(T->discard());
      Fail("cannot write");
      continue;
    }
    if (llvm::Error E = T->keep(Target))
      Fail("cannot write: " + llvm::toString(std::move(E)));
  }
  return Failures;
}

void exportFixes(const std::vector<Finding> &Findings,
                 llvm::StringRef MainSourceFile, llvm::raw_ostream &OS) {
  using namespace clang::tooling;
  TranslationUnitDiagnostics TUD;
  TUD.MainSourceFile = MainSourceFile.str();
  auto Message = [](const SourceLocation &Loc, llvm::StringRef Text,
                    const std::vector<SourceRange> &Ranges) {
    DiagnosticMessage M;
    M.Message = Text.str();
    M.FilePath = Loc.Path;
    M.FileOffset = Loc.Offset;
    for (const SourceRange &R : Ranges) {
      FileByteRange B;
      B.FilePath = R.Path;
      B.FileOffset = R.Offset;
      B.Length = R.Length;
      M.Ranges.push_back(std::move(B));
    }
    return M;
  };
  for (const Finding &F : Findings) {
    Diagnostic D;
    D.DiagnosticName = F.Check;
    D.Message = Message(F.Loc, F.Message, F.Ranges);
    for (const Replacement &R : F.Fixes)
      // Sorted and free of overlaps (they come from one FixItHint set).
      llvm::consumeError(D.Message.Fix[R.Path].add(
          clang::tooling::Replacement(R.Path, R.Offset, R.Length, R.Text)));
    for (const Note &N : F.Notes)
      D.Notes.push_back(Message(N.Loc, N.Message, N.Ranges));
    D.DiagLevel = F.Level == "error" ? Diagnostic::Error : Diagnostic::Warning;
    D.BuildDirectory = F.BuildDirectory;
    TUD.Diagnostics.push_back(std::move(D));
  }
  llvm::yaml::Output YAML(OS);
  YAML << TUD;
}

} // namespace threadleak
