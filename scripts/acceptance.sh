#!/usr/bin/env bash
# The end-to-end acceptance run on the testbed model: probe data on `arith` (held-out split, the
# train and calib slices: problems the model never saw, drawn like the test slice), fit, an audit of
# the guarantee on 500 problems of the test slice, then eval of every method on held-out test-slice
# problems of all three families at temperatures 0.6 and 1.0 with 3 seeds. The two temperatures run as two processes (one core each).
# Usage: scripts/acceptance.sh [OUT_DIR] [PROBLEMS_PER_FAMILY] [COLLECT_PROBLEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/acceptance}
LIMIT=${2:-25}
COLLECT=${3:-400}
M=models/testbed.gguf
B=$OUT/testbed.lynx.json
CLI="node bin/lynx-exit.mjs"
mkdir -p "$OUT"
for slice in train calib; do
  $CLI collect --model $M --dataset testbed-arith --split heldout --slice $slice --limit "$COLLECT" \
    --temperature 0.6 --max-tokens 640 --parallel 4 --out "$OUT/events-arith-$slice" --no-progress
done
$CLI fit --train "$OUT/events-arith-train" --calib "$OUT/events-arith-calib" \
  --deltas 0.05,0.1,0.2,0.3 --alphas 0.05,0.1,0.2 --out "$B" | tee "$OUT/fit.txt"
$CLI audit --model $M --bundle "$B" --dataset testbed-arith --limit 500 --out "$OUT/audit" --no-progress | tee "$OUT/audit.txt"
METHODS=vanilla,lynx:delta=0.05,lynx:delta=0.1,lynx:delta=0.2,lynx:delta=0.3,lynx:alpha=0.1,deer,dynasor,entropy,oracle
for t in 0.6 1.0; do
  $CLI eval --model $M --bundle "$B" --datasets arith,word,order --methods $METHODS \
    --temperatures $t --seeds 1,2,3 --limit "$LIMIT" --max-tokens 640 --out "$OUT/eval-t$t" --no-progress \
    > "$OUT/eval-t$t.txt" 2>&1 &
done
wait
cat "$OUT"/eval-t*.txt
node bin/run-ts.mjs scripts/acceptance-check.ts "$OUT"/eval-t*/summary.json | tee "$OUT/acceptance.md"
