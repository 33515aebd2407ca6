//===- Calibrate.h - Q8BERT thresholds from a native float run --*- C++ -*-===//
//
// bert-compile --quant=q8 --calibrate INPUTS.npy: the float model is built
// once more as an executable with bert-record-ranges, run natively over the
// inputs in batches (a progress bar on stderr), and max|x| of every linear's
// input becomes its threshold. Driver.cpp builds the executable; this file
// splits the inputs, runs it and gathers the ranges.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DRIVER_CALIBRATE_H
#define BERTC_DRIVER_CALIBRATE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace bertc::driver {

/// Runs the calibration executable `exe` over the rows (axis 0) of the .npy
/// file `inputs`, `batch` rows per run, in `scratchDir`; slot i of its
/// recorded ranges is the threshold of `slots[i]`. Returns module -> T.
llvm::Expected<llvm::StringMap<float>>
runCalibration(llvm::StringRef exe, llvm::StringRef inputs,
               llvm::ArrayRef<std::string> slots, llvm::StringRef scratchDir,
               int64_t batch);

/// The thresholds as a JSON object {module: T}, sorted, one per line.
std::string thresholdsToJson(const llvm::StringMap<float> &thresholds);

} // namespace bertc::driver

#endif // BERTC_DRIVER_CALIBRATE_H
