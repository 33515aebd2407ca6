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

def Bert_AttentionProbabilities : I32EnumAttr<"AttentionProbabilities",
    "what attention makes of its scores", [
      I32EnumAttrCase<"Softmax", 0, "softmax">,
      I32EnumAttrCase<"Bool", 1, "bool">,
      I32EnumAttrCase<"SignSoftmax", 2, "sign_softmax">,
      I32EnumAttrCase<"BoolPaper", 3, "bool_paper">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::bertc::bert";
  let description = [{
    `softmax`: BERT's softmax over the keys (the default).
    `bool`: BiBERT's Bi-Attention in training form, `1{A > 0}` of the
    pre-softmax scores (SEMANTICS.md 2.5), gradient `g * 1{|A| < 1}`.
    `bool_paper`: the paper's variant, `1{A >= 0}` with gradient
    `g * 1{|A| <= 1}`.
    `sign_softmax`: the fully binarized baseline that Bi-Attention replaces,
    `sign(softmax(A))` (1 for every unmasked key), gradient straight through
    the sign (probabilities lie inside its window) and then softmax's.
  }];
}
def Bert_AttentionProbabilitiesAttr :
    EnumAttr<Bert_Dialect, Bert_AttentionProbabilities, "probabilities"> {
  let assemblyFormat = "`<` $value `>`"; // prints probabilities<bool>
}

#endif // BERTC_DIALECTS_BERT_IR_BERTENUMS_TD
