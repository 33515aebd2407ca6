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

#define MAX_DIMS 4

struct array {
  char kind;           /* 'f' float32, 'i' int32, 'l' int64 */
  int rank;
  int64_t shape[MAX_DIMS];
  int64_t count;
  void *data;
};

static int fail(const char *format, const char *detail) {
  fprintf(stderr, "bertc: error: ");
  fprintf(stderr, format, detail);
  fprintf(stderr, "\n");
  return 1;
}

/* Parses "(a, b, c)" after 'shape': in an npy header. */
static int parse_shape(const char *text, struct array *out) {
  const char *p = strchr(text, '(');
  if (!p) return 0;
  ++p;
  out->rank = 0;
  out->count = 1;
  while (*p && *p != ')') {
    while (*p == ' ' || *p == ',') ++p;
    if (*p == ')') break;
    if (*p < '0' || *p > '9' || out->rank == MAX_DIMS) return 0;
    char *end;
    errno = 0;
    long long dim = strtoll(p, &end, 10);
    if (errno || dim < 0 || dim > ((int64_t)1 << 40)) return 0;
    out->shape[out->rank++] = dim;
    if (dim != 0 && out->count > ((int64_t)1 << 40) / dim) return 0;
    out->count *= dim;
    p = end;
  }
  return *p == ')';
}

/* Reads a little-endian, C-order .npy file of float32, int32 or int64. */
static int read_npy(const char *path, struct array *out) {
  FILE *file = fopen(path, "rb");
  if (!file) return fail("cannot open %s", path);
  unsigned char magic[8];
  int ok = fread(magic, 1, 8, file) == 8 && memcmp(magic, "\x93NUMPY", 6) == 0;
  uint32_t header_length = 0;
  if (ok && magic[6] == 1) {
    unsigned char len[2];
    ok = fread(len, 1, 2, file) == 2;
    header_length = len[0] | (len[1] << 8);
  } else if (ok && (magic[6] == 2 || magic[6] == 3)) {
    unsigned char len[4];
    ok = fread(len, 1, 4, file) == 4;
    header_length = len[0] | (len[1] << 8) | (len[2] << 16) | ((uint32_t)len[3] << 24);
  } else {
    ok = 0;
  }
  if (!ok || header_length > (1u << 20)) {
    fclose(file);
    return fail("%s is not a .npy file", path);
  }
  char *header = (char *)calloc(header_length + 1, 1);
  if (!header || fread(header, 1, header_length, file) != header_length) {
    free(header);
    fclose(file);
    return fail("%s: truncated .npy header", path);
  }
  int64_t item = 0;
  if (strstr(header, "'<f4'")) { out->kind = 'f'; item = 4; }
  else if (strstr(header, "'<i4'")) { out->kind = 'i'; item = 4; }
  else if (strstr(header, "'<i8'")) { out->kind = 'l'; item = 8; }
  const char *shape = strstr(header, "'shape':");
  int fortran = strstr(header, "'fortran_order': True") != NULL;
  int parsed = item && shape && !fortran && parse_shape(shape, out);
  free(header);
  if (!parsed) {
    fclose(file);
    return fail("%s: need a C-order float32, int32 or int64 array", path);
  }
  long start = ftell(file);
  fseek(file, 0, SEEK_END);
  long end = ftell(file);
  fseek(file, start, SEEK_SET);
  if (end - start != out->count * item) {
    fclose(file);
    return fail("%s: data size does not match the header's shape", path);
  }
  out->data = malloc((size_t)(out->count ? out->count : 1) * (size_t)item);
  if (!out->data || (int64_t)fread(out->data, (size_t)item, (size_t)out->count, file) != out->count) {
    fclose(file);
    return fail("%s: cannot read the data", path); /* out->data: freed by the caller */
  }
  fclose(file);
  return 0;
}

/* Writes float32 data as .npy through a temporary file and a rename. */
static int write_typed_npy(const char *path, const char *descr, size_t item_size,
                           const void *data, int rank, const int64_t *shape);

static int write_npy(const char *path, const float *data, int rank, const int64_t *shape) {
  return write_typed_npy(path, "<f4", sizeof(float), data, rank, shape);
}

/* A dense array as .npy (numpy type `descr`), written atomically. */
static int write_typed_npy(const char *path, const char *descr, size_t item_size,
                           const void *data, int rank, const int64_t *shape) {
  char dims[128] = "", header[256];
  int64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    char one[32];
    snprintf(one, sizeof one, "%lld,%s", (long long)shape[i], rank > 1 && i + 1 < rank ? " " : "");
    strcat(dims, one);
    count *= shape[i];
  }
  if (rank > 1) dims[strlen(dims) - 1] = '\0'; /* (a, b) has no trailing comma */
  int length = snprintf(header, sizeof header,
                        "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr,
                        dims);
  int padded = ((10 + length + 1 + 63) / 64) * 64 - 10;
  memset(header + length, ' ', (size_t)(padded - length - 1));
  header[padded - 1] = '\n';
  char temporary[4096];
  snprintf(temporary, sizeof temporary, "%s.tmp-%ld", path, (long)getpid());
  FILE *file = fopen(temporary, "wb");
  if (!file) return fail("cannot write %s", path);
  unsigned char prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                              (unsigned char)(padded & 0xff), (unsigned char)(padded >> 8)};
  int ok = fwrite(prefix, 1, 10, file) == 10 &&
           fwrite(header, 1, (size_t)padded, file) == (size_t)padded &&
           (int64_t)fwrite(data, item_size, (size_t)count, file) == count;
  ok = (fclose(file) == 0) && ok;
  if (!ok || rename(temporary, path) != 0) {
    remove(temporary);
    return fail("cannot write %s", path);
  }
  return 0;
}

/* Token ids or types as int32, refusing int64 values that do not fit. */
static int32_t *as_int32(const struct array *a, const char *what) {
  if (a->kind == 'f') { fail("%s must hold integers", what); return NULL; }
  int32_t *out = (int32_t *)malloc((size_t)(a->count ? a->count : 1) * sizeof(int32_t));
  if (!out) return NULL;
  for (int64_t i = 0; i < a->count; ++i) {
    int64_t v = a->kind == 'l' ? ((const int64_t *)a->data)[i] : ((const int32_t *)a->data)[i];
    if (v < INT32_MIN || v > INT32_MAX) v = -1; /* rejected as out of range */
    out[i] = (int32_t)v;
  }
  return out;
}

static float *as_float(const struct array *a) {
  float *out = (float *)malloc((size_t)(a->count ? a->count : 1) * sizeof(float));
  if (!out) return NULL;
  for (int64_t i = 0; i < a->count; ++i)
    out[i] = a->kind == 'f' ? ((const float *)a->data)[i]
           : a->kind == 'l' ? (float)((const int64_t *)a->data)[i]
                            : (float)((const int32_t *)a->data)[i];
  return out;
}

/* Reads a [batch, seq] array that accompanies the input (token types, mask). */
static int read_companion(const char *path, int64_t batch, int64_t seq, const char *what,
                          struct array *out) {
  if (read_npy(path, out)) return 1;
  if (out->rank != 2 || out->shape[0] != batch || out->shape[1] != seq) {
    fprintf(stderr, "bertc: error: %s: %s must be [batch, seq] like the input\n", path, what);
    return 1;
  }
  return 0;
}

static int usage(void) {
  fprintf(stderr,
          "usage: model --input X.npy [--token-types T.npy] [--mask M.npy]\n"
          "             --output Y.npy [--outputs logits|pooled|hidden]\n");
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
