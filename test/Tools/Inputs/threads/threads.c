/* Runs one compiled model from several threads at once (the buffer cache and
 * the kernels' thread pool are shared) and checks every result against a
 * sequential run; then releases the cache and checks that a later call
 * still agrees. Prints how many threads the process has after the
 * sequential runs: 1 + the pool's workers (BERTC_NUM_THREADS - 1). */
#include "model.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

enum { kThreads = 4, kRuns = 25, kBatch = 2, kSeq = 7 };

static int32_t ids[kThreads][kBatch * kSeq];
static float expected[kThreads][kBatch * BERTC_NUM_LABELS];
static int mismatches[kThreads];

static void *worker(void *arg) {
  int t = (int)(long)arg;
  float logits[kBatch * BERTC_NUM_LABELS];
  for (int r = 0; r < kRuns; ++r) {
    /* Alternate sequence lengths so that cached blocks change sizes. */
    int64_t seq = (r % 2) ? kSeq : kSeq - 3;
    if (seq != kSeq) {
      bertc_run(ids[t], NULL, NULL, kBatch, seq, logits, NULL, NULL);
      continue;
    }
    if (bertc_run(ids[t], NULL, NULL, kBatch, kSeq, logits, NULL, NULL) != BERTC_OK ||
        memcmp(logits, expected[t], sizeof logits) != 0)
      ++mismatches[t];
  }
  return NULL;
}

/* Entries of /proc/self/task: the process's threads. */
static int count_threads(void) {
  DIR *tasks = opendir("/proc/self/task");
  if (!tasks) return -1;
  int count = 0;
  for (struct dirent *entry; (entry = readdir(tasks)) != NULL;)
    if (entry->d_name[0] != '.') ++count;
  closedir(tasks);
  return count;
}

/* argv[1], if given: a file that receives the sequential runs' logits, so
 * that runs with different thread counts can be compared byte for byte. */
int main(int argc, char **argv) {
  unsigned seed = 11;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kBatch * kSeq; ++i) ids[t][i] = rand_r(&seed) % BERTC_VOCAB_SIZE;
    if (bertc_run(ids[t], NULL, NULL, kBatch, kSeq, expected[t], NULL, NULL) != BERTC_OK)
      return 1;
  }
  printf("process threads after the first calls: %d\n", count_threads());
  if (argc > 1) {
    FILE *out = fopen(argv[1], "wb");
    if (!out || fwrite(expected, sizeof expected, 1, out) != 1 || fclose(out) != 0)
      return 1;
  }
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; ++t)
    pthread_create(&threads[t], NULL, worker, (void *)(long)t);
  int total = 0;
  for (int t = 0; t < kThreads; ++t) {
    pthread_join(threads[t], NULL);
    total += mismatches[t];
  }
  printf("threaded mismatches: %d\n", total);
  bert_model_release_buffers();
  float logits[kBatch * BERTC_NUM_LABELS];
  int again = bertc_run(ids[0], NULL, NULL, kBatch, kSeq, logits, NULL, NULL) == BERTC_OK &&
              memcmp(logits, expected[0], sizeof logits) == 0;
  printf("after release: %s\n", again ? "same" : "DIFFERENT");
  /* A forked child has none of the pool's workers: its calls must still
   * finish (the pool starts afresh) and agree. An alarm turns a hang into
   * a failure. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    alarm(60);
    float forked[kBatch * BERTC_NUM_LABELS];
    int ok = bertc_run(ids[0], NULL, NULL, kBatch, kSeq, forked, NULL, NULL) == BERTC_OK &&
             memcmp(forked, expected[0], sizeof forked) == 0;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  int forked_ok = child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
                  WEXITSTATUS(status) == 0;
  printf("forked child: %s\n", forked_ok ? "same" : "FAILED");
  again = again && forked_ok;
  bert_model_release_buffers();
  return total != 0 || !again;
}
