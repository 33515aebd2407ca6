//===- bert-opt.cpp - mlir-opt for bertc's dialects and passes ------------===//

#include "bertc/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

/// The --help overview: bertc's own ops, read from the registered dialects so
/// that the list never goes stale.
static std::string describeOwnDialects(const mlir::DialectRegistry &registry) {
  mlir::MLIRContext context(registry);
  std::string text = "bertc optimizer driver\n\nbertc operations:\n";
  llvm::raw_string_ostream os(text);
  for (llvm::StringRef name : {"bert", "bq"}) {
    context.getOrLoadDialect(name);
    llvm::SmallVector<llvm::StringRef> ops;
    for (mlir::RegisteredOperationName op : context.getRegisteredOperations())
      if (op.getDialectNamespace() == name)
        ops.push_back(op.getStringRef());
    llvm::sort(ops);
    os << "  " << name << ":";
    for (llvm::StringRef op : ops)
      os << " " << op;
    os << "\n";
  }
  return text;
}

int main(int argc, char **argv) {
  bertc::registerAllPasses();
  mlir::DialectRegistry registry;
  bertc::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, describeOwnDialects(registry), registry));
}
