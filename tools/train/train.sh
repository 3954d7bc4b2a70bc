#!/usr/bin/env bash
# Builds media/models/tokenscope-fim-tiny.gguf from scratch: Debian packages (if missing),
# data, training (time-bounded), GGUF export, llama.cpp-vs-PyTorch check, FIM evaluation, report.
# See tools/README.md.
#
#   bash tools/train/train.sh                 # ~48 min training budget (BUDGET=2900 seconds)
#   BUDGET=600 bash tools/train/train.sh      # shorter
#   STEPS=1234 bash tools/train/train.sh      # fixed step count instead of a time budget (repeatable)
#
# Env: BUDGET (s), STEPS, SEED (training, default 1234), DATA_SEED (file split/chunks/FIM, default
# 20250601), OUT (model path), WORK (scratch dir, default tools/train/work, git-ignored),
# FIM_RATE (share of FIM samples, 0.5), CURSOR_SHARE (share of FIM splits placed like an editor
# cursor, 0 = the published uniform splits only), LR (peak, 0.003), INIT (a GGUF from this script to
# continue training from; its .untrained.json must sit beside it).
#
# The committed model is two runs (tools/README.md): the defaults (stage 1), then stage 2 from it:
#   cp media/models/tokenscope-fim-tiny.gguf tools/train/work/stage1.gguf
#   cp media/models/tokenscope-fim-tiny.untrained.json tools/train/work/stage1.untrained.json
#   INIT=tools/train/work/stage1.gguf FIM_RATE=0.6 CURSOR_SHARE=0.6 LR=0.001 BUDGET=2100 bash tools/train/train.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

BUDGET=${BUDGET:-2900}
STEPS=${STEPS:-}
SEED=${SEED:-1234}
DATA_SEED=${DATA_SEED:-20250601}
OUT=${OUT:-media/models/tokenscope-fim-tiny.gguf}
WORK=${WORK:-tools/train/work}
FIM_RATE=${FIM_RATE:-0.5}
CURSOR_SHARE=${CURSOR_SHARE:-0}
LR=${LR:-0.003}
INIT=${INIT:-}
PY=/usr/bin/python3 # Debian's python3: python3-torch is installed for it
VOCAB=.vscode-test/vocabs/ggml-vocab-starcoder.gguf
mkdir -p "$WORK"
T0=$(date +%s)
stamp() { echo "\"$1\": $(($(date +%s) - T0))"; }
TIMES=()

# 1. Debian packages (python3-torch runs ~20x slower without libopenblas0-pthread)
if ! "$PY" -c 'import torch, numpy' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  apt-get update
  apt-get install -y python3-torch python3-numpy libopenblas0-pthread
fi
TIMES+=("$(stamp packages)")

# 2. StarCoder vocab (from node-llama-cpp's llama.cpp bundle) and the compiled GGUF tokenizer
node scripts/extractVocabs.mjs
if [ ! -f out/src/core/tokenizer/gguf/ggufTokenizer.js ]; then
  npx tsc -p . || echo "tsc reported errors (the tokenizer is emitted regardless)"
fi

# 3. data
node tools/train/prepareData.mjs --out "$WORK/data" --seed "$DATA_SEED" --fim-rate "$FIM_RATE" --cursor-share "$CURSOR_SHARE"
TIMES+=("$(stamp data)")

# 4. training (niced: the machine is shared)
nice -n 19 "$PY" tools/train/train.py --data "$WORK/data" --out "$WORK/ckpt.pt" --seed "$SEED" \
  --budget-seconds "$BUDGET" --lr "$LR" ${STEPS:+--steps "$STEPS"} ${INIT:+--init-gguf "$INIT"} 2>&1 | tee "$WORK/train.log"
TIMES+=("$(stamp train)")

# 5. export (the project's GGUF writer, tools/train/gguf.py)
nice -n 19 "$PY" tools/train/export.py --ckpt "$WORK/ckpt.pt" --vocab "$VOCAB" --out "$OUT" \
  --untrained-json "${OUT%.gguf}.untrained.json"
TIMES+=("$(stamp export)")

# 6. llama.cpp (node-llama-cpp) against the PyTorch model
nice -n 19 "$PY" tools/train/verify.py --gguf "$OUT" --ckpt "$WORK/ckpt.pt" --out "$WORK/verify.json"
TIMES+=("$(stamp verify)")

# 7. FIM evaluation on held-out files, load time and speed
nice -n 19 node tools/train/evalFim.mjs "$OUT" "$WORK/data/manifest.json" "$WORK/eval.json" --n 200 --seed 7 > "$WORK/eval.log"
TIMES+=("$(stamp eval)")

# 8. report
(IFS=,; echo "{${TIMES[*]}}") > "$WORK/timings.json"
"$PY" tools/train/report.py --work "$WORK" --gguf "$OUT" --out tools/train/results.json --timings "$WORK/timings.json"
"$PY" - "$WORK" <<'EOF'
import json, sys
r = json.load(open("tools/train/results.json"))
t, e = r["training"], r["eval"]
print(f"model {r['model']['bytes']} bytes; {t['steps']} steps, {t['target_tokens_seen']} tokens in {t['train_seconds']} s; "
      f"loss train {t['train']['all']['loss']:.3f} held-out {t['heldout']['all']['loss']:.3f} nats/token; "
      f"FIM first-line exact {e['exactMatch']['exact']}/{e['exactMatch']['n']}; verify {'PASS' if r['verify']['pass'] else 'FAIL'}")
EOF
cat "$WORK/timings.json"
