// RUN: bert-opt %s --split-input-file --bert-quantize-q8 --verify-diagnostics

// A linear without a threshold is an error naming it.
func.func @missing(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense_resource<bert.encoder.layer.3.output.dense.weight> : tensor<2x4xf32>
  // expected-error @+1 {{bert-quantize-q8: no input threshold for 'bert.encoder.layer.3.output.dense': give one}}
  %y = bert.linear %x, %w : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bert.encoder.layer.3.output.dense.weight: "0x040000000000803F000080BF000000400000003F000000C0000000000000803E000000BF"
    }
  }
#-}

// -----

// A threshold must be positive: 127 / T would not be a scale.
module attributes {bertc.thresholds = {"bert.pooler.dense" = 0.0 : f32}} {
  func.func @zero(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
    %w = arith.constant dense_resource<bert.pooler.dense.weight> : tensor<2x4xf32>
    // expected-error @+1 {{bert-quantize-q8: the input threshold of 'bert.pooler.dense' must be positive and finite, got 0}}
    %y = bert.linear %x, %w : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      bert.pooler.dense.weight: "0x040000000000803F000080BF000000400000003F000000C0000000000000803E000000BF"
    }
  }
#-}

// -----

// An all-zero weight has no scale (127 / max|W|).
module attributes {bertc.thresholds = {"bert.pooler.dense" = 1.0 : f32}} {
  func.func @zeros(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
    %w = arith.constant dense_resource<bert.pooler.dense.weight> : tensor<2x4xf32>
    // expected-error @+1 {{bert-quantize-q8: max|W| of 'bert.pooler.dense.weight' must be positive and finite, got 0}}
    %y = bert.linear %x, %w : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      bert.pooler.dense.weight: "0x040000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}
