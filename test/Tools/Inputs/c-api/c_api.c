/* Drives a compiled model through its header's C API: every argument error
 * gives its status and leaves the outputs untouched; NULL outputs are fine. */
#include "model.h"

#include <stdio.h>

#define EXPECT(call, status)                                                   \
  do {                                                                         \
    int got = (call);                                                          \
    printf("%s -> %d %s\n", #status, got, got == (status) ? "ok" : "WRONG");   \
  } while (0)

int main(void) {
  int32_t ids[6] = {1, 2, 3, 4, 5, 6}, bad[6] = {1, 2, 3, 4, 5, 99};
  int32_t types[6] = {0, 0, 0, 1, 1, 1};
  float mask[6] = {1, 1, 1, 1, 1, 0};
  float logits[2 * BERTC_NUM_LABELS];
  for (int i = 0; i < 2 * BERTC_NUM_LABELS; ++i) logits[i] = 42.0f;
  EXPECT(bertc_run(NULL, NULL, NULL, 2, 3, logits, NULL, NULL), BERTC_ERR_NULL_POINTER);
  EXPECT(bertc_run(ids, NULL, NULL, 0, 3, logits, NULL, NULL), BERTC_ERR_BAD_SHAPE);
  EXPECT(bertc_run(ids, NULL, NULL, 2, -3, logits, NULL, NULL), BERTC_ERR_BAD_SHAPE);
  EXPECT(bertc_run(ids, NULL, NULL, INT64_MAX, 3, logits, NULL, NULL), BERTC_ERR_BAD_SHAPE);
  EXPECT(bertc_run(ids, NULL, NULL, 1, BERTC_MAX_POSITIONS + 1, logits, NULL, NULL), BERTC_ERR_BAD_SHAPE);
  EXPECT(bertc_run(bad, NULL, NULL, 2, 3, logits, NULL, NULL), BERTC_ERR_TOKEN_ID);
  printf("untouched %s\n", logits[0] == 42.0f ? "yes" : "NO");
  EXPECT(bertc_run(ids, types, mask, 2, 3, logits, NULL, NULL), BERTC_OK);
  printf("written %s\n", logits[0] != 42.0f ? "yes" : "NO");
  EXPECT(bertc_run(ids, NULL, NULL, 2, 3, NULL, NULL, NULL), BERTC_OK);
  return 0;
}
