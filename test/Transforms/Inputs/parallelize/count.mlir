// A `bertc.parallel` kernel that counts, atomically, each item of its range
// in counts[item]; @count_items(counts, first, end) calls it on the whole
// range (through the pool once bert-parallelize-kernels has run).
module {
  llvm.func internal @count_kernel(%counts: !llvm.ptr, %first: i64, %end: i64) attributes {bertc.parallel} {
    %one = llvm.mlir.constant(1 : i32) : i32
    %c1 = llvm.mlir.constant(1 : i64) : i64
    llvm.br ^check(%first : i64)
  ^check(%i: i64):
    %more = llvm.icmp "slt" %i, %end : i64
    llvm.cond_br %more, ^body, ^done
  ^body:
    %at = llvm.getelementptr %counts[%i] : (!llvm.ptr, i64) -> !llvm.ptr, i32
    %old = llvm.atomicrmw add %at, %one monotonic : !llvm.ptr, i32
    %next = llvm.add %i, %c1 : i64
    llvm.br ^check(%next : i64)
  ^done:
    llvm.return
  }
  llvm.func @count_items(%counts: !llvm.ptr, %first: i64, %end: i64) {
    llvm.call @count_kernel(%counts, %first, %end) : (!llvm.ptr, i64, i64) -> ()
    llvm.return
  }
}
