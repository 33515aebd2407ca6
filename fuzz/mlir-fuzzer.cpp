//===- mlir-fuzzer.cpp - Fuzz parsing and verifying bertc's dialects ------===//
//
// bert-opt's path for bertc's IR: parse with bertc's dialects and the
// upstream ones its IR uses, verify, then fold and apply bq's
// canonicalization patterns. Diagnostics are swallowed; only crashes,
// sanitizer reports and hangs are findings. (Other upstream dialects are
// left out so that a finding is bertc's.)
//
//===----------------------------------------------------------------------===//

#include "dialects/BQ/IR/BQ.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<bertc::bq::BQDialect, bertc::bert::BertDialect,
              mlir::arith::ArithDialect, mlir::func::FuncDialect,
              mlir::quant::QuantDialect, mlir::tensor::TensorDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  // MLIR's lexer relies on the NUL that file-backed buffers end with (as
  // bert-opt and bert-compile read them); std::string provides it.
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;
  mlir::RewritePatternSet patterns(&context);
  context.getOrLoadDialect<bertc::bq::BQDialect>()->getCanonicalizationPatterns(
      patterns);
  bertc::bq::DequantizeOp::getCanonicalizationPatterns(patterns, &context);
  (void)mlir::applyPatternsGreedily(*module, std::move(patterns));
  return 0;
}
