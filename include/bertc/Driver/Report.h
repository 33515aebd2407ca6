//===- Report.h - bert-compile --report -------------------------*- C++ -*-===//

#ifndef BERTC_DRIVER_REPORT_H
#define BERTC_DRIVER_REPORT_H

#include "bertc/Driver/Driver.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace bertc::driver {

/// Prints, for the imported bert graph compiled with `quant`, one row per
/// weight tensor and attention product (parameters, bits per weight, bytes
/// in the artifact, f32 and binary MACs at batch 1 and `sequence` tokens)
/// and the totals as the BiBERT paper counts them: FLOPs = 2 x f32 MACs +
/// 2 x binary MACs / 64, size = the weights' bytes, each against f32.
/// With --quant=q8 the quantized MACs are int8 (`floatLayers` stay f32)
/// and the totals are the size and the share of int8 MACs.
void printReport(mlir::ModuleOp module, Quant quant,
                 llvm::ArrayRef<std::string> floatLayers, int64_t sequence,
                 llvm::raw_ostream &os);

} // namespace bertc::driver

#endif // BERTC_DRIVER_REPORT_H
