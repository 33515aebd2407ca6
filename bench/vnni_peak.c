/*===- vnni_peak.c - The vpdpbusd throughput of this core -----------------===*
 *
 * 16 independent chains of 512-bit vpdpbusd on registers (no memory
 * operands), 200 M instructions: the most int8 multiply-adds per second
 * one core can do with AVX512-VNNI, against which bench.py puts our int8
 * linears and oneDNN's. Built with -mavx512vnni and run only where the
 * CPU has it.
 *===----------------------------------------------------------------------===*/
#include <immintrin.h>
#include <stdio.h>

#include "timing.h"

int main(void) {
  __m512i acc[16];
  __m512i x = _mm512_set1_epi8(1), w = _mm512_set1_epi8(2);
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_epi32(i);
  const long rounds = 200000000 / 16;
  double start = now();
  for (long r = 0; r < rounds; ++r) {
    /* Written out: a loop over acc[] may keep the chains in memory. */
#define STEP(i) acc[i] = _mm512_dpbusd_epi32(acc[i], x, w);
    STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
    STEP(8) STEP(9) STEP(10) STEP(11) STEP(12) STEP(13) STEP(14) STEP(15)
#undef STEP
    /* x is opaque to the compiler: the products are not hoisted. */
    __asm__ volatile("" : "+v"(x));
  }
  double seconds = now() - start;
  int sum = 0;
  for (int i = 0; i < 16; ++i) sum += _mm512_reduce_add_epi32(acc[i]);
  double instructions = (double)rounds * 16 / seconds;
  printf("vpdpbusd zmm peak, 1 thread: %.2f G/s = %.0f GMAC/s (checksum %d)\n",
         instructions * 1e-9, instructions * 64 * 1e-9, sum);
  return 0;
}
