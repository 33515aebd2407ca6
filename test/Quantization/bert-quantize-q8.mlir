// RUN: bert-opt %s --split-input-file --bert-quantize-q8 | FileCheck %s
// RUN: bert-opt %s --split-input-file --bert-quantize-q8 --canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: bert-opt %s --split-input-file --bert-quantize-q8=float-layers=bert.encoder.layer.0.intermediate.dense | FileCheck %s --check-prefix=FLOAT
// RUN: bert-opt %s --split-input-file --bert-quantize-q8=mode=dynamic | FileCheck %s --check-prefix=DYN
// RUN: bert-opt %s --split-input-file --bert-quantize-q8=requantize=bert.encoder.layer.1.attention.self.query | FileCheck %s --check-prefix=RQ
// RUN: bert-opt %s --split-input-file --bert-quantize-q8=requantize=bert.encoder.layer.1.attention.self.query --canonicalize | FileCheck %s --check-prefix=RQFOLD

// A Q8BERT linear (SEMANTICS.md 1.5). T = 2 gives s_x = 127 / 2 = 63.5
// (step 1 / 63.5 = 0.015748...); max|W| = 2 gives s_w = 63.5; the bias
// step is 1 / (s_w s_x) = 1 / 4032.25. The product is int8 x int8 -> int32
// and the output the accumulator divided by s_b, in f32. The classifier
// has its own threshold.
// CHECK-LABEL: func.func @linear
// CHECK: %[[XQ:.*]] = bq.quantize %arg0 : tensor<?x?x4xf32> -> tensor<?x?x4x!quant.uniform<i8<-127:127>:f32, 0.015748031{{[0-9]*}}>>
// CHECK: %[[X:.*]] = quant.scast %[[XQ]] : {{.*}} to tensor<?x?x4xi8>
// CHECK: %[[WQ:.*]] = bq.quantize %{{.*}} : tensor<2x4xf32> -> tensor<2x4x!quant.uniform<i8<-127:127>:f32, 0.015748031{{[0-9]*}}>>
// CHECK: %[[W:.*]] = quant.scast %[[WQ]] : {{.*}} to tensor<2x4xi8>
// CHECK: %[[BQ:.*]] = bq.quantize %{{.*}} : tensor<2xf32> -> tensor<2x!quant.uniform<i32<-2147483647:2147483647>:f32, 2.4800{{[0-9]*}}E-4>>
// CHECK: %[[B:.*]] = quant.scast %[[BQ]] : {{.*}} to tensor<2xi32>
// CHECK: %[[ACC:.*]] = bq.int8_matmul %[[X]], %[[W]] bias %[[B]] {bertc.module = "bert.encoder.layer.0.intermediate.dense"} : tensor<?x?x4xi8>, tensor<2x4xi8>, tensor<2xi32> -> tensor<?x?x2xi32>
// CHECK: %[[AQ:.*]] = quant.scast %[[ACC]] : tensor<?x?x2xi32> to tensor<?x?x2x!quant.uniform<i32<-2147483647:2147483647>:f32, 2.4800{{[0-9]*}}E-4>>
// CHECK: bq.dequantize %[[AQ]] : {{.*}} -> tensor<?x?x2xf32>
// CHECK: bq.int8_matmul
// CHECK-NOT: bert.linear
// The weight and the bias fold to integer codes at compile time:
// rne(W * 63.5) = [[64, -64, 127, 32], ...], rne(b * 4032.25).
// FOLD-LABEL: func.func @linear
// FOLD-DAG: arith.constant dense<{{\[}}[64, -64, 127, 32], [-127, 0, 16, -32]]> : tensor<2x4xi8>
// FOLD-DAG: arith.constant dense<[2016, -4032]> : tensor<2xi32>
// FOLD: bq.int8_matmul %{{.*}}, %{{.*}} bias %{{.*}} {{{.*}}} : tensor<?x?x4xi8>, tensor<2x4xi8>, tensor<2xi32> -> tensor<?x?x2xi32>
// mode=dynamic: s_x = 127 / max|x| of the call's input (127 / 127 = 1 for
// an all-zero input), s_b = s_w * s_x, x and the bias quantized with those
// run-time scales, acc / s_b; the weight still folds.
// DYN-LABEL: func.func @linear
// DYN: linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction"]}
// DYN: %[[MAX:.*]] = tensor.extract
// DYN: %[[ZERO:.*]] = arith.cmpf oeq, %[[MAX]]
// DYN: %[[DEN:.*]] = arith.select %[[ZERO]], %{{.*}}, %[[MAX]] : f32
// DYN: %[[SX:.*]] = arith.divf %{{.*}}, %[[DEN]] : f32
// DYN: %[[SB:.*]] = arith.mulf %{{.*}}, %[[SX]] : f32
// DYN: arith.mulf %{{.*}}, %[[SX]] : f32
// DYN: arith.fptosi %{{.*}} : f32 to i8
// DYN: bq.quantize %{{.*}} : tensor<2x4xf32>
// DYN: arith.mulf %{{.*}}, %[[SB]] : f32
// DYN: arith.fptosi %{{.*}} : f32 to i32
// DYN: bq.int8_matmul
// DYN: arith.divf %{{.*}}, %[[SB]] : f32
// FLOAT-LABEL: func.func @linear
// FLOAT: bert.linear %arg0
// FLOAT: bq.int8_matmul
module attributes {bertc.thresholds = {"bert.encoder.layer.0.intermediate.dense" = 2.0 : f32, "classifier" = 4.0 : f32}} {
  func.func @linear(%x: tensor<?x?x4xf32>) -> tensor<?x?x3xf32> {
    %w = arith.constant dense_resource<bert.encoder.layer.0.intermediate.dense.weight> : tensor<2x4xf32>
    %b = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
    %h = bert.linear %x, %w bias %b : tensor<?x?x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<?x?x2xf32>
    %wc = arith.constant dense_resource<classifier.weight> : tensor<3x2xf32>
    %y = bert.linear %h, %wc : tensor<?x?x2xf32>, tensor<3x2xf32> -> tensor<?x?x3xf32>
    return %y : tensor<?x?x3xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      bert.encoder.layer.0.intermediate.dense.weight: "0x040000000000803F000080BF000000400000003F000000C0000000000000803E000000BF",
      classifier.weight: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}

// -----

// Word and position tables become int8 codes (per tensor: max|E| = 2,
// s = 63.5) and the lookup divides by s; token types stay f32.
// CHECK-LABEL: func.func @embeddings
// CHECK: bq.quantize %{{.*}} : tensor<3x2xf32> -> tensor<3x2x!quant.uniform<i8<-127:127>:f32, 0.015748031{{[0-9]*}}>>
// CHECK: linalg.generic
// CHECK: tensor.extract
// CHECK: arith.sitofp
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: bert.embedding %{{.*}}, %arg1
// FOLD-LABEL: func.func @embeddings
// FOLD: arith.constant dense<{{\[}}[64, -127], [0, 32], [-64, 127]]> : tensor<3x2xi8>
func.func @embeddings(%ids: tensor<?x?xi32>, %types: tensor<?x?xi32>) -> (tensor<?x?x2xf32>, tensor<?x?x2xf32>) {
  %words = arith.constant dense_resource<bert.embeddings.word_embeddings.weight> : tensor<3x2xf32>
  %kinds = arith.constant dense_resource<bert.embeddings.token_type_embeddings.weight> : tensor<3x2xf32>
  %a = bert.embedding %words, %ids : tensor<3x2xf32>, tensor<?x?xi32> -> tensor<?x?x2xf32>
  %b = bert.embedding %kinds, %types : tensor<3x2xf32>, tensor<?x?xi32> -> tensor<?x?x2xf32>
  return %a, %b : tensor<?x?x2xf32>, tensor<?x?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bert.embeddings.word_embeddings.weight: "0x040000000000803F000000C0000000000000003F000080BF00000040",
      bert.embeddings.token_type_embeddings.weight: "0x040000000000803F000000C0000000000000003F000080BF00000040"
    }
  }
#-}

// -----

// requantize=...: the linear's f32 output back on the 8-bit grid of its
// output threshold (T_out = 4: step 4 / 127), as a quantize + dequantize
// pair that canonicalize turns into one bq.fake_quant.
// RQ-LABEL: func.func @requantized
// RQ: %[[Y:.*]] = bq.dequantize %{{.*}} : tensor<?x2x!quant.uniform<i32<-2147483647:2147483647>:f32, {{.*}}>> -> tensor<?x2xf32>
// RQ: %[[G:.*]] = bq.quantize %[[Y]] : tensor<?x2xf32> -> tensor<?x2x!quant.uniform<i8<-127:127>:f32, 0.031496062{{[0-9]*}}>>
// RQ: bq.dequantize %[[G]]
// RQFOLD-LABEL: func.func @requantized
// RQFOLD: bq.fake_quant %{{.*}}, %{{.*}} bits 8 : tensor<?x2xf32>
module attributes {bertc.thresholds = {"bert.encoder.layer.1.attention.self.query" = 2.0 : f32, "bert.encoder.layer.1.attention.self.query.output_thresh" = 4.0 : f32}} {
  func.func @requantized(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
    %w = arith.constant dense_resource<bert.encoder.layer.1.attention.self.query.weight> : tensor<2x4xf32>
    %y = bert.linear %x, %w : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      bert.encoder.layer.1.attention.self.query.weight: "0x040000000000803F000080BF000000400000003F000000C0000000000000803E000000BF"
    }
  }
#-}
