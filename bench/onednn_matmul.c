/*===- onednn_matmul.c - oneDNN's int8 matmul, the peer of Q8 linears ---===*
 *
 * s8 x s8 -> s32 (the exact equivalent of bertc's int8 product) and
 * u8 x s8 -> s32 matmuls through oneDNN's C API (Debian's libdnnl 2.6),
 * weights in the layout oneDNN chooses (format `any`, as a deployed model
 * would prepack them), on OMP_NUM_THREADS threads. Only timing: the
 * operands hold arbitrary bytes.
 *===----------------------------------------------------------------------===*/
#include "onednn_matmul.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct onednn_matmul {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  dnnl_primitive_t primitive;
  dnnl_memory_t src, weights, dst;
  /* The implementation oneDNN chose ("brg:avx512_core_amx", ...). */
  char implementation[64];
};

#define CHECK(call)                                                           \
  do {                                                                        \
    dnnl_status_t status_ = (call);                                           \
    if (status_ != dnnl_success) {                                            \
      fprintf(stderr, "oneDNN: %s failed (%d)\n", #call, (int)status_);       \
      exit(1);                                                                \
    }                                                                         \
  } while (0)

static dnnl_memory_t filled_memory(const dnnl_memory_desc_t *md,
                                   dnnl_engine_t engine) {
  dnnl_memory_t memory;
  CHECK(dnnl_memory_create(&memory, md, engine, DNNL_MEMORY_ALLOCATE));
  void *data;
  CHECK(dnnl_memory_get_data_handle(memory, &data));
  memset(data, 1, dnnl_memory_desc_get_size(md));
  return memory;
}

struct onednn_matmul *onednn_matmul_create(int m, int n, int k, int src_unsigned) {
  struct onednn_matmul *mm = calloc(1, sizeof *mm);
  CHECK(dnnl_engine_create(&mm->engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&mm->stream, mm->engine, dnnl_stream_default_flags));
  dnnl_dims_t src_dims = {m, k}, weights_dims = {k, n}, dst_dims = {m, n};
  dnnl_memory_desc_t src_md, weights_md, dst_md;
  CHECK(dnnl_memory_desc_init_by_tag(&src_md, 2, src_dims,
                                     src_unsigned ? dnnl_u8 : dnnl_s8, dnnl_ab));
  CHECK(dnnl_memory_desc_init_by_tag(&weights_md, 2, weights_dims, dnnl_s8,
                                     dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 2, dst_dims, dnnl_s32, dnnl_ab));
  dnnl_matmul_desc_t desc;
  CHECK(dnnl_matmul_desc_init(&desc, &src_md, &weights_md, NULL, &dst_md));
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, mm->engine, NULL));
  const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  mm->src = filled_memory(&src_md, mm->engine);
  mm->weights = filled_memory(chosen, mm->engine);
  mm->dst = filled_memory(&dst_md, mm->engine);
  CHECK(dnnl_primitive_create(&mm->primitive, pd));
  const char *implementation = "?";
  CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &implementation));
  snprintf(mm->implementation, sizeof mm->implementation, "%s", implementation);
  CHECK(dnnl_primitive_desc_destroy(pd));
  return mm;
}

void onednn_matmul_run(void *context) {
  struct onednn_matmul *mm = context;
  dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, mm->src},
                            {DNNL_ARG_WEIGHTS, mm->weights},
                            {DNNL_ARG_DST, mm->dst}};
  CHECK(dnnl_primitive_execute(mm->primitive, mm->stream, 3, args));
  CHECK(dnnl_stream_wait(mm->stream));
}

const char *onednn_matmul_implementation(const struct onednn_matmul *mm) {
  return mm->implementation;
}

const char *onednn_version(void) {
  static char text[32];
  const dnnl_version_t *version = dnnl_version();
  snprintf(text, sizeof text, "%d.%d.%d", version->major, version->minor, version->patch);
  return text;
}

void onednn_matmul_destroy(struct onednn_matmul *mm) {
  dnnl_primitive_destroy(mm->primitive);
  dnnl_memory_destroy(mm->src);
  dnnl_memory_destroy(mm->weights);
  dnnl_memory_destroy(mm->dst);
  dnnl_stream_destroy(mm->stream);
  dnnl_engine_destroy(mm->engine);
  free(mm);
}
