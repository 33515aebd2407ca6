/* The compiled erf, exp and tanh (math.mlir) against libm in double over
 * a sample of all f32 in [-20, 20] (exp: [-87, 87], its finite range),
 * plus NaN, infinities and signed zeros. Prints the largest errors: absolute for
 * erf and tanh (values in [-1, 1]), relative for exp. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct m1 { float *allocated, *aligned; int64_t offset, sizes[1], strides[1]; };
void _mlir_ciface_erf_of(struct m1 *in, struct m1 *out);
void _mlir_ciface_exp_of(struct m1 *in, struct m1 *out);
void _mlir_ciface_tanh_of(struct m1 *in, struct m1 *out);

/* The floats in [-limit, limit] whose bit patterns are multiples of 997
 * (about 4 million, across every binade), then the special values. */
static float *inputs(float limit, long *count) {
  long n = 0;
  float *xs = malloc(sizeof(float) * ((1L << 32) / 997 + 6));
  for (uint64_t bits = 0; bits < (1ULL << 32); bits += 997) {
    uint32_t word = (uint32_t)bits;
    float x;
    memcpy(&x, &word, sizeof x);
    if (fabsf(x) <= limit) xs[n++] = x;
  }
  float special[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f};
  memcpy(xs + n, special, sizeof special);
  *count = n + 5;
  return xs;
}

static float *apply(void (*f)(struct m1 *, struct m1 *), float *xs, long n) {
  float *ys = malloc(sizeof(float) * n);
  struct m1 in = {xs, xs, 0, {n}, {1}}, out = {ys, ys, 0, {n}, {1}};
  f(&in, &out);
  return ys;
}

/* The largest error over the finite inputs; -1 if a special value is wrong. */
static double worst(const float *xs, const float *ys, long n, double (*ref)(double), int relative) {
  double largest = 0;
  for (long i = 0; i < n - 5; ++i) {
    double want = ref(xs[i]), error = fabs(ys[i] - want);
    if (relative) error /= fabs(want) > 1e-30 ? fabs(want) : 1e-30;
    if (!(error <= largest)) largest = error; /* NaN output counts as inf */
  }
  const float *special = ys + n - 5;
  int ok = isnan(special[0]) && special[1] == (float)ref(INFINITY) && special[2] == (float)ref(-INFINITY);
  return ok ? largest : -1;
}

int main(void) {
  long n, m;
  float *xs = inputs(20.0f, &n);
  float *es = inputs(87.0f, &m);
  float *erf_ys = apply(_mlir_ciface_erf_of, xs, n);
  float *tanh_ys = apply(_mlir_ciface_tanh_of, xs, n);
  float *exp_ys = apply(_mlir_ciface_exp_of, es, m);
  printf("erf: largest absolute error %.2e\n", worst(xs, erf_ys, n, erf, 0));
  printf("erf: signs of zeros %s\n", !signbit(erf_ys[n - 2]) && signbit(erf_ys[n - 1]) ? "kept" : "lost");
  printf("tanh: largest absolute error %.2e\n", worst(xs, tanh_ys, n, tanh, 0));
  printf("exp: largest relative error %.2e\n", worst(es, exp_ys, m, exp, 1));
  return 0;
}
