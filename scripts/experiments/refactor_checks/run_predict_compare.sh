#!/bin/bash
# Item 2: OLD Predictor.from_checkpoint vs NEW Predictor.open(ckpt_path=...) on each OLD checkpoint.
# usage: run_predict_compare.sh COMPAT_DIR NAME... ; writes COMPAT_DIR/pred/{old,new}_NAME.json
set -u
C=$1; shift
S=${NEW:-.}/scripts/experiments/refactor_checks
mkdir -p $C/pred
for name in "$@"; do
  ckpt=$(python -c "import json;print(json.load(open('$C/checkpoints.json'))['$name']['ckpt'])")
  lines=$C/lines_ner.json; [ $name = sent ] && lines=$C/lines_sent.json
  (cd ${OLD:?a checkout of seqlab 0.2} && PYTHONPATH=${OLD:?a checkout of seqlab 0.2} OMP_NUM_THREADS=1 python $S/predict_lines.py old $ckpt $lines $C/pred/old_$name.json) 2>&1 | tail -3
  (cd ${NEW:-.} && PYTHONPATH=${NEW:-.} OMP_NUM_THREADS=1 python $S/predict_lines.py new $ckpt $lines $C/pred/new_$name.json) 2>&1 | tail -3
done
