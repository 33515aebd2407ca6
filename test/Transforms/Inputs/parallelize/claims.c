/* Drives @count_items (count.mlir through bert-parallelize-kernels) many
 * times with ranges of every size from 0 to 300 items, from the main thread
 * and from a second application thread at once, and checks that every call
 * ran each item of its range exactly once and nothing outside it. With a
 * small spin count the workers fall asleep between calls, so calls meet
 * workers that are waking up late, and late workers meet newer tasks. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void count_items(int32_t *counts, int64_t first, int64_t end);

enum { kItems = 300, kRounds = 3000, kGuard = 8 };

static long run_calls(unsigned seed) {
  int32_t counts[kItems + 2 * kGuard];
  long wrong = 0;
  for (int round = 0; round < kRounds; ++round) {
    seed = seed * 1103515245u + 12345u;
    int64_t first = (seed >> 8) % 16, end = first + (seed >> 12) % (kItems - 16);
    memset(counts, 0, sizeof counts);
    count_items(counts + kGuard, first, end);
    for (int64_t i = -kGuard; i < kItems + kGuard; ++i)
      wrong += counts[kGuard + i] != (i >= first && i < end);
    if (round % 500 == 0) usleep(2000); /* let the workers fall asleep */
  }
  return wrong;
}

static void *second_caller(void *result) {
  *(long *)result = run_calls(99);
  return NULL;
}

int main(void) {
  pthread_t other;
  long other_wrong = 0;
  if (pthread_create(&other, NULL, second_caller, &other_wrong) != 0) return 2;
  long wrong = run_calls(7);
  pthread_join(other, NULL);
  printf("items counted wrongly: %ld\n", wrong + other_wrong);
  return wrong + other_wrong != 0;
}
