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
/* "2.6.3". */
const char *onednn_version(void);

#endif
