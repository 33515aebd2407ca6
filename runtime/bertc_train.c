/*===- bertc_train.c - The driver of a compiled bertc training build ------===*
 *
 * Linked with a model compiled by `bert-compile --mode=train --emit=exe`
 * and its generated header (bertc_train_model.h). Two uses:
 *
 * Fine-tuning, with the optimizer compiled into the model:
 *   ./train --train-ids X.npy --train-labels Y.npy [--train-mask M.npy]
 *           [--train-types T.npy] [--dev-ids ... --dev-labels ...
 *           [--dev-mask ...] [--dev-types ...]] --out DIR
 *           [--epochs 3] [--batch 16] [--lr 5e-5] [--warmup 0.1]
 *           [--seed 42] [--eval-every STEPS] [--max-steps N] [--overwrite]
 *           [--resume] [--stop-after STEPS]
 *           [--q8-start-step N] [--q8-start-steps MODULE=N,...]
 *   A progress bar shows the loss and the speed; every --eval-every steps
 *   (and at the end of each epoch) the dev accuracy is printed and the
 *   weights are saved to DIR (config.json + model.safetensors, each written
 *   to a temporary file and renamed), the best dev accuracy's to DIR/best,
 *   and the whole training state (weights, optimizer moments, Q8BERT
 *   thresholds, step, data order, best accuracy) to DIR/training_state.bin.
 *   An interrupted run loses at most the current interval: the same command
 *   with --resume continues from the last saved state and ends with the
 *   same bytes as an uninterrupted run. --stop-after STEPS ends a run after
 *   STEPS steps with the schedule of the full run (training in slices).
 *   DIR must be new or empty unless --overwrite or --resume. --seed sets
 *   the shuffle and, with the step number, the dropout masks (the step's
 *   seed is (seed << 32) + step; rates are fixed at compile time).
 *
 * One batch, for checking:
 *   ./train --input IDS.npy --labels LABELS.npy [--token-types T.npy]
 *           [--mask M.npy] [--seed 42] --dump-grads G.safetensors
 *   Writes the mean cross-entropy ("loss", a scalar) and the gradient of
 *   every trainable tensor under its Hugging Face name, before any update,
 *   for step 0 of a run with --seed (its dropout masks).
 *
 * IDS: int32/int64 token ids [B, L]; LABELS: int32/int64 [B] in
 * [0, num_labels). Exit status: 0 success, 1 bad usage or input.
 *===----------------------------------------------------------------------===*/

#include "bertc_train_model.h"

#include "bertc_npy.h"

#include <math.h>
#include <sys/stat.h>
#include <time.h>

static int train_usage(void) {
  fprintf(stderr,
          "usage: train --train-ids X.npy --train-labels Y.npy [--train-mask M.npy]\n"
          "             [--train-types T.npy] [--dev-ids X.npy --dev-labels Y.npy\n"
          "             [--dev-mask M.npy] [--dev-types T.npy]] --out DIR [--epochs 3]\n"
          "             [--batch 16] [--lr 5e-5] [--warmup 0.1] [--seed 42]\n"
          "             [--eval-every STEPS] [--max-steps N] [--overwrite]\n"
          "             [--resume (continue DIR's saved run)] [--stop-after STEPS]\n"
          "             [--q8-start-step N (a --quant=q8 build: quantize from step N)]\n"
          "             [--q8-start-steps MODULE=N,... (per module, e.g. classifier=200)]\n"
          "       train --input IDS.npy --labels LABELS.npy [--token-types T.npy]\n"
          "             [--mask M.npy] [--seed 42] --dump-grads G.safetensors\n");
  return 1;
}

/* Q8BERT QAT: the EMA threshold of each quantized linear's input (and
 * output, with requantize_output) (-1 until its first quantized step), kept
 * across steps. */
static float q8_thresholds[BERTC_Q8_SLOTS > 0 ? BERTC_Q8_SLOTS : 1];
/* Each quantizer's start_step (bertc_q8_gates names them): --q8-start-step,
 * or its --q8-start-steps override (Q8BERT's per-layer config). */
static int64_t q8_gate_start[BERTC_Q8_GATES > 0 ? BERTC_Q8_GATES : 1];

/* Sets every gate to `all`, then applies "MODULE=N,..." overrides. */
static int set_start_steps(int64_t all, const char *overrides) {
  for (int g = 0; g < BERTC_Q8_GATES; ++g) q8_gate_start[g] = all;
  for (const char *at = overrides; at && *at;) {
    const char *comma = strchr(at, ',');
    size_t length = comma ? (size_t)(comma - at) : strlen(at);
    const char *equals = memchr(at, '=', length);
    char *end = NULL;
    long long step = equals ? strtoll(equals + 1, &end, 10) : -1;
    char message[512];
    if (!equals || end != at + length || step < 0) {
      snprintf(message, sizeof message, "'%.*s' is not MODULE=STEPS", (int)length, at);
      return fail("--q8-start-steps: %s", message);
    }
    int found = 0;
    for (int g = 0; g < BERTC_Q8_GATES; ++g)
      if (strlen(bertc_q8_gates[g]) == (size_t)(equals - at) &&
          !strncmp(bertc_q8_gates[g], at, (size_t)(equals - at))) {
        q8_gate_start[g] = step;
        found = 1;
      }
    if (!found) {
      snprintf(message, sizeof message, "'%.*s' is not a quantized module of this model",
               (int)(equals - at), at);
      return fail("--q8-start-steps: %s", message);
    }
    at += length + (comma ? 1 : 0);
  }
  return 0;
}

/* FNV-1a of the gates' start steps: the training state records it. */
static uint64_t start_steps_hash(void) {
  uint64_t hash = 1469598103934665603ull;
  for (int g = 0; g < BERTC_Q8_GATES; ++g)
    for (int byte = 0; byte < 8; ++byte)
      hash = (hash ^ (((uint64_t)q8_gate_start[g] >> (8 * byte)) & 0xff)) * 1099511628211ull;
  return hash;
}

/* A safetensors file of every tensor of the flat vector `values`, named
 * by the header's table, preceded by a scalar "loss" when `loss` is not
 * NULL and followed by the Q8BERT thresholds that are set, under their
 * slots' names `<module>.input_thresh` / `<module>.output_thresh` [1]
 * (nlp-architect's buffers, which bert-compile --quant=q8 reads); written
 * to a temporary file and renamed. */
static int write_tensors(const char *path, const float *loss, const float *values) {
  size_t capacity = 256 + (size_t)(BERTC_TENSOR_COUNT + BERTC_Q8_SLOTS) * 256, length = 0;
  char *header = (char *)malloc(capacity);
  if (!header) return fail("out of memory writing %s", path);
  long long base = loss ? 4 : 0;
  if (loss)
    length += (size_t)snprintf(header + length, capacity - length,
                               "{\"loss\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}");
  else
    header[length++] = '{';
  for (int t = 0; t < BERTC_TENSOR_COUNT; ++t) {
    const struct bertc_tensor_info *info = &bertc_tensors[t];
    int64_t count = 1;
    length += (size_t)snprintf(header + length, capacity - length,
                               "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[",
                               loss || t ? "," : "", info->name);
    for (int d = 0; d < info->rank; ++d) {
      count *= info->shape[d];
      length += (size_t)snprintf(header + length, capacity - length, "%s%lld",
                                 d ? "," : "", (long long)info->shape[d]);
    }
    length += (size_t)snprintf(header + length, capacity - length,
                               "],\"data_offsets\":[%lld,%lld]}",
                               base + 4 * (long long)info->offset,
                               base + 4 * (long long)(info->offset + count));
  }
  long long end = base + 4 * (long long)BERTC_PARAMETER_COUNT;
  for (int q = 0; q < BERTC_Q8_SLOTS; ++q) {
    if (!(q8_thresholds[q] > 0)) continue;
    length += (size_t)snprintf(header + length, capacity - length,
                               ",\"%s\":{\"dtype\":\"F32\",\"shape\":[1],"
                               "\"data_offsets\":[%lld,%lld]}",
                               bertc_q8_slots[q], end, end + 4);
    end += 4;
  }
  length += (size_t)snprintf(header + length, capacity - length, "}");
  /* Pad the header with spaces to a multiple of 8 bytes, as the format
   * recommends for aligned reads. */
  while (length % 8) header[length++] = ' ';
  unsigned char size[8];
  for (int i = 0; i < 8; ++i) size[i] = (unsigned char)((uint64_t)length >> (8 * i));
  struct output out;
  if (open_output(&out, path)) {
    free(header);
    return 1;
  }
  FILE *file = out.file;
  int ok = fwrite(size, 1, 8, file) == 8 && fwrite(header, 1, length, file) == length &&
           (!loss || fwrite(loss, sizeof *loss, 1, file) == 1) &&
           fwrite(values, sizeof(float), BERTC_PARAMETER_COUNT, file) ==
               (size_t)BERTC_PARAMETER_COUNT;
  for (int q = 0; q < BERTC_Q8_SLOTS; ++q)
    if (q8_thresholds[q] > 0) ok = ok && fwrite(&q8_thresholds[q], 4, 1, file) == 1;
  free(header);
  return close_output(&out, ok);
}

/* Every value of `values` in [0, limit). */
static int all_below(const int32_t *values, int64_t count, int64_t limit) {
  for (int64_t i = 0; i < count; ++i)
    if (values[i] < 0 || values[i] >= limit) return 0;
  return 1;
}

/* Token ids, types, mask and labels of `rows` sequences of `seq` tokens,
 * validated against the model. */
struct dataset {
  int64_t rows, seq;
  int32_t *ids, *types, *labels;
  float *mask;
};

static void free_dataset(struct dataset *d) {
  free(d->ids); free(d->types); free(d->labels); free(d->mask);
  memset(d, 0, sizeof *d);
}

/* Reads one .npy and converts it; 0 on success. */
static int load_ints(const char *path, const char *what, struct array *a, int32_t **out) {
  memset(a, 0, sizeof *a);
  int status = read_npy(path, a);
  if (!status && !(*out = as_int32(a, what))) status = 1;
  free(a->data);
  return status;
}

static int load_dataset(const char *ids_path, const char *labels_path, const char *types_path,
                        const char *mask_path, struct dataset *d) {
  struct array a;
  memset(d, 0, sizeof *d);
  if (load_ints(ids_path, "token ids", &a, &d->ids)) return 1;
  if (a.rank != 2 || a.shape[0] < 1 || a.shape[1] < 1)
    return fail("%s: token ids must be [batch, seq] with batch, seq >= 1", ids_path);
  d->rows = a.shape[0];
  d->seq = a.shape[1];
  int64_t tokens = d->rows * d->seq;
  if (d->seq > BERTC_MAX_POSITIONS)
    return fail("%s: the sequence is longer than the model's positions", ids_path);
  if (!all_below(d->ids, tokens, BERTC_VOCAB_SIZE))
    return fail("%s: a token id is outside [0, vocab size)", ids_path);
  if (load_ints(labels_path, "labels", &a, &d->labels)) return 1;
  if (a.rank != 1 || a.shape[0] != d->rows)
    return fail("%s: labels must be [batch], one per row of the ids", labels_path);
  if (!all_below(d->labels, d->rows, BERTC_NUM_LABELS))
    return fail("%s: a label is outside [0, num_labels)", labels_path);
  if (types_path) {
    if (load_ints(types_path, "token types", &a, &d->types)) return 1;
    if (a.rank != 2 || a.shape[0] != d->rows || a.shape[1] != d->seq)
      return fail("%s: token types must be [batch, seq] like the ids", types_path);
    if (!all_below(d->types, tokens, BERTC_TYPE_VOCAB_SIZE))
      return fail("%s: a token type is outside [0, type vocab size)", types_path);
  } else if (!(d->types = (int32_t *)calloc((size_t)tokens, sizeof(int32_t)))) {
    return fail("%s", "out of memory");
  }
  if (mask_path) {
    memset(&a, 0, sizeof a);
    int status = read_companion(mask_path, d->rows, d->seq, "mask", &a);
    if (!status && !(d->mask = as_float(&a))) status = fail("%s", "out of memory");
    free(a.data);
    if (status) return 1;
    for (int64_t i = 0; i < tokens; ++i)
      if (d->mask[i] != 0.0f && d->mask[i] != 1.0f)
        return fail("%s: mask values must be 0 or 1", mask_path);
  } else {
    if (!(d->mask = (float *)malloc((size_t)tokens * sizeof(float))))
      return fail("%s", "out of memory");
    for (int64_t i = 0; i < tokens; ++i) d->mask[i] = 1.0f;
  }
  return 0;
}

/* A batch gathered from a dataset: `seq` is trimmed to the longest row's
 * last unmasked token, so short sentences cost short sequences. */
struct batch {
  int64_t rows, seq;
  int32_t *ids, *types, *labels;
  float *mask;
};

static int alloc_batch(struct batch *b, int64_t rows, int64_t seq) {
  b->ids = (int32_t *)malloc((size_t)(rows * seq) * sizeof(int32_t));
  b->types = (int32_t *)malloc((size_t)(rows * seq) * sizeof(int32_t));
  b->labels = (int32_t *)malloc((size_t)rows * sizeof(int32_t));
  b->mask = (float *)malloc((size_t)(rows * seq) * sizeof(float));
  return b->ids && b->types && b->labels && b->mask;
}

static void free_batch(struct batch *b) {
  free(b->ids); free(b->types); free(b->labels); free(b->mask);
}

static void gather(const struct dataset *d, const int64_t *order, int64_t count, struct batch *b) {
  int64_t used = 1;
  for (int64_t r = 0; r < count; ++r) {
    const float *mask = d->mask + order[r] * d->seq;
    for (int64_t t = d->seq; t > used; --t)
      if (mask[t - 1] != 0.0f) { used = t; break; }
  }
  b->rows = count;
  b->seq = used;
  for (int64_t r = 0; r < count; ++r) {
    int64_t from = order[r] * d->seq, to = r * used;
    memcpy(b->ids + to, d->ids + from, (size_t)used * sizeof(int32_t));
    memcpy(b->types + to, d->types + from, (size_t)used * sizeof(int32_t));
    memcpy(b->mask + to, d->mask + from, (size_t)used * sizeof(float));
    b->labels[r] = d->labels[order[r]];
  }
}

static struct bertc_memref1 flat_view(float *p) {
  struct bertc_memref1 m = {p, p, 0, {BERTC_PARAMETER_COUNT}, {1}};
  return m;
}

/* Loss and gradients of one batch at `parameters`; `step` counts the
 * training forwards so far (each Q8BERT quantizer quantizes from its start
 * step on and updates its thresholds then). The dropout masks come from the run's
 * seed and the step, so a resumed run draws the same ones. */
static float train_step(const struct batch *b, float *parameters, float *gradients,
                        int64_t step, uint64_t seed) {
  int64_t dropout_seed = (int64_t)((seed << 32) + (uint64_t)step);
  struct bertc_imemref2 ids = {b->ids, b->ids, 0, {b->rows, b->seq}, {b->seq, 1}};
  struct bertc_imemref2 types = {b->types, b->types, 0, {b->rows, b->seq}, {b->seq, 1}};
  struct bertc_memref2 mask = {b->mask, b->mask, 0, {b->rows, b->seq}, {b->seq, 1}};
  struct bertc_imemref1 labels = {b->labels, b->labels, 0, {b->rows}, {1}};
  struct bertc_memref1 p = flat_view(parameters), g = flat_view(gradients);
  float loss = 0.0f;
  struct bertc_memref0 loss_ref = {&loss, &loss, 0};
#if BERTC_Q8
  float updated[BERTC_Q8_SLOTS], quantize[BERTC_Q8_GATES];
  for (int q = 0; q < BERTC_Q8_GATES; ++q) quantize[q] = step >= q8_gate_start[q] ? 1.0f : 0.0f;
  struct bertc_memref1 thresholds = {q8_thresholds, q8_thresholds, 0, {BERTC_Q8_SLOTS}, {1}};
  struct bertc_memref1 next = {updated, updated, 0, {BERTC_Q8_SLOTS}, {1}};
  struct bertc_memref1 gates = {quantize, quantize, 0, {BERTC_Q8_GATES}, {1}};
  _mlir_ciface_bert_train_step(&ids, &types, &mask, &labels, &p, dropout_seed, &thresholds, &gates,
                               &loss_ref, &next, &g);
  memcpy(q8_thresholds, updated, sizeof updated);
#else
  _mlir_ciface_bert_train_step(&ids, &types, &mask, &labels, &p, dropout_seed, &loss_ref, &g);
#endif
  return loss;
}

/* The dump of one batch's loss and gradients (--dump-grads). */
static int dump_gradients(uint64_t seed, const char *ids_path, const char *labels_path,
                          const char *types_path,
                          const char *mask_path, const char *dump_path) {
  struct dataset d;
  struct batch b;
  memset(&b, 0, sizeof b);
  float *parameters = (float *)malloc(sizeof(float) * BERTC_PARAMETER_COUNT);
  float *gradients = (float *)malloc(sizeof(float) * BERTC_PARAMETER_COUNT);
  int status = load_dataset(ids_path, labels_path, types_path, mask_path, &d);
  if (!status && (!parameters || !gradients || !alloc_batch(&b, d.rows, d.seq)))
    status = fail("%s", "out of memory");
  if (!status) {
    struct bertc_memref1 p = flat_view(parameters);
    _mlir_ciface_bert_initial_parameters(&p);
    /* The whole file as one batch, untrimmed: the reference sees the same
     * shapes. */
    b.rows = d.rows;
    b.seq = d.seq;
    memcpy(b.ids, d.ids, (size_t)(d.rows * d.seq) * sizeof(int32_t));
    memcpy(b.types, d.types, (size_t)(d.rows * d.seq) * sizeof(int32_t));
    memcpy(b.mask, d.mask, (size_t)(d.rows * d.seq) * sizeof(float));
    memcpy(b.labels, d.labels, (size_t)d.rows * sizeof(int32_t));
    float loss = train_step(&b, parameters, gradients, 0, seed);
    printf("loss %.9g\n", loss);
    status = write_tensors(dump_path, &loss, gradients);
  }
  free_batch(&b);
  free_dataset(&d);
  free(parameters);
  free(gradients);
  return status;
}

/* Fraction of `d`'s rows whose argmax logit is the label. */
static double accuracy(const struct dataset *d, float *parameters, int64_t batch_rows,
                       struct batch *b) {
  int64_t correct = 0;
  float *logits = (float *)malloc((size_t)batch_rows * BERTC_NUM_LABELS * sizeof(float));
  int64_t *order = (int64_t *)malloc((size_t)batch_rows * sizeof(int64_t));
  if (!logits || !order) { free(logits); free(order); return -1; }
  for (int64_t start = 0; start < d->rows; start += batch_rows) {
    int64_t count = d->rows - start < batch_rows ? d->rows - start : batch_rows;
    for (int64_t r = 0; r < count; ++r) order[r] = start + r;
    gather(d, order, count, b);
    struct bertc_imemref2 ids = {b->ids, b->ids, 0, {count, b->seq}, {b->seq, 1}};
    struct bertc_imemref2 types = {b->types, b->types, 0, {count, b->seq}, {b->seq, 1}};
    struct bertc_memref2 mask = {b->mask, b->mask, 0, {count, b->seq}, {b->seq, 1}};
    struct bertc_memref1 p = flat_view(parameters);
    struct bertc_memref2 out = {logits, logits, 0, {count, BERTC_NUM_LABELS}, {BERTC_NUM_LABELS, 1}};
#if BERTC_Q8
    struct bertc_memref1 thresholds = {q8_thresholds, q8_thresholds, 0, {BERTC_Q8_SLOTS}, {1}};
    _mlir_ciface_bert_logits(&ids, &types, &mask, &p, &thresholds, &out);
#else
    _mlir_ciface_bert_logits(&ids, &types, &mask, &p, &out);
#endif
    for (int64_t r = 0; r < count; ++r) {
      int best = 0;
      for (int c = 1; c < BERTC_NUM_LABELS; ++c)
        if (logits[r * BERTC_NUM_LABELS + c] > logits[r * BERTC_NUM_LABELS + best]) best = c;
      correct += best == b->labels[r];
    }
  }
  free(logits);
  free(order);
  return (double)correct / (double)d->rows;
}

/* DIR/config.json and DIR/model.safetensors, each written atomically. */
static int save_checkpoint(const char *dir, const float *parameters) {
  char path[4096];
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return fail("cannot create %s", dir);
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  if (write_tensors(path, NULL, parameters)) return 1;
  snprintf(path, sizeof path, "%s/config.json", dir);
  struct output out;
  if (open_output(&out, path)) return 1;
  return close_output(&out, fputs(bertc_config_json, out.file) >= 0);
}

/* A folder that is absent or empty (nothing of the user's is replaced). */
static int is_new_or_empty(const char *dir) {
  struct stat info;
  if (stat(dir, &info) != 0) return 1;
  char probe[4096];
  snprintf(probe, sizeof probe, "%s/model.safetensors", dir);
  if (stat(probe, &info) == 0) return 0;
  snprintf(probe, sizeof probe, "%s/config.json", dir);
  return stat(probe, &info) != 0;
}

/* xorshift64*: a reproducible shuffle for a --seed. */
static uint64_t next_random(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 2685821657736338717ull;
}

struct schedule {
  int64_t epochs, batch, eval_every, max_steps, stop_after;
  double lr, warmup;
  uint64_t seed;
  int resume;
};

/* The warmup-linear schedule of both recipes: lr * progress / warmup while
 * warming up, then linear decay to 0 at the last step. */
static double scheduled_lr(const struct schedule *s, int64_t step, int64_t total) {
  double progress = (double)step / (double)total;
  if (progress < s->warmup) return s->lr * progress / s->warmup;
  if (s->warmup >= 1.0) return s->lr;
  double factor = (progress - 1.0) / (s->warmup - 1.0);
  return s->lr * (factor > 0 ? factor : 0);
}

struct trainer {
  float *parameters, *gradients, *m, *v, *next[3];
  double best;
};

/* Where a run stands after a step: what --resume needs besides the
 * trainer's buffers. The next batch is `position` rows into epoch `epoch`,
 * whose order is the shuffle from `epoch_random` (the generator's state
 * before that epoch's shuffle). */
struct progress {
  int64_t step, epoch, position;
  uint64_t epoch_random;
  double smoothed;
};

/* DIR/training_state.bin: this header, then the parameters, the two Adam
 * moments (BERTC_PARAMETER_COUNT floats each) and the Q8BERT thresholds
 * (BERTC_Q8_SLOTS floats). The run's settings and data shapes are recorded
 * so that --resume refuses a different run rather than continue it wrongly. */
static const char kStateMagic[8] = {'B', 'E', 'R', 'T', 'C', 'T', 'S', '1'};
struct saved_state {
  char magic[8];
  int64_t parameter_count, q8_slots;
  int64_t epochs, batch, eval_every, max_steps;
  uint64_t q8_starts; /* start_steps_hash() */
  int64_t train_rows, train_seq, dev_rows;
  double lr, warmup;
  uint64_t seed;
  struct progress progress;
  double best;
};

static void describe_run(struct saved_state *h, const struct schedule *s,
                         const struct dataset *train, const struct dataset *dev) {
  memset(h, 0, sizeof *h);
  memcpy(h->magic, kStateMagic, sizeof kStateMagic);
  h->parameter_count = BERTC_PARAMETER_COUNT;
  h->q8_slots = BERTC_Q8_SLOTS;
  h->epochs = s->epochs;
  h->batch = s->batch;
  h->eval_every = s->eval_every;
  h->max_steps = s->max_steps;
  h->q8_starts = start_steps_hash();
  h->train_rows = train->rows;
  h->train_seq = train->seq;
  h->dev_rows = dev->rows;
  h->lr = s->lr;
  h->warmup = s->warmup;
  h->seed = s->seed;
}

static void state_path(char *path, size_t size, const char *dir) {
  snprintf(path, size, "%s/training_state.bin", dir);
}

/* Writes the state after a step, atomically (temporary file, rename). */
static int save_state(const char *dir, const struct trainer *t, const struct schedule *s,
                      const struct dataset *train, const struct dataset *dev,
                      const struct progress *at) {
  struct saved_state h;
  describe_run(&h, s, train, dev);
  h.progress = *at;
  h.best = t->best;
  char path[4096];
  state_path(path, sizeof path, dir);
  struct output out;
  if (open_output(&out, path)) return 1;
  FILE *file = out.file;
  size_t count = (size_t)BERTC_PARAMETER_COUNT;
  int ok = fwrite(&h, sizeof h, 1, file) == 1 &&
           fwrite(t->parameters, sizeof(float), count, file) == count &&
           fwrite(t->m, sizeof(float), count, file) == count &&
           fwrite(t->v, sizeof(float), count, file) == count &&
           fwrite(q8_thresholds, sizeof(float), BERTC_Q8_SLOTS, file) == (size_t)BERTC_Q8_SLOTS;
  return close_output(&out, ok);
}

/* The first setting in which the saved run differs from this one, or NULL. */
static const char *differing_setting(const struct saved_state *saved,
                                     const struct saved_state *now) {
  if (saved->parameter_count != now->parameter_count || saved->q8_slots != now->q8_slots)
    return "model (parameter count or Q8BERT slots)";
  if (saved->epochs != now->epochs) return "--epochs";
  if (saved->batch != now->batch) return "--batch";
  if (saved->eval_every != now->eval_every) return "--eval-every";
  if (saved->max_steps != now->max_steps) return "--max-steps";
  if (saved->q8_starts != now->q8_starts) return "--q8-start-step(s)";
  if (saved->lr != now->lr) return "--lr";
  if (saved->warmup != now->warmup) return "--warmup";
  if (saved->seed != now->seed) return "--seed";
  if (saved->train_rows != now->train_rows || saved->train_seq != now->train_seq)
    return "training set (rows or sequence length)";
  if (saved->dev_rows != now->dev_rows) return "dev set (rows)";
  return NULL;
}

/* Reads DIR/training_state.bin into `t` and `at`, checking that it was
 * written by this model for this run's settings and data. */
static int load_state(const char *dir, struct trainer *t, const struct schedule *s,
                      const struct dataset *train, const struct dataset *dev,
                      struct progress *at) {
  char path[4096];
  state_path(path, sizeof path, dir);
  FILE *file = fopen(path, "rb");
  if (!file) return fail("--resume: cannot open %s (no saved training state)", path);
  struct saved_state saved, now;
  describe_run(&now, s, train, dev);
  size_t count = (size_t)BERTC_PARAMETER_COUNT;
  int ok = fread(&saved, sizeof saved, 1, file) == 1 &&
           !memcmp(saved.magic, kStateMagic, sizeof kStateMagic);
  const char *differs = ok ? differing_setting(&saved, &now) : NULL;
  ok = ok && !differs && fread(t->parameters, sizeof(float), count, file) == count &&
       fread(t->m, sizeof(float), count, file) == count &&
       fread(t->v, sizeof(float), count, file) == count &&
       fread(q8_thresholds, sizeof(float), BERTC_Q8_SLOTS, file) == (size_t)BERTC_Q8_SLOTS &&
       fgetc(file) == EOF;
  fclose(file);
  if (differs) {
    char message[512];
    snprintf(message, sizeof message,
             "--resume: %s was saved by a run with a different %s; resume with the "
             "same settings and data", path, differs);
    return fail("%s", message);
  }
  if (!ok) return fail("--resume: %s is not a training state of this model (truncated or "
                       "corrupt)", path);
  if (saved.progress.step < 0 || saved.progress.epoch < 0 || saved.progress.position < 0 ||
      saved.progress.position >= train->rows)
    return fail("--resume: %s holds an impossible position", path);
  *at = saved.progress;
  t->best = saved.best;
  return 0;
}

static int evaluate_and_save(struct trainer *t, const struct dataset *dev, const char *out,
                             int64_t batch_rows, struct batch *scratch, int64_t step) {
  if (save_checkpoint(out, t->parameters)) return 1;
  if (!dev->rows) {
    fprintf(stderr, "\nstep %lld: saved %s\n", (long long)step, out);
    return 0;
  }
  double acc = accuracy(dev, t->parameters, batch_rows, scratch);
  if (acc < 0) return fail("%s", "out of memory");
  fprintf(stderr, "\nstep %lld: dev accuracy %.4f (%lld examples)%s\n", (long long)step, acc,
          (long long)dev->rows, acc > t->best ? ", best so far" : "");
  if (acc > t->best) {
    t->best = acc;
    char best[4096];
    snprintf(best, sizeof best, "%s/best", out);
    if (save_checkpoint(best, t->parameters)) return 1;
  }
  return 0;
}

static int fine_tune(const struct dataset *train, const struct dataset *dev, const char *out,
                     const struct schedule *s) {
  size_t bytes = sizeof(float) * BERTC_PARAMETER_COUNT;
  struct trainer t;
  memset(&t, 0, sizeof t);
  t.best = -1;
  float **buffers[] = {&t.parameters, &t.gradients, &t.m, &t.v, &t.next[0], &t.next[1], &t.next[2]};
  for (size_t i = 0; i < sizeof buffers / sizeof *buffers; ++i)
    if (!(*buffers[i] = (float *)calloc(1, bytes))) return fail("%s", "out of memory");
  struct bertc_memref1 init = flat_view(t.parameters);
  _mlir_ciface_bert_initial_parameters(&init);

  int64_t batches_per_epoch = (train->rows + s->batch - 1) / s->batch;
  int64_t total = batches_per_epoch * s->epochs;
  if (s->max_steps > 0 && s->max_steps < total) total = s->max_steps;
  int64_t *order = (int64_t *)malloc((size_t)train->rows * sizeof(int64_t));
  struct batch b, eval;
  memset(&b, 0, sizeof b);
  memset(&eval, 0, sizeof eval);
  if (!order || !alloc_batch(&b, s->batch, train->seq) ||
      !alloc_batch(&eval, s->batch, dev->rows ? dev->seq : 1))
    return fail("%s", "out of memory");
  struct progress at = {0, 0, 0, s->seed * 0x9E3779B97F4A7C15ull + 1, 0};
  int status = s->resume ? load_state(out, &t, s, train, dev, &at) : 0;
  if (!status && s->resume)
    fprintf(stderr, "resuming at step %lld of %lld (epoch %lld)\n", (long long)at.step,
            (long long)total, (long long)(at.epoch + 1));
  uint64_t state = at.epoch_random;
  int64_t step = at.step, first_step = at.step;
  double smoothed = at.smoothed;
  struct timespec begin, now;
  clock_gettime(CLOCK_MONOTONIC, &begin);
  int stopped = 0;
  for (int64_t epoch = at.epoch; epoch < s->epochs && step < total && !status && !stopped;
       ++epoch) {
    uint64_t epoch_random = state;
    for (int64_t i = 0; i < train->rows; ++i) order[i] = i;
    for (int64_t i = train->rows - 1; i > 0; --i) {
      int64_t j = (int64_t)(next_random(&state) % (uint64_t)(i + 1));
      int64_t swap = order[i]; order[i] = order[j]; order[j] = swap;
    }
    int64_t first_row = epoch == at.epoch ? at.position : 0;
    for (int64_t start = first_row; start < train->rows && step < total && !status && !stopped;
         start += s->batch) {
      int64_t count = train->rows - start < s->batch ? train->rows - start : s->batch;
      gather(train, order + start, count, &b);
      float loss = train_step(&b, t.parameters, t.gradients, step, s->seed);
      ++step;
      double lr = scheduled_lr(s, step - 1, total);
      double correction = BERTC_OPTIMIZER_IS_ADAMW
                              ? sqrt(1.0 - pow(BERTC_BETA2, (double)step)) /
                                    (1.0 - pow(BERTC_BETA1, (double)step))
                              : 1.0;
      float hyper[2] = {(float)lr, (float)correction};
      struct bertc_memref1 p = flat_view(t.parameters), g = flat_view(t.gradients),
                           m = flat_view(t.m), v = flat_view(t.v);
      struct bertc_memref1 h = {hyper, hyper, 0, {2}, {1}};
      struct bertc_memref1 np = flat_view(t.next[0]), nm = flat_view(t.next[1]),
                           nv = flat_view(t.next[2]);
      _mlir_ciface_bert_optimizer_step(&p, &g, &m, &v, &h, &np, &nm, &nv);
      float *swap[3] = {t.parameters, t.m, t.v};
      t.parameters = t.next[0]; t.m = t.next[1]; t.v = t.next[2];
      t.next[0] = swap[0]; t.next[1] = swap[1]; t.next[2] = swap[2];
      smoothed = step == 1 ? loss : 0.98 * smoothed + 0.02 * loss;
      clock_gettime(CLOCK_MONOTONIC, &now);
      double seconds = (double)(now.tv_sec - begin.tv_sec) + 1e-9 * (double)(now.tv_nsec - begin.tv_nsec);
      fprintf(stderr, "\repoch %lld/%lld step %lld/%lld loss %.4f lr %.2e %.0f examples/s   ",
              (long long)(epoch + 1), (long long)s->epochs, (long long)step, (long long)total,
              smoothed, lr,
              seconds > 0 ? (double)((step - first_step) * s->batch) / seconds : 0.0);
      int end_of_epoch = start + s->batch >= train->rows;
      if ((s->eval_every > 0 && step % s->eval_every == 0) || end_of_epoch || step == total) {
        status = evaluate_and_save(&t, dev, out, s->batch, &eval, step);
        struct progress after = {step, epoch, start + s->batch, epoch_random, smoothed};
        if (end_of_epoch) {
          /* The next epoch shuffles from the generator's current state. */
          after.epoch = epoch + 1;
          after.position = 0;
          after.epoch_random = state;
        }
        if (!status) status = save_state(out, &t, s, train, dev, &after);
      }
      stopped = s->stop_after > 0 && step >= s->stop_after && step < total;
    }
  }
  if (!status && stopped)
    fprintf(stderr, "stopped after step %lld of %lld (--stop-after); the same command with "
                    "--resume continues from the last saved step\n",
            (long long)step, (long long)total);
  else if (!status)
    fprintf(stderr, "done: %lld steps%s\n", (long long)step,
            dev->rows ? "" : " (no dev set)");
  if (!status && !stopped && dev->rows)
    printf("best dev accuracy %.4f\n", t.best);
  free(order);
  free_batch(&b);
  free_batch(&eval);
  for (size_t i = 0; i < sizeof buffers / sizeof *buffers; ++i) free(*buffers[i]);
  return status;
}

/* A positive number from a flag's text, or -1. */
static double positive(const char *text) {
  char *end;
  double value = strtod(text, &end);
  return *end == '\0' && value > 0 ? value : -1;
}

int main(int argc, char **argv) {
  const char *ids = NULL, *labels = NULL, *types = NULL, *mask = NULL, *dump = NULL;
  const char *train_ids = NULL, *train_labels = NULL, *train_types = NULL, *train_mask = NULL;
  const char *dev_ids = NULL, *dev_labels = NULL, *dev_types = NULL, *dev_mask = NULL;
  const char *out = NULL, *epochs = "3", *batch = "16", *lr = "5e-5", *warmup = "0.1";
  const char *seed = "42", *eval_every = "0", *max_steps = "0";
  const char *start_step = "0", *start_steps = NULL, *stop_after = "0";
  int overwrite = 0, resume = 0;
  for (int q = 0; q < BERTC_Q8_SLOTS; ++q) q8_thresholds[q] = -1.0f;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--overwrite")) { overwrite = 1; continue; }
    if (!strcmp(argv[i], "--resume")) { resume = 1; continue; }
    const char **slot = !strcmp(argv[i], "--input")          ? &ids
                        : !strcmp(argv[i], "--labels")       ? &labels
                        : !strcmp(argv[i], "--token-types")  ? &types
                        : !strcmp(argv[i], "--mask")         ? &mask
                        : !strcmp(argv[i], "--dump-grads")   ? &dump
                        : !strcmp(argv[i], "--train-ids")    ? &train_ids
                        : !strcmp(argv[i], "--train-labels") ? &train_labels
                        : !strcmp(argv[i], "--train-types")  ? &train_types
                        : !strcmp(argv[i], "--train-mask")   ? &train_mask
                        : !strcmp(argv[i], "--dev-ids")      ? &dev_ids
                        : !strcmp(argv[i], "--dev-labels")   ? &dev_labels
                        : !strcmp(argv[i], "--dev-types")    ? &dev_types
                        : !strcmp(argv[i], "--dev-mask")     ? &dev_mask
                        : !strcmp(argv[i], "--out")          ? &out
                        : !strcmp(argv[i], "--epochs")       ? &epochs
                        : !strcmp(argv[i], "--batch")        ? &batch
                        : !strcmp(argv[i], "--lr")           ? &lr
                        : !strcmp(argv[i], "--warmup")       ? &warmup
                        : !strcmp(argv[i], "--seed")         ? &seed
                        : !strcmp(argv[i], "--eval-every")   ? &eval_every
                        : !strcmp(argv[i], "--max-steps")    ? &max_steps
                        : !strcmp(argv[i], "--q8-start-step") ? &start_step
                        : !strcmp(argv[i], "--q8-start-steps") ? &start_steps
                        : !strcmp(argv[i], "--stop-after")   ? &stop_after
                                                             : NULL;
    if (!slot || i + 1 >= argc) return train_usage();
    *slot = argv[++i];
  }
  if (set_start_steps(atoll(start_step), start_steps)) return 1;
  if (dump) {
    if (!ids || !labels) return train_usage();
    return dump_gradients(strtoull(seed, NULL, 10), ids, labels, types, mask, dump);
  }
  if (!train_ids || !train_labels || !out || (!dev_ids) != (!dev_labels)) return train_usage();
  struct schedule s;
  s.epochs = (int64_t)positive(epochs);
  s.batch = (int64_t)positive(batch);
  s.lr = positive(lr);
  s.warmup = atof(warmup);
  s.seed = (uint64_t)strtoull(seed, NULL, 10);
  s.eval_every = atoll(eval_every);
  s.max_steps = atoll(max_steps);
  s.stop_after = atoll(stop_after);
  s.resume = resume;
  if (s.epochs < 1 || s.batch < 1 || s.lr <= 0 || s.warmup < 0 || s.warmup > 1 ||
      s.eval_every < 0 || s.max_steps < 0 || s.stop_after < 0)
    return fail("%s", "--epochs and --batch must be positive integers, --lr positive, "
                      "--warmup in [0, 1], --eval-every, --max-steps and --stop-after >= 0");
  if (resume && overwrite) return fail("%s", "--resume and --overwrite exclude each other");
  if (!overwrite && !resume && !is_new_or_empty(out))
    return fail("%s already holds a checkpoint; choose a new --out, pass --overwrite, or "
                "--resume to continue its saved run", out);
  struct dataset train, dev;
  memset(&dev, 0, sizeof dev);
  int status = load_dataset(train_ids, train_labels, train_types, train_mask, &train);
  if (!status && dev_ids)
    status = load_dataset(dev_ids, dev_labels, dev_types, dev_mask, &dev);
  if (!status) status = fine_tune(&train, &dev, out, &s);
  free_dataset(&train);
  free_dataset(&dev);
  return status;
}
