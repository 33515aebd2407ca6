//===- BertDialect.td - The float BERT graph dialect -------*- tablegen -*-===//
//
// `bert` holds the float operations of a BERT encoder that upstream MLIR has
// no single op for (embedding lookup, linear with a [out, in] weight, layer
// norm, erf GELU, last-axis softmax, multi-head attention). The importer
// produces them; the quantization passes rewrite around them; the lowering
// turns them into linalg.
//
//===----------------------------------------------------------------------===//

#ifndef BERTC_DIALECTS_BERT_IR_BERTDIALECT_TD
#define BERTC_DIALECTS_BERT_IR_BERTDIALECT_TD

include "mlir/IR/OpBase.td"

def Bert_Dialect : Dialect {
  let name = "bert";
  let cppNamespace = "::bertc::bert";
  let summary = "float BERT graph operations";
  let description = [{
    The float graph of a Hugging Face BERT model, one op per layer kind, with
    PyTorch's semantics (`torch.nn.functional`): weights are `[out, in]` as in
    `nn.Linear`, layer norm normalises the last axis with a biased variance,
    GELU is the erf form by default, and attention adds
    `(1 - mask) * -10000` to the scores of padded keys as BERT does.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Bert_Op<string mnemonic, list<Trait> traits = []> :
    Op<Bert_Dialect, mnemonic, traits>;

#endif // BERTC_DIALECTS_BERT_IR_BERTDIALECT_TD
