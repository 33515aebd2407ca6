// RUN: bert-opt %s --bert-internalize-private | FileCheck %s

// A private definition becomes internal; the public entry, a private
// declaration (libc's malloc) and an already-linked function keep theirs.
// CHECK: llvm.func internal @kernel() attributes {sym_visibility = "private"}
// CHECK: llvm.func @entry()
// CHECK: llvm.func @malloc(i64) -> !llvm.ptr attributes {sym_visibility = "private"}
// CHECK: llvm.func weak @already()
llvm.func @kernel() attributes {sym_visibility = "private"} {
  llvm.return
}
llvm.func @entry() {
  llvm.call @kernel() : () -> ()
  llvm.return
}
llvm.func @malloc(i64) -> !llvm.ptr attributes {sym_visibility = "private"}
llvm.func weak @already() {
  llvm.return
}
