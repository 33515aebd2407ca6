func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = bq.binarize %x form<activation> : tensor<4x
