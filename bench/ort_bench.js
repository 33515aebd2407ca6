// ort_bench.js - ONNX Runtime (npm onnxruntime-node) timing of a BERT ONNX
// model on batch 1 x SEQ random token ids, on THREADS intra-op threads (1
// by default): prints the median seconds of RUNS runs, then the logits of
// the last run.
//   node ort_bench.js MODEL.onnx SEQ RUNS VOCAB [THREADS]
const ort = require('onnxruntime-node');

async function main() {
  const [model, seqArg, runsArg, vocabArg, threadsArg] = process.argv.slice(2);
  const seq = Number(seqArg), runs = Number(runsArg), vocab = Number(vocabArg);
  const threads = threadsArg === undefined ? 1 : Number(threadsArg);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all'});
  const ids = new BigInt64Array(seq);
  let seed = 7;
  for (let i = 0; i < seq; ++i) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    ids[i] = BigInt(seed % vocab);
  }
  const feeds = {ids: new ort.Tensor('int64', ids, [1, seq])};
  let out = await session.run(feeds);
  const times = [];
  for (let r = 0; r < runs; ++r) {
    const start = process.hrtime.bigint();
    out = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  console.log(times[Math.floor(times.length / 2)].toFixed(6));
  console.log(Array.from(out.logits.data).join(' '));
}

main().catch((error) => { console.error(error); process.exit(1); });
