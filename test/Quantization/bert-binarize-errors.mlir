// RUN: bert-opt %s --split-input-file --bert-binarize --verify-diagnostics

// The packed inference kernels have no dropout: an attention that carries
// one (a training graph) is refused, not silently run without it.
func.func @attention_dropout(%x: tensor<1x4x64xf32>, %seed: i64) -> tensor<1x4x64xf32> {
  // expected-error @below {{has dropout, which bert-binarize's inference kernels do not implement}}
  %c = bert.attention %x, %x, %x heads(1) probabilities<bool> dropout seed %seed stream(1) rate(0.1) : tensor<1x4x64xf32>
  return %c : tensor<1x4x64xf32>
}
