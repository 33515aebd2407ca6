//===- BertEnums.td - Enumerations of the bert dialect -----*- tablegen -*-===//

#ifndef BERTC_DIALECTS_BERT_IR_BERTENUMS_TD
#define BERTC_DIALECTS_BERT_IR_BERTENUMS_TD

include "dialects/Bert/IR/BertDialect.td"
include "mlir/IR/EnumAttr.td"

def Bert_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how GELU is computed", [
      I32EnumAttrCase<"Erf", 0, "erf">,
      I32EnumAttrCase<"Tanh", 1, "tanh">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::bertc::bert";
  let description = [{
    `erf`: x * 0.5 * (1 + erf(x / sqrt(2))), BERT's `gelu` (the default).
    `tanh`: the tanh approximation (`gelu_new`).
  }];
}
def Bert_GeluApproximationAttr :
    EnumAttr<Bert_Dialect, Bert_GeluApproximation, "gelu"> {
  let assemblyFormat = "`<` $value `>`"; // prints approximation<tanh>
}

#endif // BERTC_DIALECTS_BERT_IR_BERTENUMS_TD
