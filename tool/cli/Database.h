//===--- Database.h - reading compile_commands.json -----------*- C++ -*-===//
//
// The compilation database, validated before LLVM's loader sees it: that
// loader reports syntax errors on stderr itself, over several lines,
// without saying which entry is wrong, and its YAML parser recurses once per
// level of nesting.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_CLI_DATABASE_H
#define THREADLEAK_CLI_DATABASE_H

#include "clang/Tooling/JSONCompilationDatabase.h"
#include "llvm/Support/Error.h"
#include <memory>

namespace threadleak {

/// Parses the content of a compile_commands.json (a UTF-8 byte order mark
/// is skipped, as clang-tidy does). Errors say what is wrong, without the
/// file's name.
llvm::Expected<std::unique_ptr<clang::tooling::CompilationDatabase>>
parseCompilationDatabase(llvm::StringRef Content);

} // namespace threadleak

#endif
