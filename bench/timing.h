/*===- timing.h - Monotonic clock and medians for the C benchmarks --------===*/
#ifndef BERTC_BENCH_TIMING_H
#define BERTC_BENCH_TIMING_H

#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of `count` samples (sorts them). */
static double median(double *samples, int count) {
  qsort(samples, count, sizeof(double), compare_doubles);
  return samples[count / 2];
}

#endif
