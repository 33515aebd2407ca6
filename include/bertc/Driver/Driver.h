//===- Driver.h - bert-compile's steps as a library -------------*- C++ -*-===//

#ifndef BERTC_DRIVER_DRIVER_H
#define BERTC_DRIVER_DRIVER_H

#include "bertc/Import/Importer.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace bertc::driver {

/// How the float graph is quantized.
enum class Quant { None, Binary, Q8 };

/// Inference code, or a training step (forward, loss and gradients).
enum class Mode { Inference, Train };

/// What bert-compile produces.
enum class Emit { Mlir, Llvm, Asm, Obj, Lib, Exe };

struct Options {
  std::string input;  ///< a checkpoint folder or a .mlir file
  std::string output; ///< the file to write
  Emit emit = Emit::Obj;
  std::string targetCpu = "host";
  import::EntryPoint entry = import::EntryPoint::Model;
  bool timePhases = false; ///< print each step's wall time to stderr
  Quant quant = Quant::None;
  /// --mode=train: bert_train_step and bert_initial_parameters instead of
  /// the inference entry (lib/Training).
  Mode mode = Mode::Inference;
  /// --mode=train: the optimizer the step links (bert-build-optimizer):
  /// "adamw" or "bert-adam", its decay of non-bias, non-LayerNorm weights
  /// and the gradient clipping norm (0: none).
  std::string optimizer = "adamw";
  double weightDecay = 0.0;
  double maxGradNorm = 1.0;
  /// --mode=train: dropout rates (bert-insert-dropout); negative: the
  /// checkpoint's hidden_dropout_prob / attention_probs_dropout_prob.
  double hiddenDropout = -1.0;
  double attentionDropout = -1.0;
  /// Bi-Attention's bool with --quant=binary: "gt" (code) or "ge" (paper).
  std::string boolRule = "gt";
  /// --mode=train --quant=binary: the student's attention, "bi"
  /// (Bi-Attention) or "sign" (sign(softmax), the plain baseline), and
  /// whether the distillation loss has the DMD terms.
  std::string binaryAttention = "bi";
  bool dmd = true;
  /// --quant=q8: a JSON file of activation thresholds (Driver/Thresholds.h),
  /// linears kept f32, and the int8 kernel: auto (from the target's
  /// features), generic, avx2 or vnni.
  std::string thresholdsPath;
  std::vector<std::string> floatLayers;
  /// Linears whose output is requantized (thresholds <module>.output_thresh).
  std::vector<std::string> requantize;
  std::string int8Kernel = "auto";
  /// --q8-mode=dynamic: the scale of each call's input instead of thresholds.
  bool q8Dynamic = false;
  /// --q8-dump: an executable that writes every int8 product's codes and
  /// sums (bert-dump-int8) and OUT.dumps.json naming the slots.
  bool q8Dump = false;
  /// --calibrate: a .npy of inputs (token ids, or hidden states for the
  /// encoder entry) over which the float model runs to give thresholds,
  /// `calibrateBatch` rows at a time (Driver/Calibrate.h).
  std::string calibratePath;
  int64_t calibrateBatch = 8;
  /// Print the per-tensor size and operation table (driver/Report.h) for
  /// this many tokens before compiling; 0: no report.
  int64_t reportSequence = 0;
};

/// Runs the whole compile; errors name the offending file.
llvm::Error compile(const Options &options);

} // namespace bertc::driver

#endif // BERTC_DRIVER_DRIVER_H
