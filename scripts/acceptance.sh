#!/usr/bin/env bash
# The end-to-end acceptance run on the testbed model:
# 1. probe data on `arith` (held-out split; the train and calib slices: problems the model never saw,
#    drawn like the test slice), fit (δ and α levels, one rollout per problem), and an audit of the
#    guarantee on test-slice problems;
# 2. eval --tune of every method family on all three families at T 0.6 and 1.0: each family's setting
#    is chosen on the dev slice and reported on the disjoint test slice (the two temperatures run as
#    two processes, one core each);
# 3. the acceptance checks (LYNX's saving and guarantee; the instrument: oracle, position control,
#    peers) over both summaries.
# Usage: scripts/acceptance.sh [OUT_DIR] [TEST_PROBLEMS_PER_FAMILY] [COLLECT_PROBLEMS] [SEEDS] [DEV_PROBLEMS] [DEV_SEEDS]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/acceptance}
LIMIT=${2:-200}
COLLECT=${3:-400}
SEEDS=${4:-1,2,3}
DEV_LIMIT=${5:-100}
DEV_SEEDS=${6:-1}
M=models/testbed.gguf
B=$OUT/testbed.lynx.json
CLI="node bin/lynx-exit.mjs"
mkdir -p "$OUT"
for slice in train calib; do
  $CLI collect --model $M --dataset testbed-arith --split heldout --slice $slice --limit "$COLLECT" \
    --temperature 0.6 --max-tokens 700 --parallel 8 --out "$OUT/events-arith-$slice" --no-progress
done
$CLI fit --train "$OUT/events-arith-train" --calib "$OUT/events-arith-calib" \
  --deltas 0.05,0.1,0.2,0.3 --alphas 0.05,0.1,0.2 --out "$B" | tee "$OUT/fit.txt"
$CLI audit --model $M --bundle "$B" --dataset testbed-arith --limit 500 --parallel 8 \
  --out "$OUT/audit" --no-progress | tee "$OUT/audit.txt"
# Every family swept; relative settings (N%) are shares of vanilla's mean thinking on dev.
METHODS='vanilla,oracle,no-thinking,lynx:delta=[0.05,0.1,0.2,0.3],lynx:alpha=[0.05,0.1,0.2],position:after=[20%,35%,50%,65%,80%],fixed-budget:budget=[35%,50%,65%,80%],deer:threshold=[0.8,0.9,0.95,0.99],dynasor:window=[2,3,5],entropy:rate=[0.1,0.2,0.3]'
for t in 0.6 1.0; do
  $CLI eval --model $M --bundle "$B" --datasets arith,word,order --methods "$METHODS" --tune \
    --temperatures $t --seeds "$SEEDS" --limit "$LIMIT" --dev-limit "$DEV_LIMIT" --dev-seeds "$DEV_SEEDS" \
    --max-tokens 700 --parallel 8 --out "$OUT/eval-t$t" --no-progress > "$OUT/eval-t$t.txt" 2>&1 &
done
wait
cat "$OUT"/eval-t*.txt
node bin/run-ts.mjs scripts/acceptance-check.ts "$OUT"/eval-t*/summary.json | tee "$OUT/acceptance.md"
