//===--- Lenders.h - who lends a class the objects it borrows -----*- C++
//-*-===//
//
// A data member may be the class's own object (constructed with it) or one
// it borrows: a reference, a pointer or a copy of a handle that a
// constructor binds to what a parameter refers to (`Workers(Queue &q) :
// q_(q)`). A borrowed member is the lender's object: what the class's own
// member functions do not do to it (close a queue, set a stop flag and
// notify), its lender may. The lenders are the arguments every
// construction of the translation unit gives that parameter (written, or
// through std::make_unique / std::make_shared), each in the terms of the
// code that makes the object.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_LENDERS_H
#define THREADLEAK_ENGINE_LENDERS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace clang::tidy::threadleak {

class MemberLenders {
public:
  explicit MemberLenders(ASTContext &Ctx) : Ctx(Ctx) {}

  enum Kind {
    Own,     ///< no constructor binds it to a parameter
    Lent,    ///< every lender is one of \p Out
    Unknown, ///< borrowed, from lenders we cannot list (a setter, another
             ///< file's construction, a default argument)
  };
  /// Whether the class of \p F borrows it, and from what: the argument each
  /// construction gives the binding constructor's parameter.
  Kind lendersOf(const FieldDecl *F, llvm::SmallVectorImpl<const Expr *> &Out);

private:
  void index();

  ASTContext &Ctx;
  /// Constructions of each constructor outside system headers: their
  /// arguments.
  llvm::DenseMap<const CXXConstructorDecl *,
                 llvm::SmallVector<llvm::ArrayRef<const Expr *>, 2>>
      Constructions;
  bool Indexed = false;
};

/// The data members \p E reaches an object through, outermost last:
/// `s_.cv` gives {cv, s_}, `p_->q` gives {q, p_}; empty unless the chain
/// starts at `this` (implicitly or not).
void memberPath(const Expr *E, llvm::SmallVectorImpl<const FieldDecl *> &Out);

} // namespace clang::tidy::threadleak

#endif
