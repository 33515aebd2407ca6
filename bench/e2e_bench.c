/*===- e2e_bench.c - A compiled BERT end to end, timed in process ---------===*
 *
 * Links a model compiled by bench.py (header model.h) and prints the median
 * seconds of bertc_run over batch 1 x SEQ random token ids.
 *   e2e_bench SEQ RUNS
 *===----------------------------------------------------------------------===*/
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "timing.h"


int main(int argc, char **argv) {
  int seq = argc > 1 ? atoi(argv[1]) : 128, runs = argc > 2 ? atoi(argv[2]) : 5;
  int32_t *ids = malloc(sizeof(int32_t) * seq);
  unsigned seed = 7;
  for (int i = 0; i < seq; ++i) ids[i] = rand_r(&seed) % BERTC_VOCAB_SIZE;
  float logits[BERTC_NUM_LABELS];
  double *times = malloc(sizeof(double) * runs);
  if (bertc_run(ids, NULL, NULL, 1, seq, logits, NULL, NULL) != BERTC_OK) return 1;
  for (int r = 0; r < runs; ++r) {
    double start = now();
    bertc_run(ids, NULL, NULL, 1, seq, logits, NULL, NULL);
    times[r] = now() - start;
  }
  printf("%.6f\n", median(times, runs));
  return 0;
}
