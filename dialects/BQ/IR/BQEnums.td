//===- BQEnums.td - Enumerations of the bq dialect ---------*- tablegen -*-===//
//
// Every choice where the official code and the papers differ is an enum, with
// the official code's behaviour as the default (SEMANTICS.md section 4).
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DIALECTS_BQ_IR_BQENUMS_TD
#define BERTC_DIALECTS_BQ_IR_BQENUMS_TD

include "dialects/BQ/IR/BQDialect.td"
include "mlir/IR/EnumAttr.td"

/// Enum attributes use the `<value>` format, so they print as
/// `#bq.window<strict>` on their own and as `window<strict>` in op formats
/// (the idiom of arith's `fastmath<fast>`; the default `$value` format prints
/// `window( strict)` in op formats).
class BQ_EnumAttr<EnumAttrInfo info, string name> :
    EnumAttr<BQ_Dialect, info, name> {
  let assemblyFormat = "`<` $value `>`";
}

def BQ_SignZeroPolicy : I32EnumAttr<"SignZeroPolicy",
    "what sign(0) yields", [
      I32EnumAttrCase<"Zero", 0, "zero">,
      I32EnumAttrCase<"PlusOne", 1, "plus_one">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::bertc::bq";
  let description = [{
    `zero`: sign(0) = 0, as torch.sign in the official BiBERT code (a ternary
    value). `plus_one`: sign(0) = +1, what a 1-bit packed kernel can represent.
  }];
}
def BQ_SignZeroPolicyAttr : BQ_EnumAttr<BQ_SignZeroPolicy, "sign_zero">;

def BQ_BinarizeForm : I32EnumAttr<"BinarizeForm",
    "which BiBERT binarizer", [
      I32EnumAttrCase<"Activation", 0, "activation">,
      I32EnumAttrCase<"Weight", 1, "weight">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::bertc::bq";
  let description = [{
    `activation`: sign(x), no scale. `weight`: per output row o,
    alpha_o * sign(W_o - mean(W_o)) with alpha_o = mean|W_o| of the un-centred
    row (SEMANTICS.md 2.2).
  }];
}
def BQ_BinarizeFormAttr : BQ_EnumAttr<BQ_BinarizeForm, "form">;

def BQ_SteWindow : I32EnumAttr<"SteWindow",
    "the straight-through window of a sign or bool", [
      I32EnumAttrCase<"Inclusive", 0, "inclusive">,
      I32EnumAttrCase<"Strict", 1, "strict">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::bertc::bq";
  let description = [{
    The gradient passes where `|x| <= 1` (`inclusive`, torch.clamp's rule,
    used for binary-linear inputs and weights) or where `|x| < 1` (`strict`,
    BinaryQuantizer and ZMeanBinaryQuantizer for Q/K/V and the scores).
  }];
}
def BQ_SteWindowAttr : BQ_EnumAttr<BQ_SteWindow, "window">;

def BQ_BoolRule : I32EnumAttr<"BoolRule",
    "where Bi-Attention's bool yields 1", [
      I32EnumAttrCase<"Greater", 0, "gt">,
      I32EnumAttrCase<"GreaterEqual", 1, "ge">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::bertc::bq";
  let description = [{
    `gt`: 1 where x > 0 (the official code). `ge`: 1 where x >= 0 (the paper).
  }];
}
def BQ_BoolRuleAttr : BQ_EnumAttr<BQ_BoolRule, "bool_rule">;

def BQ_PackRule : I32EnumAttr<"PackRule",
    "which values become a 1 bit when packing", [
      I32EnumAttrCase<"Positive", 0, "positive">,
      I32EnumAttrCase<"NonNegative", 1, "nonnegative">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::bertc::bq";
  let description = [{
    `positive`: bit = (x > 0), so a {0,1} or {-1,+1} input packs exactly and 0
    becomes bit 0. `nonnegative`: bit = (x >= 0), so sign(0) packs as +1.
  }];
}
def BQ_PackRuleAttr : BQ_EnumAttr<BQ_PackRule, "pack_rule">;

def BQ_BitEncoding : I32EnumAttr<"BitEncoding",
    "what a packed bit stands for", [
      I32EnumAttrCase<"Sign", 0, "sign">,
      I32EnumAttrCase<"Boolean", 1, "boolean">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::bertc::bq";
  let description = [{
    `sign`: bit 1 is +1 and bit 0 is -1. `boolean`: bit 1 is 1 and bit 0 is 0.
  }];
}
def BQ_BitEncodingAttr : BQ_EnumAttr<BQ_BitEncoding, "encoding">;

#endif // BERTC_DIALECTS_BQ_IR_BQENUMS_TD
