//===--- InputLimits.h - bounds checked before parsing input -*- C++ -*-===//
//
// LLVM's JSON and YAML parsers (and YAML I/O on top of them) recurse once per
// level of nesting: a few hundred kilobytes of '[' overflow the stack. Every
// reader of user input (compilation databases, baselines, reports, line
// filters, configuration and model files, cache entries) first checks the
// nesting with findExcessiveNesting, and reads files with readInputFile,
// which opens only regular files of bounded size (a FIFO would hang,
// /dev/zero would grow without end).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_INPUTLIMITS_H
#define THREADLEAK_MODEL_INPUTLIMITS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ErrorOr.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace clang::tidy::threadleak {

/// Deeper than this is an input error. Real inputs nest a handful of levels.
constexpr unsigned MaxInputNesting = 64;
/// Lines whose indentation is wider than this are an input error: block
/// YAML nests at most one level per column.
constexpr unsigned MaxInputIndentation = 1024;

struct NestingProblem {
  unsigned Line = 0;   ///< 1-based
  unsigned Column = 0; ///< 1-based
};

inline std::string nestingMessage() {
  return "nested too deeply (more than " + std::to_string(MaxInputNesting) +
         " levels)";
}

/// Where JSON or YAML \p Text nests deeper than MaxInputNesting (flow
/// brackets plus block indicators such as "- - -" on one line), or is
/// indented wider than MaxInputIndentation: the first such place. A cheap
/// over-approximation of the parsers' nesting, never an under-estimate of
/// the brackets and indicators that make them recurse.
inline std::optional<NestingProblem> findExcessiveNesting(llvm::StringRef Text) {
  unsigned Flow = 0, Line = 1;
  size_t LineStart = 0;
  bool AtLineStart = true; // only spaces so far on this line
  unsigned Indicators = 0; // block indicators ("- ", "? ") on this line
  char Prev = '\n';        // the previous significant character
  for (size_t I = 0; I < Text.size(); ++I) {
    char C = Text[I];
    auto Here = [&] {
      return NestingProblem{Line, unsigned(I - LineStart + 1)};
    };
    if (C == '\n') {
      ++Line;
      LineStart = I + 1;
      AtLineStart = true;
      Indicators = 0;
      Prev = '\n';
      continue;
    }
    bool TokenStart = Prev == '\n' || Prev == ' ' || Prev == '\t' ||
                      Prev == '[' || Prev == '{' || Prev == ',' || Prev == ':';
    if (AtLineStart && C == ' ') {
      if (I - LineStart + 1 > MaxInputIndentation)
        return Here();
      Prev = C;
      continue;
    }
    AtLineStart = false;
    // A block indicator ("- ", "? ") opens a level, also after another one
    // or after a key on the same line ("x: - - - 1").
    bool SpaceNext = I + 1 >= Text.size() || Text[I + 1] == ' ' ||
                     Text[I + 1] == '\n';
    if ((C == '-' || C == '?') && SpaceNext && TokenStart) {
      if (++Indicators + Flow > MaxInputNesting)
        return Here();
      Prev = ' ';
      continue;
    }
    if (C == '"' || (C == '\'' && TokenStart)) {
      // A quoted string: skip to its end ("\" escapes in double quotes,
      // '' in single ones). Newlines inside are counted.
      char Quote = C;
      for (++I; I < Text.size(); ++I) {
        if (Text[I] == '\n') {
          ++Line;
          LineStart = I + 1;
        } else if (Quote == '"' && Text[I] == '\\') {
          ++I;
        } else if (Text[I] == Quote) {
          break;
        }
      }
      Prev = Quote;
      continue;
    }
    if (C == '#' && TokenStart) { // a YAML comment
      while (I + 1 < Text.size() && Text[I + 1] != '\n')
        ++I;
      continue;
    }
    if (C == '[' || C == '{') {
      if (++Flow + Indicators > MaxInputNesting)
        return Here();
    } else if ((C == ']' || C == '}') && Flow > 0) {
      --Flow;
    }
    Prev = C;
  }
  return std::nullopt;
}

/// Inputs larger than this are refused (a model file, a database, a
/// configuration are kilobytes to a few hundred megabytes).
constexpr uint64_t MaxInputFileBytes = uint64_t(1) << 30;

/// Reads \p Path if it is a regular file of at most \p MaxBytes: a FIFO, a
/// device or a directory is an error, not a hang or an endless read.
inline llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(llvm::StringRef Path, uint64_t MaxBytes = MaxInputFileBytes) {
  llvm::sys::fs::file_status Status;
  if (std::error_code EC = llvm::sys::fs::status(Path, Status))
    return EC;
  if (llvm::sys::fs::is_directory(Status))
    return std::make_error_code(std::errc::is_a_directory);
  if (!llvm::sys::fs::is_regular_file(Status))
    return std::make_error_code(std::errc::invalid_argument);
  if (Status.getSize() > MaxBytes)
    return std::make_error_code(std::errc::file_too_large);
  return llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                     /*RequiresNullTerminator=*/false);
}

/// The message for an error of readInputFile, clearer than strerror's for
/// the cases it adds.
inline std::string inputFileError(std::error_code EC) {
  if (EC == std::errc::invalid_argument)
    return "not a regular file";
  if (EC == std::errc::file_too_large)
    return "larger than " + std::to_string(MaxInputFileBytes >> 20) + " MiB";
  return EC.message();
}

} // namespace clang::tidy::threadleak

#endif
