//===- Thresholds.h - Q8BERT's activation thresholds ------------*- C++ -*-===//
//
// Where --quant=q8 finds T = max|x| of each quantized linear's input: the
// checkpoint's Q8BERT buffers (`<module>.input_thresh`, as nlp-architect
// saves them) and a JSON file mapping Hugging Face module names to T, whose
// entries win. They reach bert-quantize-q8 as the module's
// `bertc.thresholds` dictionary.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DRIVER_THRESHOLDS_H
#define BERTC_DRIVER_THRESHOLDS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

namespace bertc::driver {

/// The checkpoint's `*.input_thresh` scalars when `checkpointDir` is not
/// empty, then the entries of the JSON object in `jsonPath` when it is not
/// empty. Every value must be a positive finite number.
llvm::Expected<llvm::StringMap<float>>
loadThresholds(llvm::StringRef checkpointDir, llvm::StringRef jsonPath);

/// Parses a JSON object {"module": T, ...}; `path` names it in errors.
llvm::Expected<llvm::StringMap<float>> parseThresholds(llvm::StringRef text,
                                                       llvm::StringRef path);

/// Sets `thresholds` as the module's `bertc.thresholds` dictionary.
void attachThresholds(mlir::ModuleOp module,
                      const llvm::StringMap<float> &thresholds);

} // namespace bertc::driver

#endif // BERTC_DRIVER_THRESHOLDS_H
