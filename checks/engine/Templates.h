//===--- Templates.h - which template code a check analyses ----*- C++ -*-===//
//
// Library code is mostly templates: `receiver<T>::wait()`, a spawn inside
// `template <class Callback> void read_input(Callback cb)`. The checks match
// with TK_AsIs, so they see the instantiations the translation unit makes as
// well as the templates' own definitions (their patterns), and decide here
// what to analyse:
//
//  - code in no template: always;
//  - an instantiation (a function template specialization, a member of a
//    class template specialization, a lambda or local class in one): always;
//    its expressions are resolved, its calls bound;
//  - a pattern: only if nothing in the translation unit instantiates it (its
//    instantiations are analysed instead), and only if the code analysed has
//    no dependent expression: what `cb()` or `q_.empty()` does, and whether
//    `N > 0` holds, is unknown until the template is instantiated.
//
// An instantiation's nodes carry the pattern's source locations, so a
// finding in a template points at the template's lines. However many
// instantiations show it, it is reported once: FindingOnce keeps the first
// (the traversal order is the AST's, so the choice is deterministic), and
// patternDecl() names a declaration as the template spells it.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_TEMPLATES_H
#define THREADLEAK_ENGINE_TEMPLATES_H

#include "clang/AST/Decl.h"
#include "clang/AST/Stmt.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace clang::tidy::threadleak {

enum class TemplateRole {
  /// In no template.
  None,
  /// In a template's definition (a dependent context).
  Pattern,
  /// In code instantiated from a template.
  Instantiation,
};

/// The role of \p F's code. A lambda's call operator and a local class's
/// member functions are in the function that contains them.
TemplateRole templateRole(const FunctionDecl *F);

/// The outermost function \p F is in (itself, unless it is a lambda's call
/// operator or a local class's member function).
const FunctionDecl *outermostFunction(const FunctionDecl *F);

/// True if the translation unit instantiates the definition of the pattern
/// \p F (a function template, a member function of a class template, or a
/// lambda or local class in one of them). False when it cannot tell (a
/// member of a partial specialization, of a class nested in a class
/// template): the pattern is then analysed too, and FindingOnce drops the
/// finding its instantiations repeat.
bool isInstantiatedPattern(const FunctionDecl *F);

/// True if \p S contains an expression whose type or value depends on a
/// template parameter. `this` and members of the current instantiation
/// with a known type are not dependent.
bool containsDependentCode(const Stmt *S);

/// Whether a check analyses \p F, a body it found from a match: code in no
/// template and instantiations always; a pattern only when it is not
/// instantiated and its body has no dependent code.
bool shouldAnalyseBody(const FunctionDecl *F);

/// The declaration \p D is instantiated from (a function template
/// specialization's template, a class template specialization member's
/// member of the class template), else \p D: what a note names, so that the
/// instantiations of one template give the same notes.
const NamedDecl *patternDecl(const NamedDecl *D);
const FunctionDecl *patternDecl(const FunctionDecl *D);

/// One finding per template location: instantiations of one pattern give
/// the same warning at the same place, the first one is reported.
class FindingOnce {
public:
  /// True the first time for \p Loc and \p Related (their expansion
  /// locations): a second location for findings that differ in the same
  /// place, such as the declaration of the channel a receive waits on.
  bool first(SourceLocation Loc, const SourceManager &SM,
             SourceLocation Related = SourceLocation());
  /// True if first() was called for \p Loc and \p Related.
  bool seen(SourceLocation Loc, const SourceManager &SM,
            SourceLocation Related = SourceLocation()) const;
  void clear() { Seen.clear(); }

private:
  static std::pair<unsigned, unsigned>
  key(SourceLocation Loc, const SourceManager &SM, SourceLocation Related);
  llvm::DenseSet<std::pair<unsigned, unsigned>> Seen;
};

} // namespace clang::tidy::threadleak

#endif
