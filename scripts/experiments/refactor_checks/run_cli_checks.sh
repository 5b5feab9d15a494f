#!/bin/bash
# Item 2: NEW CLIs on OLD 0.2 checkpoints. usage: run_cli_checks.sh COMPAT_DIR NAME...
# eval (OLD vs NEW results.json), export + Predictor.open(model=DIR) vs torch JSON, info, resume training
# (skipped when SKIP_RESUME=1). Each exit status goes to COMPAT_DIR/cli/rc_<check>_<name>.
set -u
C=$1; shift
S=${NEW:-.}/scripts/experiments/refactor_checks
export OMP_NUM_THREADS=1
mkdir -p $C/cli
for name in "$@"; do
  ckpt=$(python -c "import json;print(json.load(open('$C/checkpoints.json'))['$name']['ckpt'])")
  overrides=$(python -c "import json;print(' '.join(o for o in json.load(open('$C/checkpoints.json'))['$name']['overrides'] if not o.startswith('trainer.max_epochs=')))")
  lines=$C/lines_ner.json; [ $name = sent ] && lines=$C/lines_sent.json
  echo "== $name eval OLD"; (cd ${OLD:?a checkout of seqlab 0.2} && PYTHONPATH=${OLD:?a checkout of seqlab 0.2} python -m seqlab.cli.evaluate ckpt_path=$ckpt hydra.run.dir=$C/cli/eval_old_$name > $C/cli/eval_old_$name.log 2>&1; r=$?; echo "rc=$r"; echo $r > $C/cli/rc_eval_old_$name)
  echo "== $name eval NEW"; (cd ${NEW:-.} && PYTHONPATH=${NEW:-.} python -m seqlab.cli.evaluate ckpt_path=$ckpt hydra.run.dir=$C/cli/eval_new_$name > $C/cli/eval_new_$name.log 2>&1; r=$?; echo "rc=$r"; echo $r > $C/cli/rc_eval_new_$name)
  echo "== $name export NEW"; rm -rf $C/cli/export_$name; (cd ${NEW:-.} && PYTHONPATH=${NEW:-.} python -m seqlab.cli.export ckpt_path=$ckpt output=$C/cli/export_$name > $C/cli/export_$name.log 2>&1; r=$?; echo "rc=$r"; echo $r > $C/cli/rc_export_$name)
  echo "== $name folder predict NEW"; (cd ${NEW:-.} && PYTHONPATH=${NEW:-.} python $S/predict_lines.py new-folder $C/cli/export_$name $lines $C/pred/newonnx_$name.json > $C/cli/onnx_$name.log 2>&1; r=$?; echo "rc=$r"; echo $r > $C/cli/rc_onnx_$name)
  echo "== $name info NEW"; (cd ${NEW:-.} && PYTHONPATH=${NEW:-.} python -m seqlab.cli.info $ckpt > $C/cli/info_$name.log 2>&1; r=$?; echo "rc=$r"; echo $r > $C/cli/rc_info_$name)
  [ "${SKIP_RESUME:-0}" = 1 ] && continue
  echo "== $name resume NEW"; rm -rf $C/cli/resume_$name; (cd ${NEW:-.} && PYTHONPATH=${NEW:-.} python -m seqlab.cli.train ckpt_path=$ckpt $overrides trainer.max_epochs=3 paths.output_dir=$C/cli/resume_$name hydra.run.dir=$C/cli/resume_$name > $C/cli/resume_$name.log 2>&1; r=$?; echo "rc=$r"; echo $r > $C/cli/rc_resume_$name)
done
