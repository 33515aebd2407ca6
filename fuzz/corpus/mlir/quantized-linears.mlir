// A Q8BERT and a BiBERT linear layer over the same float weights (3 inputs,
// 2 outputs), as the quantization passes will produce them. Canonicalizing
// folds the weight path at compile time: the int8 weights become a
// bq.constant of codes, the binary weights one packed i64 word per row,
// leaving only the activation path for run time.

func.func @q8bert_linear(%x: tensor<4x3xf32>) -> tensor<4x2xi32> {
  %w = arith.constant dense<[[0.5, -0.25, 0.75], [-1.0, 1.0, -1.0]]> : tensor<2x3xf32>
  // Weight scale 127 / max|W| = 127 (per tensor), activation threshold T = 2.
  %wq = bq.quantize %w : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8<-127:127>:f32, 0.007874015748031496>>
  %wi = quant.scast %wq : tensor<2x3x!quant.uniform<i8<-127:127>:f32, 0.007874015748031496>> to tensor<2x3xi8>
  %xq = bq.quantize %x : tensor<4x3xf32> -> tensor<4x3x!quant.uniform<i8<-127:127>:f32, 0.015748031496062992>>
  %xi = quant.scast %xq : tensor<4x3x!quant.uniform<i8<-127:127>:f32, 0.015748031496062992>> to tensor<4x3xi8>
  %acc = bq.int8_matmul %xi, %wi : tensor<4x3xi8>, tensor<2x3xi8> -> tensor<4x2xi32>
  return %acc : tensor<4x2xi32>
}

func.func @bibert_linear(%x: tensor<4x3xf32>) -> tensor<4x2xi32> {
  %w = arith.constant dense<[[0.5, -0.25, 0.75], [-1.0, 1.0, -1.0]]> : tensor<2x3xf32>
  // alpha * sign(W - rowmean(W)); the packed kernel keeps only the signs.
  %wb = bq.binarize %w form<weight> zero<plus_one> : tensor<2x3xf32>
  %wp = bq.pack_bits %wb : tensor<2x3xf32> -> tensor<2x1xi64>
  %xb = bq.binarize %x form<activation> zero<plus_one> : tensor<4x3xf32>
  %xp = bq.pack_bits %xb : tensor<4x3xf32> -> tensor<4x1xi64>
  %dot = bq.xnor_matmul %xp, %wp length(3) : tensor<4x1xi64>, tensor<2x1xi64> -> tensor<4x2xi32>
  return %dot : tensor<4x2xi32>
}
