// bert-lower-linears{amx=true}: int8 products in the vnni layout whose K is
// a multiple of 64 (16 words) run their rows in blocks of 16 on AMX tiles;
// the last M % 16 rows and other products stay on vpdpbusd.
// RUN: bert-opt %s -pass-pipeline='builtin.module(bert-lower-linears{vector-width=16 rows=8 amx=true})' | FileCheck %s
// Without the option, no tile.
// RUN: bert-opt %s -pass-pipeline='builtin.module(bert-lower-linears{vector-width=16 rows=8})' | FileCheck %s --check-prefix=NOAMX
// Lowered to the llvm dialect: the AMX intrinsics (tdpbusd: unsigned x,
// signed w).
// RUN: bert-opt %s -pass-pipeline='builtin.module(bert-lower-linears{vector-width=16 rows=8 amx=true},convert-scf-to-cf,convert-vector-to-llvm{enable-amx},finalize-memref-to-llvm,convert-arith-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,reconcile-unrealized-casts)' | FileCheck %s --check-prefix=LLVM

#xi = affine_map<(d0, d1, d2) -> (d0, d2)>
#wi = affine_map<(d0, d1, d2) -> (d2, d1)>
#oi = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: func.func @int8
// CHECK: call @bertc_int8vnni_32x64_overwrite_amx(
// CHECK: call @bertc_int8vnni_4x64(
//
// The kernel asks Linux for the tile state first.
// CHECK-LABEL: func.func private @bertc_int8vnni_32x64_overwrite_amx
// CHECK-SAME: (%[[X:.*]]: memref<?x32xi32>, %[[W:.*]]: memref<32x64xi32>, %[[O:.*]]: memref<?x64xi32>, %{{.*}}: index, %{{.*}}: index)
// CHECK: llvm.call @__bertc_amx_permission()
// CHECK: %[[M:.*]] = memref.dim %[[X]], %c0
// CHECK: scf.for %[[COL:.*]] = %{{.*}} to %{{.*}} step %c64 {
//
// Pairs of row tiles: 2 x 2 accumulators per half panel (zeroed: the fill
// before the product is dropped), the reduction unrolled in steps of 16
// words, each operand loaded before its first use.
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %c32 {
// CHECK: %[[ROW1:.*]] = arith.addi %[[ROW]], %c16
// CHECK: %[[COL1:.*]] = arith.addi %[[COL]], %c16
// CHECK-COUNT-4: amx.tile_zero : !amx.tile<16x16xi32>
// CHECK: %[[X0:.*]] = amx.tile_load %[[X]][%[[ROW]], %[[K0:.*]]] : memref<?x32xi32> into !amx.tile<16x64xi8>
// CHECK: %[[W0:.*]] = amx.tile_load %[[W]][%[[K0]], %[[COL]]] : memref<32x64xi32> into !amx.tile<16x64xi8>
// CHECK: amx.tile_muli %[[X0]] zext, %[[W0]], %{{.*}} : !amx.tile<16x64xi8>, !amx.tile<16x64xi8>, !amx.tile<16x16xi32>
// CHECK: %[[W1:.*]] = amx.tile_load %[[W]][%[[K0]], %[[COL1]]]
// CHECK: amx.tile_muli %[[X0]] zext, %[[W1]]
// CHECK: %[[X1:.*]] = amx.tile_load %[[X]][%[[ROW1]], %[[K0]]]
// CHECK: amx.tile_muli %[[X1]] zext, %[[W0]]
// CHECK: amx.tile_muli %[[X1]] zext, %[[W1]]
// CHECK: %[[X2:.*]] = amx.tile_load %[[X]][%[[ROW]], %c16{{.*}}]
// CHECK-COUNT-3: amx.tile_muli
// CHECK: %[[LAST:.*]] = amx.tile_muli
// CHECK-NOT: amx.tile_muli
// CHECK: amx.tile_store %[[O]][%[[ROW]], %[[COL]]]
// CHECK-COUNT-2: amx.tile_store
// CHECK: amx.tile_store %[[O]][%[[ROW1]], %[[COL1]]], %[[LAST]]
//
// The second half panel, from column + 32.
// CHECK: arith.addi %[[COL]], %c32
// CHECK-COUNT-8: amx.tile_muli
// CHECK: }
//
// One block of 16 rows if left (1 x 2 tiles per half panel), then the
// vector code from the first row that fills no tile.
// CHECK: %[[TILED:.*]] = arith.subi %[[M]], %{{.*}} : index
// CHECK: scf.if %{{.*}} {
// CHECK-COUNT-8: amx.tile_muli
// CHECK-NOT: amx.tile_muli
// CHECK: }
// CHECK: %[[LEFT:.*]] = arith.subi %[[M]], %[[TILED]]
// CHECK: scf.for %{{.*}} = %[[TILED]] to
// CHECK: llvm.x86.avx512.vpdpbusd.512
// CHECK: scf.for
// CHECK: llvm.x86.avx512.vpdpbusd.512
//
// K = 16 bytes fills no tile: the vector kernel as without the option.
// CHECK-LABEL: func.func private @bertc_int8vnni_4x64(
// CHECK-NOT: amx.
// CHECK: llvm.x86.avx512.vpdpbusd.512
// CHECK-NOT: amx.
//
// The permission: arch_prctl(ARCH_REQ_XCOMP_PERM = 0x1023, XTILEDATA = 18)
// once, and on a refusal a message and exit(1).
// CHECK: llvm.func internal @__bertc_amx_permission()
// CHECK: llvm.load %{{.*}} atomic monotonic
// CHECK: llvm.mlir.constant(158 : i64)
// CHECK: llvm.mlir.constant(4131 : i64)
// CHECK: llvm.mlir.constant(18 : i64)
// CHECK: llvm.call @syscall
// CHECK: llvm.call @write
// CHECK: llvm.call @exit

// NOAMX-LABEL: func.func @int8
// NOAMX: call @bertc_int8vnni_32x64_overwrite(
// NOAMX-NOT: amx
// NOAMX-NOT: __bertc_amx_permission

// LLVM-LABEL: llvm.func @bertc_int8vnni_32x64_overwrite_amx
// LLVM: llvm.call @__bertc_amx_permission()
// LLVM: llvm.call_intrinsic "llvm.x86.tilezero.internal"
// LLVM: llvm.call_intrinsic "llvm.x86.tileloadd64.internal"
// LLVM: llvm.call_intrinsic "llvm.x86.tdpbusd.internal"
// LLVM: llvm.call_intrinsic "llvm.x86.tilestored64.internal"
func.func @int8(%x: memref<?x32xi32>, %w: memref<32x64xi32>, %o: memref<?x64xi32>,
                %x2: memref<?x4xi32>, %w2: memref<4x64xi32>, %o2: memref<?x64xi32>) {
  %zero = arith.constant 0 : i32
  linalg.fill ins(%zero : i32) outs(%o : memref<?x64xi32>)
  linalg.generic {indexing_maps = [#xi, #wi, #oi], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x32xi32>, memref<32x64xi32>) outs(%o : memref<?x64xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %b: i32, %c: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#xi, #wi, #oi], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x2, %w2 : memref<?x4xi32>, memref<4x64xi32>) outs(%o2 : memref<?x64xi32>) attrs = {bertc.int8_linear = "vnni"} {
  ^bb0(%a: i32, %b: i32, %c: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  return
}
