#!/bin/bash
# Item 4 supplement: predict_speed.py alternating OLD, NEW ROUNDS times on one OLD checkpoint.
# REPEATS (default 3) and COLD (see predict_speed.py) pass through.
# usage: run_predict_speed.sh CKPT ROUNDS OUT.jsonl [SUFFIX: empty, or -task]
set -u
export OMP_NUM_THREADS=1
S=${NEW:-.}/scripts/experiments/refactor_checks
: > $3
for i in $(seq $2); do
  (cd ${OLD:?a checkout of seqlab 0.2} && PYTHONPATH=${OLD:?a checkout of seqlab 0.2} python $S/predict_speed.py old${4:-} $1 ../shared/data/conll2003 ${REPEATS:-3} 2>/dev/null | tail -1 >> $3)
  (cd ${NEW:-.} && PYTHONPATH=${NEW:-.} python $S/predict_speed.py new${4:-} $1 ../shared/data/conll2003 ${REPEATS:-3} 2>/dev/null | tail -1 >> $3)
done
cat $3
