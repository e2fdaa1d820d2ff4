//===--- ContextModel.h - Go-style contexts ---------------------*- C++ -*-===//
//
// A Go-style context (Go's context.Context, declared in a .threadleak.yaml
// under `Contexts:`): an object with a done channel that is closed, for
// good, when the context is cancelled, by one of its Cancel members or by
// the cancel function the factory that made it returned with it
// (`auto [ctx, cancel] = with_cancel(parent)`). A receive from its done
// channel is a receive from the context; a cancel is its close. A context
// derived from a parent is cancelled with it.
//
// This is the model's half: which calls make, cancel and read contexts.
// Which context an expression names is the blocking analysis's business
// (its object keys).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_CONTEXTMODEL_H
#define THREADLEAK_MODEL_CONTEXTMODEL_H

#include "model/ConcurrencyModel.h"
#include "model/ModelConfig.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringSet.h"
#include <vector>

namespace clang::tidy::threadleak {

class ContextModel {
public:
  explicit ContextModel(const std::vector<ContextSpec> &Specs = {});
  bool empty() const { return Types.empty(); }
  /// \p T is (or refers to) a context type.
  bool isContextType(QualType T) const;
  bool isContextClass(const CXXRecordDecl *RD) const {
    return RD && Types.contains(RD);
  }
  /// \p Call reads a context's done channel: the context, or null.
  const Expr *doneOf(const CallExpr *Call) const;
  /// \p Call is a Cancel member called on a context: the context, or null.
  const Expr *cancelledBy(const CallExpr *Call) const;
  /// \p E (an initialiser) is a call of a context factory (WithCancel or
  /// Background): the call, or null.
  const CallExpr *factoryCall(const Expr *E) const;
  /// The context class \p T is, or the first one a pair or tuple \p T
  /// holds (a factory's result): its canonical declaration, or null.
  const CXXRecordDecl *contextClassIn(QualType T) const;
  /// \p Call calls the cancel function a factory returned (`cancel()` of
  /// `auto [ctx, cancel] = with_cancel()`, `p.second()` of `auto p =
  /// with_cancel()`, or a copy or init-capture of either): the variable
  /// the factory initialised, or null. \p Callee gets the name called. A
  /// local copy is looked through only where \p Stable says it is never
  /// given another value.
  const VarDecl *
  cancelFunctionCall(const CallExpr *Call, const Expr *&Callee,
                     llvm::function_ref<bool(const VarDecl *)> Stable) const;
  /// Some context type has a Cancel member: code handed a context (not
  /// its cancel function) may cancel it.
  bool hasCancelMembers() const { return !Cancel.empty(); }
  /// \p FD is a context factory.
  bool isFactory(const FunctionDecl *FD) const {
    return Factories.contains(FD);
  }
  /// The parent a factory call derives its context from: its first
  /// context argument, or null.
  const Expr *parentOf(const CallExpr *Factory) const;

private:
  NameList Types, Factories;
  llvm::StringSet<> Done, Cancel;
};

} // namespace clang::tidy::threadleak

#endif
