// RUN: bert-opt %s --bert-record-ranges | FileCheck %s

// Two linears with checkpoint weights: four slots of @bertc_ranges, the
// inputs first, then the outputs (`<module>.output_thresh`), named in
// bertc.ranges in order. Before each linear, max|x| of its input (a full
// reduction of maxnumf(acc, |x|) from 0) is folded into its slot with
// maxnumf; after it, max|y| of its output. The linears are unchanged.
// CHECK: module attributes {bertc.ranges = ["bert.encoder.layer.0.intermediate.dense", "classifier", "bert.encoder.layer.0.intermediate.dense.output_thresh", "classifier.output_thresh"]}
// CHECK-DAG: memref.global "public" @bertc_ranges : memref<4xf32> = dense<0.000000e+00>
// CHECK-DAG: memref.global "public" constant @bertc_range_count : memref<i64> = dense<4>
// CHECK-LABEL: func.func @two
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%arg0 : tensor<?x4xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: math.absf
// CHECK: arith.maxnumf
// CHECK: %[[SEEN:.*]] = tensor.extract
// CHECK: %[[G:.*]] = memref.get_global @bertc_ranges : memref<4xf32>
// CHECK: %[[OLD:.*]] = memref.load %[[G]][%c0]
// CHECK: %[[NEW:.*]] = arith.maxnumf %[[OLD]], %[[SEEN]] : f32
// CHECK: memref.store %[[NEW]], %[[G]][%c0]
// CHECK: %[[H:.*]] = bert.linear %arg0
// CHECK: linalg.generic {{.*}} ins(%[[H]] : tensor<?x2xf32>)
// CHECK: memref.store %{{.*}}, %{{.*}}[%c2]
// CHECK: linalg.generic {{.*}} ins(%[[H]] : tensor<?x2xf32>)
// CHECK: memref.store %{{.*}}, %{{.*}}[%c1]
// CHECK: %[[Y:.*]] = bert.linear %[[H]]
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<?x3xf32>)
// CHECK: memref.store %{{.*}}, %{{.*}}[%c3]
func.func @two(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense_resource<bert.encoder.layer.0.intermediate.dense.weight> : tensor<2x4xf32>
  %h = bert.linear %x, %w : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
  %wc = arith.constant dense_resource<classifier.weight> : tensor<3x2xf32>
  %y = bert.linear %h, %wc : tensor<?x2xf32>, tensor<3x2xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bert.encoder.layer.0.intermediate.dense.weight: "0x040000000000803F000080BF000000400000003F000000C0000000000000803E000000BF",
      classifier.weight: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}
