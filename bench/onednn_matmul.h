/*===- onednn_matmul.h - oneDNN's int8 matmul, the peer of Q8 linears ---===*/
#ifndef BERTC_BENCH_ONEDNN_MATMUL_H
#define BERTC_BENCH_ONEDNN_MATMUL_H

struct onednn_matmul;

/* An M x K times K x N int8 matmul into s32: s8 or (src_unsigned) u8
 * activations, s8 weights in oneDNN's preferred layout. */
struct onednn_matmul *onednn_matmul_create(int m, int n, int k, int src_unsigned);
/* Runs it once (a void * for the timing helper). */
void onednn_matmul_run(void *matmul);
void onednn_matmul_destroy(struct onednn_matmul *matmul);
/* The implementation oneDNN chose for it, e.g. "brg:avx512_core_amx" (its
 * ISA follows the CPU, or ONEDNN_MAX_CPU_ISA where that is set). */
const char *onednn_matmul_implementation(const struct onednn_matmul *matmul);
/* "2.6.3". */
const char *onednn_version(void);

#endif
