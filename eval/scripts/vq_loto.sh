#!/usr/bin/env bash
# Leave-one-take-out: the default tokenizer config trained four times, each time on the FaceScript
# mix plus three of the four shared real takes (motion only), scored on the fourth.
#
#   bash eval/scripts/vq_loto.sh OUT CORPUS REALISM_CORPUS RIG [REAL_WEIGHT] [--set KEY=VALUE ...]
#
# OUT/takes_wo_T/ links the other takes; OUT/real_wo_T/ is their motion-only dataset
# (data_recipes/livelinkface.py without captions, all train, S88 split at its tracking loss);
# OUT/vq_wo_T/ the tokenizer. Two trainings run side by side, one thread each. Then
# eval/scripts/vq_rate.py --held-out scores each on the take it did not see.
set -euo pipefail
out=$1 corpus=$2 realism=$3 rig=$4 weight=${5:-0.5}
shift $(( $# < 5 ? $# : 5 ))
repo=$(cd "$(dirname "$0")/../.." && pwd)
takes_dir=$repo/../shared/assets/livelinkface
export PYTHONPATH=$repo OMP_NUM_THREADS=1
mkdir -p "$out"
names=()
for take in "$takes_dir"/*.csv; do
  name=$(basename "$take" .csv)
  names+=("$name")
  mkdir -p "$out/takes_wo_$name"
  for other in "$takes_dir"/*.csv; do
    [ "$other" = "$take" ] || ln -sf "$other" "$out/takes_wo_$name/"
  done
  [ -f "$out/real_wo_$name/dataset_dict.json" ] || python "$repo/data_recipes/livelinkface.py" \
    --root "$out/takes_wo_$name" --out "$out/real_wo_$name" --fps 30 --split clip \
    --val-ratio 0 --test-ratio 0 --gaps split --overwrite > "$out/real_wo_$name.log" 2>&1
done

train() {   # one held-out take
  local name=$1; shift
  python -m tdmm_lm vq train --config "$repo/configs/vqvae/tiny.yaml" --out "$out/vq_wo_$name" \
    --rig "$rig" --no-progress --set train.num_threads=1 \
    --set "data.datasets=[{path: $corpus, weight: 1.0}, {path: $realism, weight: 1.0}, {path: $out/real_wo_$name, weight: $weight}]" \
    "$@" > "$out/vq_wo_$name.log" 2>&1
}
for ((i = 0; i < ${#names[@]}; i += 2)); do
  train "${names[i]}" "$@" &
  [ $((i + 1)) -lt ${#names[@]} ] && train "${names[i + 1]}" "$@" &
  wait
done
runs=() ; for name in "${names[@]}"; do runs+=("$out/vq_wo_$name/best"); done
echo "${runs[@]}"
echo "${names[@]}"
