#!/usr/bin/env bash
# The training demonstration of docs/RESULTS.md, every number from one run:
#
#   scripts/sst2_train.sh [WORK_DIR]      (default build/sst2-train)
#
# 1. Tokenizes GLUE SST-2 (data/glue-sst2: train 67,349 rows, dev 872) with
#    bert-tokenize (uncased WordPiece, 64 tokens).
# 2. Starts from the real BERT-tiny SST-2 encoder (models/bert-tiny-sst2),
#    which has no embedding tables: make_checkpoint.py --embeddings-for adds
#    BERT-initialised ones (normal, std 0.02), which training learns.
# 3. Float fine-tuning (bert-compile --mode=train, Hugging Face AdamW).
# 4. Q8BERT: post-training int8 (bert-compile --quant=q8 --calibrate on 512
#    training rows) and quantization-aware training from the float model
#    (--mode=train --quant=q8), then int8 inference from its thresholds.
# 5. BiBERT without distillation: the float model binarized as is
#    (--quant=binary).
# 6. BiBERT distillation from the float model (--mode=train --quant=binary):
#    with DMD, without DMD, and with sign(softmax) attention, each for
#    $BIBERT_STEPS steps (default 2000).
#
# Every accuracy but the BiBERT training rows' "training forward" figures
# is measured by compiling the saved checkpoint and running the native
# inference executable on the dev set. Single-threaded and seeded: a rerun
# prints the same numbers. About 20 minutes on 2 idle cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BERTC_BUILD_DIR:-$root/build}"
work="${1:-$build/sst2-train}"
compile="$build/bin/bert-compile"

"$root/scripts/setup.sh"
"$root/scripts/build.sh" bert-compile bert-tokenize
mkdir -p "$work"
cd "$work"

echo "== tokenize SST-2"
vocab="$root/models/bert-vocab-uncased/vocab.txt"
"$build/bin/bert-tokenize" --vocab "$vocab" --max-length 64 \
  "$root/data/glue-sst2/train-part1.tsv" "$root/data/glue-sst2/train-part2.tsv" -o train
"$build/bin/bert-tokenize" --vocab "$vocab" --max-length 64 \
  "$root/data/glue-sst2/dev.tsv" -o dev

echo "== initial checkpoint: the real encoder + BERT-initialised embeddings"
rm -rf init
/usr/bin/python3 "$root/scripts/make_checkpoint.py" init \
  --embeddings-for "$root/models/bert-tiny-sst2" --seed 0

# dev accuracy of a compiled inference executable
accuracy() {
  "$1" --input dev.ids.npy --mask dev.mask.npy --output "$1.logits.npy" >/dev/null
  /usr/bin/python3 -c "import numpy as np, sys; \
print(f'{(np.load(sys.argv[1]).argmax(1) == np.load(\"dev.labels.npy\")).mean():.4f}')" \
    "$1.logits.npy"
}
train_flags=(--train-ids train.ids.npy --train-labels train.labels.npy
             --train-mask train.mask.npy --dev-ids dev.ids.npy
             --dev-labels dev.labels.npy --dev-mask dev.mask.npy
             --batch 32 --warmup 0.1 --eval-every 500 --seed 42 --overwrite)

echo "== float fine-tuning: AdamW lr 5e-4, weight decay 0.01, 3 epochs"
"$compile" init --mode=train --weight-decay=0.01 --emit=exe -o float.train
./float.train "${train_flags[@]}" --epochs 3 --lr 5e-4 --out float 2>float.log
"$compile" float/best --emit=exe -o float.exe
float_acc=$(accuracy ./float.exe)

echo "== Q8BERT post-training quantization (calibrated on 512 training rows)"
/usr/bin/python3 -c "import numpy as np; np.save('calib.npy', np.load('train.ids.npy')[:512])"
"$compile" float/best --quant=q8 --calibrate calib.npy --emit=exe -o ptq.exe
ptq_acc=$(accuracy ./ptq.exe)

echo "== Q8BERT QAT from the float model: lr 5e-5, 1 epoch"
"$compile" float/best --mode=train --quant=q8 --weight-decay=0.01 --emit=exe -o qat.train
./qat.train "${train_flags[@]}" --epochs 1 --lr 5e-5 --out qat 2>qat.log
"$compile" qat/best --quant=q8 --emit=exe -o qat.exe
qat_acc=$(accuracy ./qat.exe)

echo "== BiBERT binarization of the float model, no distillation"
"$compile" float/best --quant=binary --emit=exe -o binary.exe
binary_acc=$(accuracy ./binary.exe)

# BiBERT distillation from the float model (teacher and student both start
# from float/best, SEMANTICS.md 2.7), BertAdam with BiBERT's SST-2 recipe
# (lr 1e-4, batch 16, decay 0.01, seed 42) but a budget of
# $BIBERT_STEPS steps (default 2000: half an epoch; the recipe runs 10
# epochs). Each row is the best dev accuracy the training executable
# measured with its own forward (the training graph: torch.sign's 0 for
# sign(0)); the Bi-Attention rows are also compiled with --quant=binary,
# whose packed bits take sign(0) as +1 (SEMANTICS.md 3.5).
bibert_steps="${BIBERT_STEPS:-2000}"
best_dev() { grep -o 'dev accuracy [0-9.]*' "$1" | awk '{print $3}' | sort -n | tail -1; }
bibert() { # NAME FLAGS...
  local name=$1; shift
  echo "== BiBERT distillation: $name ($bibert_steps steps)"
  "$compile" float/best --mode=train --quant=binary --optimizer=bert-adam \
    --weight-decay=0.01 "$@" --emit=exe -o "$name.train"
  ./"$name.train" "${train_flags[@]}" --batch 16 --epochs 1 \
    --max-steps "$bibert_steps" --eval-every 500 --lr 1e-4 --out "$name" 2>"$name.log"
}
bibert bibert
bibert bibert-nodmd --dmd=false
bibert bibert-sign --binary-attention=sign
"$compile" bibert/best --quant=binary --emit=exe -o bibert.exe
"$compile" bibert-nodmd/best --quant=binary --emit=exe -o bibert-nodmd.exe
bibert_acc=$(best_dev bibert.log); bibert_inf=$(accuracy ./bibert.exe)
nodmd_acc=$(best_dev bibert-nodmd.log); nodmd_inf=$(accuracy ./bibert-nodmd.exe)
sign_acc=$(best_dev bibert-sign.log)

cat <<EOF

SST-2 dev accuracy (872 sentences), compiled inference of each checkpoint:
  float fine-tuned                      $float_acc
  q8 post-training (calibrated)         $ptq_acc
  q8 quantization-aware training        $qat_acc
  binary, no distillation (as is)       $binary_acc
  binary, BiBERT distillation (DMD)     $bibert_acc (training forward), $bibert_inf (--quant=binary)
  binary, distillation without DMD      $nodmd_acc (training forward), $nodmd_inf (--quant=binary)
  binary, sign(softmax) attention + DMD $sign_acc (training forward)
EOF
