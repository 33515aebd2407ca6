//===- InitAll.cpp - Register bertc's dialects and passes -----------------===//

#include "bertc/InitAll.h"

#include "bertc/Conversion/Passes.h"
#include "bertc/Pipelines/Pipelines.h"
#include "bertc/Quantization/Passes.h"
#include "bertc/Training/Passes.h"
#include "bertc/Transforms/Passes.h"
#include "dialects/BQ/IR/BQ.h"
#include "dialects/Bert/IR/Bert.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void bertc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<bq::BQDialect, bert::BertDialect>();
  // The external models that bufferization and the conversions to LLVM
  // look up (BufferizableOpInterface, ConvertToLLVMPatternInterface, ...).
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registerUpstreamGradients(registry);
  registry.insert<mlir::affine::AffineDialect, mlir::arith::ArithDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::func::FuncDialect, mlir::LLVM::LLVMDialect,
                  mlir::linalg::LinalgDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::quant::QuantDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect,
                  mlir::vector::VectorDialect>();
}

void bertc::registerAllPasses() {
  mlir::registerAllPasses();
  registerBertcTransformsPasses();
  registerBertcConversionPasses();
  registerBertcQuantizationPasses();
  registerBertcTrainingPasses();
  registerPipelines();
}
