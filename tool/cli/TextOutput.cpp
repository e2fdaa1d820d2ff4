//===--- TextOutput.cpp ---------------------------------------------------===//

#include "TextOutput.h"
#include "llvm/Support/Path.h"
#include <algorithm>

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

const TextPrinter::SourceFile *TextPrinter::load(llvm::StringRef Path) {
  auto It = Files.find(Path);
  if (It != Files.end())
    return It->second.Buffer ? &It->second : nullptr;
  SourceFile &F = Files[Path];
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

void TextPrinter::printMessage(const tooling::DiagnosticMessage &Message,
                               llvm::StringRef Level, llvm::StringRef Suffix,
                               llvm::StringRef BuildDirectory) {
  if (Message.FilePath.empty()) {
    OS << Level << ": " << Message.Message << Suffix << "\n";
    return;
  }
  std::string Path = diagnosticPath(Message.FilePath, BuildDirectory);
  const SourceFile *F = load(Path);
  if (!F) {
    OS << Path << ": " << Level << ": " << Message.Message << Suffix << "\n";
    return;
  }
  auto LineIt = std::upper_bound(F->LineStarts.begin(), F->LineStarts.end(),
                                 Message.FileOffset);
  unsigned Line = unsigned(LineIt - F->LineStarts.begin());
  unsigned LineStart = F->LineStarts[Line - 1];
  unsigned Column = Message.FileOffset - LineStart + 1;
  OS << Path << ":" << Line << ":" << Column << ": " << Level << ": "
     << Message.Message << Suffix << "\n";

  llvm::StringRef Text = F->Buffer->getBuffer();
  llvm::StringRef SourceLine = Text.substr(LineStart).split('\n').first;
  SourceLine = SourceLine.rtrim("\r");
  OS << SourceLine << "\n";
  std::string Caret;
  for (unsigned I = 0; I + 1 < Column && I < SourceLine.size(); ++I)
    Caret += SourceLine[I] == '\t' ? '\t' : ' ';
  OS << Caret << "^\n";
}

void TextPrinter::print(const tidy::ClangTidyError &Error) {
  llvm::StringRef Level = "warning";
  if (Error.DiagLevel == tooling::Diagnostic::Error || Error.IsWarningAsError)
    Level = "error";
  else if (Error.DiagLevel == tooling::Diagnostic::Remark)
    Level = "remark";
  std::string Suffix = " [" + Error.DiagnosticName + "]";
  printMessage(Error.Message, Level, Suffix, Error.BuildDirectory);
  for (const tooling::DiagnosticMessage &Note : Error.Notes)
    printMessage(Note, "note", "", Error.BuildDirectory);
}

} // namespace threadleak
