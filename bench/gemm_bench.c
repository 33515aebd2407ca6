/*===- gemm_bench.c - bertc's fp32 linear against OpenBLAS sgemm ----------===*
 *
 * Links the linears that bench.py compiled with bert-compile (one C entry per
 * BERT-base weight shape) and times them against cblas_sgemm on the same
 * data, single-threaded, printing medians and the ratio. Also checks that
 * both agree, so a fast wrong kernel cannot look good.
 *===----------------------------------------------------------------------===*/
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timing.h"

struct m1 { float *allocated, *aligned; int64_t offset, sizes[1], strides[1]; };
struct m2 { float *allocated, *aligned; int64_t offset, sizes[2], strides[2]; };
/* The compiled linears hold their weights (prepacked at compile time); the
 * same weights and biases are in weights.bin for OpenBLAS. */
typedef void (*linear_fn)(struct m2 *, struct m2 *);

void _mlir_ciface_linear_768_768(struct m2 *, struct m2 *);
void _mlir_ciface_linear_3072_768(struct m2 *, struct m2 *);
void _mlir_ciface_linear_768_3072(struct m2 *, struct m2 *);


/* Median seconds of `samples` runs, each repeated until it lasts >= 50 ms. */
#define SAMPLES 7
static double median_time(void (*run)(void *), void *context) {
  double start = now();
  run(context);
  double once = now() - start;
  int repeats = once > 0.05 ? 1 : (int)(0.05 / (once + 1e-9)) + 1;
  double times[SAMPLES];
  for (int s = 0; s < SAMPLES; ++s) {
    start = now();
    for (int r = 0; r < repeats; ++r) run(context);
    times[s] = (now() - start) / repeats;
  }
  return median(times, SAMPLES);
}

struct problem {
  int m, n, k;
  float *x, *w, *b, *ours, *blas;
  linear_fn fn;
};

static void run_ours(void *p) {
  struct problem *q = p;
  struct m2 x = {q->x, q->x, 0, {q->m, q->k}, {q->k, 1}};
  struct m2 y = {q->ours, q->ours, 0, {q->m, q->n}, {q->n, 1}};
  q->fn(&x, &y);
}

static void run_blas(void *p) {
  struct problem *q = p;
  for (int i = 0; i < q->m; ++i) memcpy(q->blas + (size_t)i * q->n, q->b, q->n * sizeof(float));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, q->m, q->n, q->k, 1.0f, q->x, q->k,
              q->w, q->k, 1.0f, q->blas, q->n);
}

static float *random_floats(size_t count, unsigned *seed) {
  float *p = malloc(count * sizeof(float));
  for (size_t i = 0; i < count; ++i) p[i] = (float)rand_r(seed) / RAND_MAX - 0.5f;
  return p;
}

char *openblas_get_corename(void);
char *openblas_get_config(void);

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: gemm_bench weights.bin\n");
    return 1;
  }
  FILE *weights = fopen(argv[1], "rb");
  if (!weights) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  printf("OpenBLAS %s, kernel %s, 1 thread\n", openblas_get_config(), openblas_get_corename());
  const int ms[] = {1, 128, 512};
  const struct { int n, k; linear_fn fn; } shapes[] = {
      {768, 768, _mlir_ciface_linear_768_768},
      {3072, 768, _mlir_ciface_linear_3072_768},
      {768, 3072, _mlir_ciface_linear_768_3072}};
  unsigned seed = 1;
  int failures = 0;
  printf("%-16s %12s %12s %10s %10s %8s\n", "M x N x K", "bertc ms", "OpenBLAS ms",
         "bertc GF/s", "BLAS GF/s", "ratio");
  for (size_t s = 0; s < 3; ++s) {
    size_t wn = (size_t)shapes[s].n * shapes[s].k;
    float *w = malloc(wn * sizeof(float)), *b = malloc(shapes[s].n * sizeof(float));
    if (fread(w, sizeof(float), wn, weights) != wn ||
        fread(b, sizeof(float), shapes[s].n, weights) != (size_t)shapes[s].n) {
      fprintf(stderr, "%s is too short\n", argv[1]);
      return 1;
    }
    for (size_t i = 0; i < 3; ++i) {
      struct problem q = {ms[i], shapes[s].n, shapes[s].k, 0, w, b, 0, 0, shapes[s].fn};
      q.x = random_floats((size_t)q.m * q.k, &seed);
      q.ours = calloc((size_t)q.m * q.n, sizeof(float));
      q.blas = calloc((size_t)q.m * q.n, sizeof(float));
      double ours = median_time(run_ours, &q), blas = median_time(run_blas, &q);
      double worst = 0;
      for (size_t e = 0; e < (size_t)q.m * q.n; ++e)
        worst = fmax(worst, fabs(q.ours[e] - q.blas[e]));
      double flops = 2.0 * q.m * q.n * q.k;
      char name[32];
      snprintf(name, sizeof name, "%dx%dx%d", q.m, q.n, q.k);
      printf("%-16s %12.3f %12.3f %10.1f %10.1f %7.2fx%s\n", name, ours * 1e3, blas * 1e3,
             flops / ours * 1e-9, flops / blas * 1e-9, blas / ours,
             worst > 1e-3 ? "  MISMATCH" : "");
      failures += worst > 1e-3;
      free(q.x); free(q.ours); free(q.blas);
    }
    free(w);
    free(b);
  }
  fclose(weights);
  printf("(ratio = OpenBLAS time / bertc time: above 1 means bertc is faster)\n");
  return failures != 0;
}
