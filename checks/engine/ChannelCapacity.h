//===--- ChannelCapacity.h - how many items a channel object holds -*- C++
//-*-===//
//
// The capacity of a channel object of the translation unit, where the code
// fixes it: the construction's capacity argument (or the spec's default),
// for a data member every constructor's initialiser, and the calls of the
// spec's capacity setters (TBB's `set_capacity`) on the object, which
// override what the construction gave. A constructor's or method's
// parameter is looked up at every call of it in the translation unit.
// Unknown whenever two of these disagree or one is not a constant: a send
// on a channel of unknown capacity is never assumed to wait.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_CHANNELCAPACITY_H
#define THREADLEAK_ENGINE_CHANNELCAPACITY_H

#include "model/ChannelModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "llvm/ADT/DenseMap.h"
#include <optional>

namespace clang::tidy::threadleak {

class ChannelCapacity {
public:
  ChannelCapacity(ASTContext &Ctx, const ChannelModel &Channels)
      : Ctx(Ctx), Channels(Channels) {}

  /// The capacity of the channel variable \p VD (a local or a global; a
  /// smart pointer to a channel counts as the channel).
  std::optional<uint64_t> ofVariable(const VarDecl *VD, const ChannelSpec &S);
  /// The capacity every constructor of its class gives the channel member
  /// \p FD (a mem-initializer, the in-class initializer, or the spec's
  /// default), where they agree, unless the class's own methods set it.
  std::optional<uint64_t> ofMember(const FieldDecl *FD, const ChannelSpec &S);

  /// The constant every call of \p F in the translation unit passes as its
  /// parameter \p Index (constructions of a constructor, `make_shared` and
  /// friends included), where there is at least one call and all agree.
  std::optional<uint64_t> argumentOfEveryCall(const FunctionDecl *F,
                                              unsigned Index);

private:
  /// What the setter calls say: none was seen, or the capacity they agree
  /// on (unknown where they do not).
  struct Setters {
    bool Any = false, Disagree = false;
    std::optional<uint64_t> Capacity;
  };
  /// The setter calls on \p D (a variable, or a member of `this`) in
  /// \p Body, the code of \p Fn.
  void settersIn(const Stmt *Body, const FunctionDecl *Fn, const ValueDecl *D,
                 const ChannelSpec &S, Setters &Out);
  /// The value \p E gives inside \p Fn: a constant, or a parameter of \p Fn
  /// every call passes the same constant for.
  std::optional<uint64_t> valueIn(const Expr *E, const FunctionDecl *Fn);
  std::optional<uint64_t> constructorsGive(const FieldDecl *FD,
                                           const ChannelSpec &S);
  std::optional<uint64_t> everyCall(const FunctionDecl *F, unsigned Index);

  /// The brace initialisations (semantic forms) of aggregate \p RD.
  llvm::ArrayRef<const InitListExpr *> bracesOf(const CXXRecordDecl *RD);

  ASTContext &Ctx;
  const ChannelModel &Channels;
  /// Per class (canonical), its brace initialisations, once asked.
  std::optional<llvm::DenseMap<const CXXRecordDecl *,
                               llvm::SmallVector<const InitListExpr *, 2>>>
      Braces;
  llvm::DenseMap<const FieldDecl *, std::optional<uint64_t>> Members;
  llvm::DenseMap<std::pair<const FunctionDecl *, unsigned>,
                 std::optional<uint64_t>>
      Arguments;
};

} // namespace clang::tidy::threadleak

#endif
