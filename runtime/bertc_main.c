/*===- bertc_main.c - The driver of a compiled bertc executable -----------===*
 *
 * Linked with a compiled model and its generated header (bertc_model.h) by
 * `bert-compile --emit=exe`. Reads .npy inputs, runs bertc_run, writes one
 * .npy output:
 *
 *   ./model --input X.npy [--token-types T.npy] [--mask M.npy]
 *           --output Y.npy [--outputs logits|pooled|hidden]
 *
 * X: int32/int64 token ids [B, L] (model entry) or float32 hidden states
 * [B, L, H] (encoder entry). Exit status: 0 success, 1 bad usage or input,
 * 2 the model refused the input (status code and message printed).
 * A calibration build also writes its recorded input ranges to the file
 * named by BERTC_RANGES_OUT.
 *===----------------------------------------------------------------------===*/

#include "bertc_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bertc_npy.h"

static int usage(void) {
  fprintf(stderr,
          "usage: model --input X.npy [--token-types T.npy] [--mask M.npy]\n"
          "             --output Y.npy [--outputs logits|pooled|hidden]\n"
          "environment: BERTC_NUM_THREADS=N runs the GEMMs and row-wise ops on N threads (default 1)\n");
  return 1;
}

/* Everything main allocates, freed on every path out. */
struct buffers {
  struct array x, types_array, mask_array;
  int32_t *types, *ids;
  float *mask, *result;
};

static void release(struct buffers *b) {
  free(b->x.data);
  free(b->types_array.data);
  free(b->mask_array.data);
  free(b->types);
  free(b->ids);
  free(b->mask);
  free(b->result);
}

/* Parses the arguments, runs the model and writes the output; returns the
 * exit status. */
static int run(int argc, char **argv, struct buffers *b) {
  const char *input = NULL, *types_path = NULL, *mask_path = NULL, *output = NULL;
  const char *which = BERTC_HAS_LOGITS ? "logits" : BERTC_HAS_POOLED ? "pooled" : "hidden";
  for (int i = 1; i < argc; ++i) {
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage() - 1;
    if (!value) return usage();
    if (!strcmp(argv[i], "--input")) input = value;
    else if (!strcmp(argv[i], "--token-types")) types_path = value;
    else if (!strcmp(argv[i], "--mask")) mask_path = value;
    else if (!strcmp(argv[i], "--output")) output = value;
    else if (!strcmp(argv[i], "--outputs")) which = value;
    else return usage();
    ++i;
  }
  if (!input || !output) return usage();
  int want_logits = !strcmp(which, "logits"), want_pooled = !strcmp(which, "pooled");
  if (!want_logits && !want_pooled && strcmp(which, "hidden")) return usage();
  if ((want_logits && !BERTC_HAS_LOGITS) || (want_pooled && !BERTC_HAS_POOLED))
    return fail("this model has no %s output", which);

  if (read_npy(input, &b->x)) return 1;
  int expected_rank = BERTC_ENTRY_IS_ENCODER ? 3 : 2;
  if (b->x.rank != expected_rank ||
      (BERTC_ENTRY_IS_ENCODER && (b->x.kind != 'f' || b->x.shape[2] != BERTC_HIDDEN_SIZE)) ||
      (!BERTC_ENTRY_IS_ENCODER && b->x.kind == 'f'))
    return fail(BERTC_ENTRY_IS_ENCODER
                    ? "%s: need float32 hidden states [batch, seq, hidden]"
                    : "%s: need integer token ids [batch, seq]",
                input);
  int64_t batch = b->x.shape[0], seq = b->x.shape[1];

  if (types_path) {
    if (read_companion(types_path, batch, seq, "token types", &b->types_array)) return 1;
    if (!(b->types = as_int32(&b->types_array, types_path))) return 1;
  }
  if (mask_path) {
    if (read_companion(mask_path, batch, seq, "the mask", &b->mask_array)) return 1;
    if (!(b->mask = as_float(&b->mask_array))) return 1;
  }

  int64_t out_shape[3] = {batch, want_logits ? BERTC_NUM_LABELS : BERTC_HIDDEN_SIZE, 0};
  int out_rank = 2;
  if (!want_logits && !want_pooled) {
    out_shape[1] = seq;
    out_shape[2] = BERTC_HIDDEN_SIZE;
    out_rank = 3;
  }
  int64_t out_count = out_shape[0] * out_shape[1] * (out_rank == 3 ? out_shape[2] : 1);
  b->result = (float *)malloc((size_t)(out_count > 0 ? out_count : 1) * sizeof(float));
  if (!b->result) return fail("%s", "out of memory");

#if BERTC_ENTRY_IS_ENCODER
  const float *model_input = (const float *)b->x.data;
#else
  if (!(b->ids = as_int32(&b->x, input))) return 1;
  const int32_t *model_input = b->ids;
#endif
  int status = bertc_run(model_input, b->types, b->mask, batch, seq,
                         want_logits ? b->result : NULL, want_pooled ? b->result : NULL,
                         (!want_logits && !want_pooled) ? b->result : NULL);
  if (status != BERTC_OK) {
    fprintf(stderr, "bertc: error: %s (status %d)\n", bertc_status_message(status), status);
    return 2;
  }
  if (write_npy(output, b->result, out_rank, out_shape)) return 1;
  printf("bertc: batch %lld, seq %lld -> %s [%lld, %lld%s] in %s\n", (long long)batch,
         (long long)seq, which, (long long)out_shape[0], (long long)out_shape[1],
         out_rank == 3 ? ", ..." : "", output);
  if (want_logits)
    for (int64_t row = 0; row < batch && row < 8; ++row) {
      printf("  [%lld]", (long long)row);
      for (int64_t c = 0; c < BERTC_NUM_LABELS && c < 8; ++c)
        printf(" %.6f", b->result[row * BERTC_NUM_LABELS + c]);
      printf("\n");
    }
  return 0;
}

/* A debug build (bert-compile --q8-dump, pass bert-dump-int8) calls these
 * with each int8 product's input codes and int32 sums, as memref
 * descriptors (allocated, aligned, offset, sizes, strides); with
 * BERTC_DUMP_DIR set they become <slot>_x.npy and <slot>_acc.npy there. */
struct unranked_memref {
  int64_t rank;
  void *descriptor;
};

static void dump_memref(int64_t slot, const char *kind, const char *descr,
                        size_t item_size, const struct unranked_memref *m) {
  const char *dir = getenv("BERTC_DUMP_DIR");
  if (!dir || !*dir || m->rank < 1 || m->rank > MAX_DIMS) return;
  char **pointers = (char **)m->descriptor;
  const int64_t *fields = (const int64_t *)(pointers + 2);
  const int64_t offset = fields[0], *sizes = fields + 1, *strides = fields + 1 + m->rank;
  int64_t count = 1;
  for (int64_t d = 0; d < m->rank; ++d) count *= sizes[d];
  char *dense = (char *)malloc((size_t)(count > 0 ? count : 1) * item_size);
  if (!dense) return;
  int64_t index[MAX_DIMS] = {0};
  for (int64_t e = 0; e < count; ++e) {
    int64_t at = offset;
    for (int64_t d = 0; d < m->rank; ++d) at += index[d] * strides[d];
    memcpy(dense + e * item_size, pointers[1] + at * item_size, item_size);
    for (int64_t d = m->rank - 1; d >= 0 && ++index[d] == sizes[d]; --d) index[d] = 0;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%lld_%s.npy", dir, (long long)slot, kind);
  write_typed_npy(path, descr, item_size, dense, (int)m->rank, sizes);
  free(dense);
}

/* One entry per element type and rank (2: [B, K] inputs, 3: [B, L, K]);
 * the argument is the ranked descriptor itself. */
#define BERTC_DUMP(type, kind, descr, size, rank)                              \
  void _mlir_ciface_bertc_dump_##type##_r##rank(int64_t slot, void *m) {      \
    struct unranked_memref view = {rank, m};                                  \
    dump_memref(slot, kind, descr, size, &view);                              \
  }
BERTC_DUMP(i8, "x", "|i1", 1, 2)
BERTC_DUMP(i8, "x", "|i1", 1, 3)
BERTC_DUMP(i32, "acc", "<i4", 4, 2)
BERTC_DUMP(i32, "acc", "<i4", 4, 3)

/* A calibration build (bert-compile --calibrate, pass bert-record-ranges)
 * defines these: max |x| seen by each linear's input. Weak, so that other
 * builds link without them. */
extern float bertc_ranges[] __attribute__((weak));
extern const int64_t bertc_range_count __attribute__((weak));

/* With BERTC_RANGES_OUT set, writes the recorded ranges there as raw f32
 * (the calibration's way out; nothing happens in other builds). */
static int write_ranges(void) {
  const char *path = getenv("BERTC_RANGES_OUT");
  if (!path || !*path) return 0;
  if (!bertc_ranges || !&bertc_range_count)
    return fail("%s", "BERTC_RANGES_OUT is set, but this build records no ranges");
  FILE *f = fopen(path, "wb");
  if (!f) return fail("cannot write %s", path);
  size_t count = (size_t)bertc_range_count;
  int ok = fwrite(bertc_ranges, sizeof(float), count, f) == count;
  ok &= fclose(f) == 0;
  return ok ? 0 : fail("cannot write %s", path);
}

int main(int argc, char **argv) {
  struct buffers b;
  memset(&b, 0, sizeof b);
  int status = run(argc, argv, &b);
  release(&b);
  if (status == 0) status = write_ranges();
  return status;
}
