/*===- bertc_npy.h - .npy input and output for bertc's executables -------===*
 *
 * Shared by the inference driver (bertc_main.c) and the training driver
 * (bertc_train.c); bert-compile writes it beside them when it links an
 * executable. Header-only: every function is static.
 *===----------------------------------------------------------------------===*/

#ifndef BERTC_NPY_H
#define BERTC_NPY_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
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

static inline int fail(const char *format, const char *detail) {
  fprintf(stderr, "bertc: error: ");
  fprintf(stderr, format, detail);
  fprintf(stderr, "\n");
  return 1;
}

/* Parses "(a, b, c)" after 'shape': in an npy header. */
static inline int parse_shape(const char *text, struct array *out) {
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
static inline int read_npy(const char *path, struct array *out) {
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

/* An output file written atomically: to a temporary file beside `path`,
 * renamed into place by close_output once everything was written, so that
 * an interrupted or failed write leaves the old file. A destination that
 * exists and is not a regular file (/dev/null, a FIFO) is written in
 * place: renaming over it would replace the device with a file. */
struct output {
  FILE *file;
  char path[4096], temporary[4200];
  int in_place;
};

static inline int open_output(struct output *o, const char *path) {
  struct stat info;
  snprintf(o->path, sizeof o->path, "%s", path);
  snprintf(o->temporary, sizeof o->temporary, "%s.tmp-%ld", path, (long)getpid());
  o->in_place = stat(path, &info) == 0 && !S_ISREG(info.st_mode);
  o->file = fopen(o->in_place ? path : o->temporary, "wb");
  return o->file ? 0 : fail("cannot write %s", path);
}

/* Closes the output; `ok` says whether every write succeeded. */
static inline int close_output(struct output *o, int ok) {
  ok = (fclose(o->file) == 0) && ok;
  if (o->in_place) return ok ? 0 : fail("cannot write %s", o->path);
  if (!ok || rename(o->temporary, o->path) != 0) {
    remove(o->temporary);
    return fail("cannot write %s", o->path);
  }
  return 0;
}

/* Writes float32 data as .npy through a temporary file and a rename. */
static inline int write_typed_npy(const char *path, const char *descr, size_t item_size,
                           const void *data, int rank, const int64_t *shape);

static inline int write_npy(const char *path, const float *data, int rank, const int64_t *shape) {
  return write_typed_npy(path, "<f4", sizeof(float), data, rank, shape);
}

/* A dense array as .npy (numpy type `descr`), written atomically. */
static inline int write_typed_npy(const char *path, const char *descr, size_t item_size,
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
  struct output out;
  if (open_output(&out, path)) return 1;
  unsigned char prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                              (unsigned char)(padded & 0xff), (unsigned char)(padded >> 8)};
  int ok = fwrite(prefix, 1, 10, out.file) == 10 &&
           fwrite(header, 1, (size_t)padded, out.file) == (size_t)padded &&
           (int64_t)fwrite(data, item_size, (size_t)count, out.file) == count;
  return close_output(&out, ok);
}

/* Token ids or types as int32, refusing int64 values that do not fit. */
static inline int32_t *as_int32(const struct array *a, const char *what) {
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

static inline float *as_float(const struct array *a) {
  float *out = (float *)malloc((size_t)(a->count ? a->count : 1) * sizeof(float));
  if (!out) return NULL;
  for (int64_t i = 0; i < a->count; ++i)
    out[i] = a->kind == 'f' ? ((const float *)a->data)[i]
           : a->kind == 'l' ? (float)((const int64_t *)a->data)[i]
                            : (float)((const int32_t *)a->data)[i];
  return out;
}

/* Reads a [batch, seq] array that accompanies the input (token types, mask). */
static inline int read_companion(const char *path, int64_t batch, int64_t seq, const char *what,
                          struct array *out) {
  if (read_npy(path, out)) return 1;
  if (out->rank != 2 || out->shape[0] != batch || out->shape[1] != seq) {
    fprintf(stderr, "bertc: error: %s: %s must be [batch, seq] like the input\n", path, what);
    return 1;
  }
  return 0;
}

#endif /* BERTC_NPY_H */
