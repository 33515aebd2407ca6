/*===- gemm_bench.c - bertc's linears against OpenBLAS and oneDNN ---------===*
 *
 * Links the linears that bench.py compiled with bert-compile (one C entry per
 * BERT-base weight shape: fp32, BiBERT binary and Q8BERT int8) and times
 * them against cblas_sgemm on the same data and oneDNN's int8 matmuls on
 * the same shapes, printing medians and the ratios. Each
 * of ours is checked against a plain C version, so a fast wrong kernel
 * cannot look good. Threads: BENCH_THREADS (bench.py sets it, and sets
 * OPENBLAS_NUM_THREADS, OMP_NUM_THREADS for oneDNN and BERTC_NUM_THREADS
 * to the same count).
 *===----------------------------------------------------------------------===*/
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "onednn_matmul.h"
#include "timing.h"

struct m1 { float *allocated, *aligned; int64_t offset, sizes[1], strides[1]; };
struct m2 { float *allocated, *aligned; int64_t offset, sizes[2], strides[2]; };
/* The compiled linears hold their weights (prepacked at compile time); the
 * same weights and biases are in weights.bin for OpenBLAS. */
typedef void (*linear_fn)(struct m2 *, struct m2 *);

void _mlir_ciface_linear_768_768(struct m2 *, struct m2 *);
void _mlir_ciface_linear_3072_768(struct m2 *, struct m2 *);
void _mlir_ciface_linear_768_3072(struct m2 *, struct m2 *);
void _mlir_ciface_binary_768_768(struct m2 *, struct m2 *);
void _mlir_ciface_binary_3072_768(struct m2 *, struct m2 *);
void _mlir_ciface_binary_768_3072(struct m2 *, struct m2 *);
/* The q8 linears three times: with the host's best int8 kernel (q8_),
 * and compiled for an AVX512-VNNI CPU (q8vnni_) and for an AVX2 one
 * (q8avx2_), to be measured against oneDNN held to the same ISA. */
#define Q8_SET(prefix)                                                        \
  void _mlir_ciface_##prefix##_768_768(struct m2 *, struct m2 *);             \
  void _mlir_ciface_##prefix##_3072_768(struct m2 *, struct m2 *);            \
  void _mlir_ciface_##prefix##_768_3072(struct m2 *, struct m2 *);
Q8_SET(q8)
Q8_SET(q8vnni)
Q8_SET(q8avx2)
static const struct { const char *name; linear_fn fns[3]; } q8_sets[] = {
    {"host", {_mlir_ciface_q8_768_768, _mlir_ciface_q8_3072_768, _mlir_ciface_q8_768_3072}},
    {"vnni",
     {_mlir_ciface_q8vnni_768_768, _mlir_ciface_q8vnni_3072_768, _mlir_ciface_q8vnni_768_3072}},
    {"avx2",
     {_mlir_ciface_q8avx2_768_768, _mlir_ciface_q8avx2_3072_768, _mlir_ciface_q8avx2_768_3072}}};
/* The input threshold compiled into the q8 linears: max |x| of the inputs
 * (random_floats gives [-0.5, 0.5]). */
#define Q8_THRESHOLD 0.5f


/* With several threads, each side's idle pool keeps spinning for a while
 * after its last call (OpenBLAS for about 2^28 cycles, libgomp and bertc
 * for well under a millisecond) and would slow the next side down on a
 * machine with as many cores as threads: each measurement first sleeps
 * long enough for every pool to go idle. */
static int settle_first = 0;

/* Median seconds of `samples` runs, each repeated until it lasts >= 50 ms. */
#define SAMPLES 7
static double median_time(void (*run)(void *), void *context) {
  if (settle_first) usleep(300000);
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

/* BiBERT's binary linear in plain C, as the check of the compiled one:
 * alpha_n * sum_k s(x) s(w_nk - mean_n) + b_n, s(v) = v >= 0 ? 1 : -1. */
static void binary_reference(const struct problem *q, float *out) {
  for (int n = 0; n < q->n; ++n) {
    const float *row = q->w + (size_t)n * q->k;
    float mean = 0, alpha = 0;
    for (int k = 0; k < q->k; ++k) mean += row[k], alpha += fabsf(row[k]);
    mean /= q->k;
    alpha /= q->k;
    for (int m = 0; m < q->m; ++m) {
      const float *x = q->x + (size_t)m * q->k;
      int dot = 0;
      for (int k = 0; k < q->k; ++k) dot += ((x[k] >= 0) == (row[k] - mean >= 0)) ? 1 : -1;
      out[(size_t)m * q->n + n] = alpha * (float)dot + q->b[n];
    }
  }
}

/* Q8BERT's inference linear in plain C (SEMANTICS.md 1.5), the check of
 * the compiled one: codes clamp(rint(v s), -127, 127) in f32, per-tensor
 * s_w = 127 / max|W|, s_x = 127 / T, bias codes with s_b = s_w s_x, an
 * int64 sum wrapped to int32, and acc / s_b. */
static float q8_code(float v, float s, float level) {
  float r = rintf(v * s);
  return r < -level ? -level : r > level ? level : r;
}

static void q8_reference(const struct problem *q, float *out) {
  float wmax = 0;
  for (size_t i = 0; i < (size_t)q->n * q->k; ++i) wmax = fmaxf(wmax, fabsf(q->w[i]));
  float s_w = 127.0f / wmax, s_x = 127.0f / Q8_THRESHOLD, s_b = s_w * s_x;
  for (int n = 0; n < q->n; ++n) {
    const float *row = q->w + (size_t)n * q->k;
    double b = rint((double)(q->b[n] * s_b)); /* |b s_b| is far below 2^31 */
    for (int m = 0; m < q->m; ++m) {
      const float *x = q->x + (size_t)m * q->k;
      int64_t acc = (int64_t)b;
      for (int k = 0; k < q->k; ++k)
        acc += (int64_t)q8_code(x[k], s_x, 127) * (int64_t)q8_code(row[k], s_w, 127);
      out[(size_t)m * q->n + n] = (float)(int32_t)(uint32_t)acc / s_b;
    }
  }
}

/* Whether more than 0.1% of the outputs differ from the reference by more
 * than `tolerance`, relative (to 1 + |want|). */
static int too_many_differ(const float *got, const float *want, size_t count,
                           float tolerance) {
  size_t differing = 0;
  for (size_t e = 0; e < count; ++e)
    differing += fabsf(got[e] - want[e]) > tolerance * (1 + fabsf(want[e]));
  return differing * 1000 > count;
}

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

static void print_binary_table(char rows[][160], int count, int threads,
                               const char *threads_word) {
  printf("\n== binary linear (BiBERT: sign(x) . (alpha sign(W - rowmean))^T + b) vs "
         "OpenBLAS fp32 sgemm, %d %s\n", threads, threads_word);
  printf("%-16s %12s %12s %10s %9s\n", "M x N x K", "binary ms", "OpenBLAS ms",
         "eq. GF/s", "ratio");
  for (int r = 0; r < count; ++r) printf("%s\n", rows[r]);
  printf("(eq. GF/s: 2 M N K / time, as if the binary MACs were float ones)\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: gemm_bench weights.bin [host|vnni|avx2]\n"
                    "  (with an int8 kernel set other than host: only the int8 table)\n");
    return 1;
  }
  int q8_set = 0;
  while (argc == 3 && strcmp(argv[2], q8_sets[q8_set].name) != 0)
    if (++q8_set == (int)(sizeof q8_sets / sizeof q8_sets[0])) {
      fprintf(stderr, "gemm_bench: unknown int8 kernel set '%s'\n", argv[2]);
      return 1;
    }
  int int8_only = q8_set != 0;
  FILE *weights = fopen(argv[1], "rb");
  if (!weights) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  const char *threads_variable = getenv("BENCH_THREADS");
  int threads = threads_variable ? atoi(threads_variable) : 1;
  const char *threads_word = threads == 1 ? "thread" : "threads";
  settle_first = threads > 1;
  printf("OpenBLAS %s, kernel %s, %d %s\n", openblas_get_config(), openblas_get_corename(),
         threads, threads_word);
  const int ms[] = {1, 128, 512};
  const struct { int n, k; linear_fn fn, binary; } shapes[] = {
      {768, 768, _mlir_ciface_linear_768_768, _mlir_ciface_binary_768_768},
      {3072, 768, _mlir_ciface_linear_3072_768, _mlir_ciface_binary_3072_768},
      {768, 3072, _mlir_ciface_linear_768_3072, _mlir_ciface_binary_768_3072}};
  unsigned seed = 1;
  int failures = 0;
  char binary_rows[9][160], q8_rows[9][280];
  int binary_count = 0, q8_count = 0;
  if (!int8_only)
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
      double blas = median_time(run_blas, &q);
      double flops = 2.0 * q.m * q.n * q.k;
      char name[32];
      snprintf(name, sizeof name, "%dx%dx%d", q.m, q.n, q.k);
      float *want = malloc((size_t)q.m * q.n * sizeof(float));
      if (!int8_only) {
        double ours = median_time(run_ours, &q);
        double worst = 0;
        for (size_t e = 0; e < (size_t)q.m * q.n; ++e)
          worst = fmax(worst, fabs(q.ours[e] - q.blas[e]));
        printf("%-16s %12.3f %12.3f %10.1f %10.1f %7.2fx%s\n", name, ours * 1e3, blas * 1e3,
               flops / ours * 1e-9, flops / blas * 1e-9, blas / ours,
               worst > 1e-3 ? "  MISMATCH" : "");
        failures += worst > 1e-3;

        /* The binary linear on the same x and weights, against the same
         * sgemm time. Rounding of the row means may flip a sign at a
         * centred weight within an ulp of 0: a few differing outputs are
         * tolerated, not more than 0.1%. */
        struct problem bq = q;
        bq.fn = shapes[s].binary;
        double binary = median_time(run_ours, &bq);
        binary_reference(&q, want);
        int wrong = too_many_differ(q.ours, want, (size_t)q.m * q.n, 1e-3f);
        failures += wrong;
        snprintf(binary_rows[binary_count++], 160,
                 "%-16s %12.3f %12.3f %10.1f %8.2fx%s", name, binary * 1e3, blas * 1e3,
                 flops / binary * 1e-9, blas / binary, wrong ? "  MISMATCH" : "");
      }
      /* The int8 linear (quantize x, int8 product, dequantize) against
       * the same sgemm time and oneDNN's bare s8s8s32 / u8s8s32 matmuls
       * on the same shape; it must equal the C version exactly (a float
       * rounding difference before a quantizer would show as a code off
       * by one, hence a 1e-3 relative budget on a few outputs). */
      struct problem q8 = q;
      q8.fn = q8_sets[q8_set].fns[s];
      double int8 = median_time(run_ours, &q8);
      q8_reference(&q, want);
      int wrong = too_many_differ(q.ours, want, (size_t)q.m * q.n, 1e-5f);
      failures += wrong;
      struct onednn_matmul *s8 = onednn_matmul_create(q.m, q.n, q.k, 0);
      struct onednn_matmul *u8 = onednn_matmul_create(q.m, q.n, q.k, 1);
      double dnnl_s8 = median_time(onednn_matmul_run, s8);
      double dnnl_u8 = median_time(onednn_matmul_run, u8);
      snprintf(q8_rows[q8_count++], 280,
               "%-16s %10.3f %10.3f %10.3f %10.3f %8.2fx %8.2fx %8.2fx  %s%s", name,
               int8 * 1e3, blas * 1e3, dnnl_s8 * 1e3, dnnl_u8 * 1e3, blas / int8,
               dnnl_s8 / int8, dnnl_u8 / int8, onednn_matmul_implementation(s8),
               wrong ? "  MISMATCH" : "");
      onednn_matmul_destroy(s8);
      onednn_matmul_destroy(u8);
      free(want);
      free(q.x); free(q.ours); free(q.blas);
    }
    free(w);
    free(b);
  }
  fclose(weights);
  if (!int8_only) {
    printf("(ratio = OpenBLAS time / bertc time: above 1 means bertc is faster)\n");
    print_binary_table(binary_rows, binary_count, threads, threads_word);
  }
  printf("\n== int8 linear (Q8BERT: quantize x, int8 x int8 -> int32 + bias, / s_b), "
         "%s kernels, vs OpenBLAS fp32 sgemm and oneDNN %s int8 matmul (s32 out), %d %s\n",
         q8_sets[q8_set].name, onednn_version(), threads, threads_word);
  printf("%-16s %10s %10s %10s %10s %9s %9s %9s\n", "M x N x K", "int8 ms", "sgemm ms",
         "s8s8 ms", "u8s8 ms", "vs sgemm", "vs s8s8", "vs u8s8");
  /* (the last column: oneDNN's s8s8 implementation, which names its ISA) */
  for (int r = 0; r < q8_count; ++r) printf("%s\n", q8_rows[r]);
  printf("(ratios: peer time / bertc time; bertc's int8 linear includes quantizing x and\n"
         " dequantizing the output, oneDNN's matmul takes int8 in and gives int32 out)\n");
  return failures != 0;
}
