//===- InlineEverything.h - An inliner interface for pure dialects -*- C++ -*-===//

#ifndef BERTC_DIALECTS_INTERFACES_INLINEEVERYTHING_H
#define BERTC_DIALECTS_INTERFACES_INLINEEVERYTHING_H

#include "mlir/Transforms/InliningUtils.h"

namespace bertc {

/// For dialects whose ops are all pure and region-free (bert, bq): inlining
/// a function of them (as training does, to differentiate one block) is
/// always legal.
struct InlineEverything : mlir::DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(mlir::Operation *, mlir::Region *, bool,
                       mlir::IRMapping &) const final {
    return true;
  }
};

} // namespace bertc

#endif // BERTC_DIALECTS_INTERFACES_INLINEEVERYTHING_H
