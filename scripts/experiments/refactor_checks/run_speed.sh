#!/bin/bash
# Item 4: scripts/bench_speed.py of each checkout, alternating OLD, NEW, OLD, NEW, 1 thread.
# The same command runs in both checkouts (OLD's script finds ../shared through a <OLD>/../shared -> ../shared link).
# usage: run_speed.sh OUT_DIR REPEATS [ROUNDS, default "1 2"]
set -u
OUT=$1; R=$2; ROUNDS=${3:-1 2}
export OMP_NUM_THREADS=1
for round in $ROUNDS; do
  for v in old new; do
    if [ $v = old ]; then dir=${OLD:?a checkout of seqlab 0.2}; else dir=${NEW:-.}; fi
    echo "== $v round $round $(date +%T)"
    (cd $dir && PYTHONPATH=$dir python scripts/bench_speed.py --data ../shared/data/conll2003 --repeats $R --threads 1 --out $OUT/${v}$round > $OUT/${v}$round.log 2>&1; echo "rc=$? $(date +%T)")
    tail -12 $OUT/${v}$round.log
  done
done
