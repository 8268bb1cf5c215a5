#!/usr/bin/env bash
# The 10-minute runs: each generator's tiny config trained for 10 minutes of wall clock on one
# thread, two side by side (TDMM-LM beside MDM, then T2M-GPT), on the same tokenised corpus,
# then the full benchmark protocol (facescript_tiny.yaml: every test clip, 10 replications).
#
#   bash eval/scripts/ten_minute_runs.sh OUT CORPUS CODES TOKENIZER EXTRACTOR [RIG]
#
# CORPUS: a FaceScript DatasetDict; CODES: it tokenised by TOKENIZER (tdmm-lm vq tokenize-dataset);
# EXTRACTOR: the benchmark extractor run for CORPUS. A model whose OUT/NAME/best exists is kept
# (rerun = resume; link a run trained the same way to reuse it).
set -euo pipefail
out=$1 corpus=$2 codes=$3 vq=$4 extractor=$5 rig=${6:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
export PYTHONPATH=$repo OMP_NUM_THREADS=1
mkdir -p "$out"
cli() { python -m tdmm_lm "$@" --no-progress; }
lm() {
  [ -d "$out/lm/best" ] || cli llm train --config "$repo/configs/lm/tiny.yaml" --dataset "$codes" \
    --motion-tokenizer "$vq" --out "$out/lm" --set train.max_minutes=10 --set train.steps=100000 \
    --set train.num_threads=1 > "$out/lm.log" 2>&1
}
baseline() {   # kind, config
  [ -d "$out/$1/best" ] || cli baseline train "$1" --config "$repo/configs/baselines/$2" \
    --dataset "$codes" --motion-tokenizer "$vq" --out "$out/$1" --steps 100000 --max-minutes 10 \
    --set train.num_threads=1 > "$out/$1.log" 2>&1
}
lm & lm_pid=$!
baseline mdm mdm_tiny.yaml & mdm_pid=$!
wait "$lm_pid"; wait "$mdm_pid"   # each wait fails the script if that training failed
baseline t2m-gpt t2m_gpt_tiny.yaml
python - "$repo" "$out" "$corpus" "$vq" "$extractor" "$rig" <<'PY'
import sys, yaml
from pathlib import Path
repo, out, corpus, vq, extractor, rig = sys.argv[1:]
bench = yaml.safe_load(Path(repo, "eval/benchmarks/facescript_tiny.yaml").read_text())
bench.update(name="facescript_tiny", dataset=corpus, extractor=extractor, motion_tokenizer=vq, rig=rig,
             cache_dir=f"{out}/benchmark/cache", results_dir=f"{out}/benchmark", num_threads=2,
             generators=["ground-truth", "random-train",
                         {"name": "tdmm-lm", "checkpoint": f"{out}/lm/best"},
                         {"name": "mdm", "checkpoint": f"{out}/mdm/best", "options": {"steps": 50}},
                         {"name": "t2m-gpt", "checkpoint": f"{out}/t2m-gpt/best"}],
             describers=["rule-based",
                         {"name": "tdmm-lm", "label": "tdmm-lm (M2L)", "checkpoint": f"{out}/lm/best"}])
Path(out, "benchmark.yaml").write_text(yaml.safe_dump(bench, sort_keys=False))
PY
python -m tdmm_lm eval run "$out/benchmark.yaml"
