//===- CHeader.cpp - The C header that documents a compiled model ---------===//
//
// The compiled entry point takes MLIR memref descriptors; the header hides
// them behind plain pointers and sizes and checks everything a caller can get
// wrong, so the compiled code only ever sees valid shapes and ids.
//
//===----------------------------------------------------------------------===//

#include "bertc/Driver/CHeader.h"

#include "bertc/Import/Importer.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace bertc;
using llvm::Expected;
using llvm::StringRef;

static llvm::Error headerError(const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), what);
}

/// The model facts the header needs, read from the importer's attributes.
struct ModelFacts {
  bool encoderEntry = false;
  int64_t vocab = 0, hidden = 0, maxPositions = 0, typeVocab = 0, labels = 0;
  bool hasLogits = false, hasPooled = false;
};

static Expected<ModelFacts> readFacts(ModuleOp module) {
  auto config = module->getAttrOfType<DictionaryAttr>(import::attrs::kConfig);
  auto entry = module->getAttrOfType<StringAttr>(import::attrs::kEntry);
  auto outputs = module->getAttrOfType<ArrayAttr>(import::attrs::kOutputs);
  if (!config || !entry || !outputs)
    return headerError("the module lacks the bertc.config, bertc.entry and "
                       "bertc.outputs attributes that the importer writes "
                       "(compile a checkpoint, or .mlir from --emit=mlir)");
  ModelFacts facts;
  facts.encoderEntry =
      entry.getValue() == import::entryFunctionName(import::EntryPoint::Encoder);
  auto get = [&](StringRef key, int64_t &out) -> llvm::Error {
    auto value = config.getAs<IntegerAttr>(key);
    if (!value)
      return headerError("bertc.config lacks '" + key + "'");
    out = value.getInt();
    return llvm::Error::success();
  };
  for (auto [key, field] :
       std::initializer_list<std::pair<StringRef, int64_t *>>{
           {"vocab_size", &facts.vocab},
           {"hidden_size", &facts.hidden},
           {"max_position_embeddings", &facts.maxPositions},
           {"type_vocab_size", &facts.typeVocab},
           {"num_labels", &facts.labels}})
    if (llvm::Error error = get(key, *field))
      return std::move(error);
  for (Attribute output : outputs) {
    StringRef name = cast<StringAttr>(output).getValue();
    facts.hasLogits |= name == "logits";
    facts.hasPooled |= name == "pooled";
  }
  return facts;
}

/// The fixed part: status codes, descriptors and shared checks.
static const char *const kPrologue = R"(#include <stdint.h>
#include <stdlib.h>

/* Status codes of bertc_run (0 is success). */
enum bertc_status {
  BERTC_OK = 0,
  BERTC_ERR_NULL_POINTER = 1, /* a required input pointer is NULL */
  BERTC_ERR_BAD_SHAPE = 2,    /* batch < 1, seq < 1 or seq > max positions */
  BERTC_ERR_TOKEN_ID = 3,     /* a token id outside [0, vocab size) */
  BERTC_ERR_TOKEN_TYPE = 4,   /* a token type outside [0, type vocab size) */
  BERTC_ERR_MASK = 5,         /* a mask value other than 0 or 1 */
  BERTC_ERR_NO_MEMORY = 6     /* scratch for a NULL output could not be had */
};

static inline const char *bertc_status_message(int status) {
  switch (status) {
  case BERTC_OK: return "ok";
  case BERTC_ERR_NULL_POINTER: return "a required input pointer is NULL";
  case BERTC_ERR_BAD_SHAPE: return "batch or sequence length out of range";
  case BERTC_ERR_TOKEN_ID: return "token id out of range";
  case BERTC_ERR_TOKEN_TYPE: return "token type id out of range";
  case BERTC_ERR_MASK: return "attention mask values must be 0 or 1";
  case BERTC_ERR_NO_MEMORY: return "out of memory";
  default: return "unknown status";
  }
}

/* MLIR memref descriptors of the compiled entry point (internal). */
struct bertc_memref2 { const float *allocated, *aligned; int64_t offset, sizes[2], strides[2]; };
struct bertc_memref3 { const float *allocated, *aligned; int64_t offset, sizes[3], strides[3]; };
struct bertc_imemref2 { const int32_t *allocated, *aligned; int64_t offset, sizes[2], strides[2]; };

static inline struct bertc_memref2 bertc_view2(const float *p, int64_t a, int64_t b) {
  struct bertc_memref2 m = {p, p, 0, {a, b}, {b, 1}};
  return m;
}
static inline struct bertc_memref3 bertc_view3(const float *p, int64_t a, int64_t b, int64_t c) {
  struct bertc_memref3 m = {p, p, 0, {a, b, c}, {b * c, c, 1}};
  return m;
}
static inline struct bertc_imemref2 bertc_iview2(const int32_t *p, int64_t a, int64_t b) {
  struct bertc_imemref2 m = {p, p, 0, {a, b}, {b, 1}};
  return m;
}

/* Caller buffer, or scratch from malloc when the caller passed NULL. */
static inline float *bertc_out_or_scratch(float *out, int64_t count, float **scratch) {
  if (out) return out;
  *scratch = (float *)malloc((size_t)(count > 0 ? count : 1) * sizeof(float));
  return *scratch;
}
)";

Expected<std::string> bertc::driver::generateCHeader(ModuleOp module,
                                                     StringRef guardName) {
  Expected<ModelFacts> factsOr = readFacts(module);
  if (!factsOr)
    return factsOr.takeError();
  const ModelFacts &f = *factsOr;
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = "BERTC_MODEL_" + guardName.upper() + "_H";
  StringRef symbol = f.encoderEntry ? "bert_encoder" : "bert_model";

  os << "/* Generated by bert-compile. The ABI is described in bertc's "
        "docs/ABI.md.\n"
     << " *\n"
     << " * Entry: bertc_run(), which validates its arguments and runs the\n"
     << " * compiled " << symbol << ". All buffers are owned by the caller;\n"
     << " * arrays are dense, row-major, float32 or int32. The compiled code\n"
     << " * needs libc and libm only and is thread-safe. It keeps the scratch\n"
     << " * buffers of a call for the next one (a process-wide, locked cache);\n"
     << " * " << symbol << "_release_buffers() returns them to libc. The\n"
     << " * environment variable BERTC_NUM_THREADS (default 1) sets how many\n"
     << " * threads the GEMMs use; results do not depend on it. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n";
  os << llvm::formatv("#define BERTC_VOCAB_SIZE {0}\n"
                      "#define BERTC_HIDDEN_SIZE {1}\n"
                      "#define BERTC_MAX_POSITIONS {2}\n"
                      "#define BERTC_TYPE_VOCAB_SIZE {3}\n"
                      "#define BERTC_NUM_LABELS {4}\n"
                      "#define BERTC_ENTRY_IS_ENCODER {5}\n"
                      "#define BERTC_HAS_LOGITS {6}\n"
                      "#define BERTC_HAS_POOLED {7}\n\n",
                      f.vocab, f.hidden, f.maxPositions, f.typeVocab, f.labels,
                      int(f.encoderEntry), int(f.hasLogits), int(f.hasPooled));
  os << kPrologue << "\n";

  // The compiled symbol: inputs, then one out-parameter per output.
  os << "void _mlir_ciface_" << symbol << "(";
  if (f.encoderEntry)
    os << "struct bertc_memref3 *hidden_in, ";
  else
    os << "struct bertc_imemref2 *ids, struct bertc_imemref2 *token_types, ";
  os << "struct bertc_memref2 *mask";
  if (f.hasLogits)
    os << ", struct bertc_memref2 *logits";
  if (f.hasPooled)
    os << ", struct bertc_memref2 *pooled";
  os << ", struct bertc_memref3 *hidden);\n\n";

  os << "/* Frees the scratch buffers cached since the last call (any thread,\n"
        " * any time; the next call allocates afresh). */\n"
     << "void " << symbol << "_release_buffers(void);\n\n";

  os << "/* Runs the model on `batch` sequences of `seq` positions.\n";
  if (f.encoderEntry)
    os << " *   input:  hidden states after the embedding LayerNorm, "
          "[batch, seq, BERTC_HIDDEN_SIZE] (required)\n";
  else
    os << " *   input:  token ids [batch, seq] in [0, BERTC_VOCAB_SIZE) "
          "(required)\n"
       << " *   token_types: [batch, seq] in [0, BERTC_TYPE_VOCAB_SIZE), "
          "or NULL for all 0\n";
  os << " *   mask:   [batch, seq] of 1 (token) and 0 (padding), or NULL for "
        "all 1\n"
     << " *   logits: [batch, BERTC_NUM_LABELS] out, or NULL"
     << (f.hasLogits ? "" : " (this model has no classifier)") << "\n"
     << " *   pooled: [batch, BERTC_HIDDEN_SIZE] out, or NULL"
     << (f.hasPooled ? "" : " (this model has no pooler)") << "\n"
     << " *   hidden: [batch, seq, BERTC_HIDDEN_SIZE] out (last layer), or "
        "NULL\n"
     << " * Returns BERTC_OK or a bertc_status; outputs are untouched on "
        "error. */\n";
  os << "static inline int bertc_run(const "
     << (f.encoderEntry ? "float" : "int32_t")
     << " *input, const int32_t *token_types, const float *mask,\n"
        "                            int64_t batch, int64_t seq, float "
        "*logits,\n"
        "                            float *pooled, float *hidden) {\n";
  os << R"(  if (!input) return BERTC_ERR_NULL_POINTER;
  if (batch < 1 || seq < 1 || seq > BERTC_MAX_POSITIONS) return BERTC_ERR_BAD_SHAPE;
  /* batch * seq * hidden must fit the address space. */
  if ((uint64_t)batch > (uint64_t)INT64_MAX / (uint64_t)seq / BERTC_HIDDEN_SIZE / 4)
    return BERTC_ERR_BAD_SHAPE;
  int64_t tokens = batch * seq;
  if (mask)
    for (int64_t i = 0; i < tokens; ++i)
      if (mask[i] != 0.0f && mask[i] != 1.0f) return BERTC_ERR_MASK;
)";
  if (!f.encoderEntry)
    os << R"(  for (int64_t i = 0; i < tokens; ++i)
    if (input[i] < 0 || input[i] >= BERTC_VOCAB_SIZE) return BERTC_ERR_TOKEN_ID;
  if (token_types)
    for (int64_t i = 0; i < tokens; ++i)
      if (token_types[i] < 0 || token_types[i] >= BERTC_TYPE_VOCAB_SIZE)
        return BERTC_ERR_TOKEN_TYPE;
)";
  else
    os << "  (void)token_types;\n";
  os << R"(  float *scratch[5] = {0, 0, 0, 0, 0};
  float *ones = 0;
  int32_t *zeros = 0;
  int status = BERTC_OK;
  if (!mask) {
    ones = bertc_out_or_scratch(0, tokens, &scratch[0]);
    if (ones) for (int64_t i = 0; i < tokens; ++i) ones[i] = 1.0f;
    mask = ones;
  }
  float *logits_buf = bertc_out_or_scratch(logits, batch * BERTC_NUM_LABELS, &scratch[1]);
  float *pooled_buf = bertc_out_or_scratch(pooled, batch * BERTC_HIDDEN_SIZE, &scratch[2]);
  float *hidden_buf = bertc_out_or_scratch(hidden, tokens * BERTC_HIDDEN_SIZE, &scratch[3]);
)";
  if (!f.encoderEntry)
    os << R"(  if (!token_types) {
    zeros = (int32_t *)calloc((size_t)tokens, sizeof(int32_t));
    token_types = zeros;
  }
)";
  os << "  if (!mask || !logits_buf || !pooled_buf || !hidden_buf"
     << (f.encoderEntry ? "" : " || !token_types") << ") {\n"
     << "    status = BERTC_ERR_NO_MEMORY;\n  } else {\n";
  if (f.encoderEntry)
    os << "    struct bertc_memref3 in = bertc_view3(input, batch, seq, "
          "BERTC_HIDDEN_SIZE);\n";
  else
    os << "    struct bertc_imemref2 in = bertc_iview2(input, batch, seq);\n"
       << "    struct bertc_imemref2 types = bertc_iview2(token_types, batch, "
          "seq);\n";
  os << "    struct bertc_memref2 m = bertc_view2(mask, batch, seq);\n"
     << "    struct bertc_memref2 lo = bertc_view2(logits_buf, batch, "
        "BERTC_NUM_LABELS);\n"
     << "    struct bertc_memref2 po = bertc_view2(pooled_buf, batch, "
        "BERTC_HIDDEN_SIZE);\n"
     << "    struct bertc_memref3 hi = bertc_view3(hidden_buf, batch, seq, "
        "BERTC_HIDDEN_SIZE);\n"
     << "    _mlir_ciface_" << symbol << "(&in, "
     << (f.encoderEntry ? "" : "&types, ") << "&m"
     << (f.hasLogits ? ", &lo" : "") << (f.hasPooled ? ", &po" : "")
     << ", &hi);\n";
  if (!f.hasLogits || !f.hasPooled)
    os << "    (void)lo; (void)po;\n";
  os << R"(  }
  for (int i = 0; i < 5; ++i) free(scratch[i]);
  free(zeros);
  return status;
}

#endif
)";
  return text;
}

/// `text` as a C string literal.
static std::string cStringLiteral(StringRef text) {
  std::string literal = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      literal += '\\';
    if (c == '\n') {
      literal += "\\n\"\n  \"";
      continue;
    }
    literal += c;
  }
  return literal + "\"";
}

/// The initializer of a C array of the strings in `names` ("0" when there
/// are none: C has no empty array).
static std::string cStringList(ArrayAttr names) {
  if (!names || names.empty())
    return "0";
  std::string list;
  for (Attribute name : names)
    list += cStringLiteral(cast<StringAttr>(name).getValue()) + ", ";
  return list;
}

Expected<std::string> bertc::driver::generateTrainHeader(ModuleOp module,
                                                         StringRef configJson) {
  Expected<ModelFacts> factsOr = readFacts(module);
  if (!factsOr)
    return factsOr.takeError();
  const ModelFacts &f = *factsOr;
  auto tensors = module->getAttrOfType<ArrayAttr>("bertc.parameters");
  if (!tensors)
    return headerError("the module lacks bertc.parameters (run "
                       "bert-make-trainable)");
  auto optimizer = module->getAttrOfType<DictionaryAttr>("bertc.optimizer");
  if (!optimizer)
    return headerError("the module lacks bertc.optimizer (run "
                       "bert-build-optimizer)");
  bool isAdamW = optimizer.getAs<StringAttr>("kind").getValue() == "adamw";
  double beta1 = optimizer.getAs<FloatAttr>("beta1").getValueAsDouble();
  double beta2 = optimizer.getAs<FloatAttr>("beta2").getValueAsDouble();
  auto q8Slots = module->getAttrOfType<ArrayAttr>("bertc.q8_slots");
  auto q8Gates = module->getAttrOfType<ArrayAttr>("bertc.q8_gates");
  std::string text;
  llvm::raw_string_ostream os(text);
  int64_t total = 0;
  os << "/* Generated by bert-compile --mode=train for bertc_train.c. */\n"
     << "#ifndef BERTC_TRAIN_MODEL_H\n#define BERTC_TRAIN_MODEL_H\n\n"
     << "#include <stdint.h>\n\n"
     << "#define BERTC_VOCAB_SIZE " << f.vocab << "\n"
     << "#define BERTC_HIDDEN_SIZE " << f.hidden << "\n"
     << "#define BERTC_MAX_POSITIONS " << f.maxPositions << "\n"
     << "#define BERTC_TYPE_VOCAB_SIZE " << f.typeVocab << "\n"
     << "#define BERTC_NUM_LABELS " << f.labels << "\n"
     << "/* The checkpoint's config.json, written beside trained weights. */\n"
     << "static const char bertc_config_json[] =\n  "
     << cStringLiteral(configJson) << ";\n\n"
     << "struct bertc_tensor_info {\n  const char *name;\n  int64_t offset;\n"
     << "  int rank;\n  int64_t shape[4];\n};\n\n"
     << "static const struct bertc_tensor_info bertc_tensors[] = {\n";
  for (Attribute entry : tensors) {
    auto dict = cast<DictionaryAttr>(entry);
    auto shape = dict.getAs<ArrayAttr>("shape");
    int64_t offset = dict.getAs<IntegerAttr>("offset").getInt();
    int64_t count = 1;
    os << "  {\"" << dict.getAs<StringAttr>("name").getValue() << "\", " << offset
       << ", " << shape.size() << ", {";
    for (auto [index, size] : llvm::enumerate(shape)) {
      int64_t value = cast<IntegerAttr>(size).getInt();
      count *= value;
      os << (index ? ", " : "") << value;
    }
    os << "}},\n";
    total = std::max(total, offset + count);
  }
  os << "};\n"
     << "#define BERTC_TENSOR_COUNT " << tensors.size() << "\n"
     << "#define BERTC_Q8 " << (q8Slots ? 1 : 0) << "\n"
     << "/* Q8BERT QAT: the checkpoint buffer of each activation threshold, and\n"
     << " * the module of each quantizer's start_step gate. */\n"
     << "#define BERTC_Q8_SLOTS " << (q8Slots ? q8Slots.size() : 0) << "\n"
     << "static const char *const bertc_q8_slots[] = {" << cStringList(q8Slots)
     << "};\n"
     << "#define BERTC_Q8_GATES " << (q8Gates ? q8Gates.size() : 0) << "\n"
     << "static const char *const bertc_q8_gates[] = {" << cStringList(q8Gates)
     << "};\n"
     << "#define BERTC_PARAMETER_COUNT " << total << "\n\n"
     << "/* MLIR memref descriptors (internal). */\n"
     << "struct bertc_memref0 { float *allocated, *aligned; int64_t offset; };\n"
     << "struct bertc_memref1 { float *allocated, *aligned; int64_t offset, "
        "sizes[1], strides[1]; };\n"
     << "struct bertc_memref2 { const float *allocated, *aligned; int64_t "
        "offset, sizes[2], strides[2]; };\n"
     << "struct bertc_imemref1 { const int32_t *allocated, *aligned; int64_t "
        "offset, sizes[1], strides[1]; };\n"
     << "struct bertc_imemref2 { const int32_t *allocated, *aligned; int64_t "
        "offset, sizes[2], strides[2]; };\n\n"
     << "/* loss and d loss / d parameters of one batch (mean cross-entropy). "
        "*/\n"
     << "void _mlir_ciface_bert_train_step(struct bertc_imemref2 *ids, struct "
        "bertc_imemref2 *token_types,\n"
     << "    struct bertc_memref2 *mask, struct bertc_imemref1 *labels, struct "
        "bertc_memref1 *parameters,\n"
     << "    /* The step's dropout masks are a function of this seed (the "
        "runtime passes\n     * (--seed << 32) + step). */\n"
     << "    int64_t dropout_seed,\n";
  if (q8Slots)
    os << "    /* Q8BERT QAT: the EMA thresholds in; per quantizer "
          "(bertc_q8_gates), quantize (1)\n     * or not (0, before its "
          "start_step); the updated thresholds out. */\n"
       << "    struct bertc_memref1 *thresholds, struct bertc_memref1 "
          "*quantize,\n"
       << "    struct bertc_memref0 *loss, struct bertc_memref1 "
          "*new_thresholds, struct bertc_memref1 *gradients);\n";
  else
    os << "    struct bertc_memref0 *loss, struct bertc_memref1 *gradients);\n";
  os
     << "/* The checkpoint's values of the flat parameter vector. */\n"
     << "void _mlir_ciface_bert_initial_parameters(struct bertc_memref1 "
        "*parameters);\n"
     << "/* The logits [batch, labels] of the forward with `parameters`. */\n"
     << "void _mlir_ciface_bert_logits(struct bertc_imemref2 *ids, struct "
        "bertc_imemref2 *token_types,\n"
     << "    struct bertc_memref2 *mask, struct bertc_memref1 *parameters, "
     << (q8Slots ? "struct bertc_memref1 *thresholds, " : "")
     << "struct bertc_memref2 *logits);\n"
     << "/* One optimizer step: hyper = {scheduled learning rate, AdamW bias "
        "correction}. */\n"
     << "void _mlir_ciface_bert_optimizer_step(struct bertc_memref1 "
        "*parameters, struct bertc_memref1 *gradients,\n"
     << "    struct bertc_memref1 *m, struct bertc_memref1 *v, struct "
        "bertc_memref1 *hyper,\n"
     << "    struct bertc_memref1 *new_parameters, struct bertc_memref1 "
        "*new_m, struct bertc_memref1 *new_v);\n"
     << "#define BERTC_OPTIMIZER_IS_ADAMW " << (isAdamW ? 1 : 0) << "\n"
     << "#define BERTC_BETA1 " << llvm::formatv("{0:e9}", beta1) << "\n"
     << "#define BERTC_BETA2 " << llvm::formatv("{0:e9}", beta2) << "\n\n"
     << "#endif\n";
  return text;
}
