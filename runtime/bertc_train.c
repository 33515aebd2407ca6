/*===- bertc_train.c - The driver of a compiled bertc training build ------===*
 *
 * Linked with a model compiled by `bert-compile --mode=train --emit=exe`
 * and its generated header (bertc_train_model.h). One batch:
 *
 *   ./train --input IDS.npy --labels LABELS.npy [--token-types T.npy]
 *           [--mask M.npy] --dump-grads G.safetensors
 *
 * IDS: int32/int64 token ids [B, L]; LABELS: int32/int64 [B] in
 * [0, num_labels). Writes the mean cross-entropy ("loss", a scalar) and the
 * gradient of every trainable tensor under its Hugging Face name, before
 * any update, as a safetensors file (written to a temporary file and
 * renamed). Exit status: 0 success, 1 bad usage or input.
 *===----------------------------------------------------------------------===*/

#include "bertc_train_model.h"

#include "bertc_npy.h"

static int train_usage(void) {
  fprintf(stderr,
          "usage: train --input IDS.npy --labels LABELS.npy [--token-types T.npy]\n"
          "             [--mask M.npy] --dump-grads G.safetensors\n");
  return 1;
}

/* A safetensors file of the loss and every tensor of `gradients`,
 * addressed by the header's table; written atomically. */
static int write_gradients(const char *path, float loss, const float *gradients) {
  size_t capacity = 256 + (size_t)BERTC_TENSOR_COUNT * 256, length = 0;
  char *header = (char *)malloc(capacity);
  if (!header) return fail("out of memory writing %s", path);
  length += (size_t)snprintf(header + length, capacity - length,
                             "{\"loss\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}");
  for (int t = 0; t < BERTC_TENSOR_COUNT; ++t) {
    const struct bertc_tensor_info *info = &bertc_tensors[t];
    int64_t count = 1;
    length += (size_t)snprintf(header + length, capacity - length,
                               ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", info->name);
    for (int d = 0; d < info->rank; ++d) {
      count *= info->shape[d];
      length += (size_t)snprintf(header + length, capacity - length, "%s%lld",
                                 d ? "," : "", (long long)info->shape[d]);
    }
    length += (size_t)snprintf(header + length, capacity - length,
                               "],\"data_offsets\":[%lld,%lld]}",
                               (long long)(4 + 4 * info->offset),
                               (long long)(4 + 4 * (info->offset + count)));
  }
  length += (size_t)snprintf(header + length, capacity - length, "}");
  /* Pad the header with spaces to a multiple of 8 bytes, as the format
   * recommends for aligned reads. */
  while (length % 8) header[length++] = ' ';
  unsigned char size[8];
  for (int i = 0; i < 8; ++i) size[i] = (unsigned char)((uint64_t)length >> (8 * i));
  char temporary[4096];
  snprintf(temporary, sizeof temporary, "%s.tmp-%ld", path, (long)getpid());
  FILE *file = fopen(temporary, "wb");
  if (!file) {
    free(header);
    return fail("cannot write %s", path);
  }
  int ok = fwrite(size, 1, 8, file) == 8 && fwrite(header, 1, length, file) == length &&
           fwrite(&loss, sizeof loss, 1, file) == 1 &&
           fwrite(gradients, sizeof(float), BERTC_PARAMETER_COUNT, file) ==
               (size_t)BERTC_PARAMETER_COUNT;
  ok = (fclose(file) == 0) && ok;
  free(header);
  if (!ok || rename(temporary, path) != 0) {
    remove(temporary);
    return fail("cannot write %s", path);
  }
  return 0;
}

/* Every value of `values` in [0, limit). */
static int all_below(const int32_t *values, int64_t count, int64_t limit) {
  for (int64_t i = 0; i < count; ++i)
    if (values[i] < 0 || values[i] >= limit) return 0;
  return 1;
}

struct train_inputs {
  struct array ids, labels, types, mask;
  int32_t *ids32, *labels32, *types32;
  float *mask32, *parameters, *gradients;
};

static void release_inputs(struct train_inputs *in) {
  free(in->ids.data); free(in->labels.data); free(in->types.data); free(in->mask.data);
  free(in->ids32); free(in->labels32); free(in->types32); free(in->mask32);
  free(in->parameters); free(in->gradients);
}

static int run_step(const char *ids_path, const char *labels_path, const char *types_path,
                    const char *mask_path, const char *dump_path, struct train_inputs *in) {
  if (read_npy(ids_path, &in->ids)) return 1;
  if (in->ids.rank != 2 || in->ids.shape[0] < 1 || in->ids.shape[1] < 1)
    return fail("%s: token ids must be [batch, seq] with batch, seq >= 1", ids_path);
  int64_t batch = in->ids.shape[0], seq = in->ids.shape[1], tokens = batch * seq;
  if (seq > BERTC_MAX_POSITIONS)
    return fail("%s: the sequence is longer than the model's positions", ids_path);
  if (!(in->ids32 = as_int32(&in->ids, "token ids"))) return 1;
  if (!all_below(in->ids32, tokens, BERTC_VOCAB_SIZE))
    return fail("%s: a token id is outside [0, vocab size)", ids_path);
  if (read_npy(labels_path, &in->labels)) return 1;
  if (in->labels.rank != 1 || in->labels.shape[0] != batch)
    return fail("%s: labels must be [batch], one per row of the ids", labels_path);
  if (!(in->labels32 = as_int32(&in->labels, "labels"))) return 1;
  if (!all_below(in->labels32, batch, BERTC_NUM_LABELS))
    return fail("%s: a label is outside [0, num_labels)", labels_path);
  if (types_path) {
    if (read_companion(types_path, batch, seq, "token types", &in->types)) return 1;
    if (!(in->types32 = as_int32(&in->types, "token types"))) return 1;
    if (!all_below(in->types32, tokens, BERTC_TYPE_VOCAB_SIZE))
      return fail("%s: a token type is outside [0, type vocab size)", types_path);
  } else if (!(in->types32 = (int32_t *)calloc((size_t)tokens, sizeof(int32_t)))) {
    return fail("%s", "out of memory");
  }
  if (mask_path) {
    if (read_companion(mask_path, batch, seq, "mask", &in->mask)) return 1;
    if (!(in->mask32 = as_float(&in->mask))) return fail("%s", "out of memory");
    for (int64_t i = 0; i < tokens; ++i)
      if (in->mask32[i] != 0.0f && in->mask32[i] != 1.0f)
        return fail("%s: mask values must be 0 or 1", mask_path);
  } else {
    if (!(in->mask32 = (float *)malloc((size_t)tokens * sizeof(float))))
      return fail("%s", "out of memory");
    for (int64_t i = 0; i < tokens; ++i) in->mask32[i] = 1.0f;
  }

  in->parameters = (float *)malloc(sizeof(float) * BERTC_PARAMETER_COUNT);
  in->gradients = (float *)malloc(sizeof(float) * BERTC_PARAMETER_COUNT);
  if (!in->parameters || !in->gradients) return fail("%s", "out of memory");
  struct bertc_memref1 parameters = {in->parameters, in->parameters, 0,
                                     {BERTC_PARAMETER_COUNT}, {1}};
  struct bertc_memref1 gradients = {in->gradients, in->gradients, 0,
                                    {BERTC_PARAMETER_COUNT}, {1}};
  _mlir_ciface_bert_initial_parameters(&parameters);
  struct bertc_imemref2 ids = {in->ids32, in->ids32, 0, {batch, seq}, {seq, 1}};
  struct bertc_imemref2 types = {in->types32, in->types32, 0, {batch, seq}, {seq, 1}};
  struct bertc_memref2 mask = {in->mask32, in->mask32, 0, {batch, seq}, {seq, 1}};
  struct bertc_imemref1 labels = {in->labels32, in->labels32, 0, {batch}, {1}};
  float loss = 0.0f;
  struct bertc_memref0 loss_ref = {&loss, &loss, 0};
  _mlir_ciface_bert_train_step(&ids, &types, &mask, &labels, &parameters, &loss_ref,
                               &gradients);
  printf("loss %.9g\n", loss);
  return write_gradients(dump_path, loss, in->gradients);
}

int main(int argc, char **argv) {
  const char *ids = NULL, *labels = NULL, *types = NULL, *mask = NULL, *dump = NULL;
  for (int i = 1; i < argc; ++i) {
    const char **slot = !strcmp(argv[i], "--input")         ? &ids
                        : !strcmp(argv[i], "--labels")      ? &labels
                        : !strcmp(argv[i], "--token-types") ? &types
                        : !strcmp(argv[i], "--mask")        ? &mask
                        : !strcmp(argv[i], "--dump-grads")  ? &dump
                                                            : NULL;
    if (!slot || i + 1 >= argc) return train_usage();
    *slot = argv[++i];
  }
  if (!ids || !labels || !dump) return train_usage();
  struct train_inputs in;
  memset(&in, 0, sizeof in);
  int status = run_step(ids, labels, types, mask, dump, &in);
  release_inputs(&in);
  return status;
}
