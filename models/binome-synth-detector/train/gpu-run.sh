#!/bin/bash
# One prepared run on a lent GPU machine that has PyTorch and CUDA but no network and no Node: run
# `npm run bench -- ai` there (onnxruntime-node asked for CUDA: it records whether it fell back),
# time the shipped network on the GPU (gpu_timing.py), then make training patches with the station's
# own generator on its cores until the end while two detectors train from nothing on the GPU on the
# patches as they come (train_gpu.py --grow).
#
#   models/binome-synth-detector/train/gpu-run.sh CARRY OUT [SECONDS]
#
# CARRY holds node.xz (the node binary, xz) and nm.tar.xz (the node_modules the generator, the pixel
# pipeline and onnxruntime-node need: see README.md), made on a machine with them. Everything is
# time-boxed to SECONDS (default 560) from the start, and what is done lands in OUT: run.log, gen.log,
# a.log and b.log (training), a.pt and b.pt (weights: export with train.py --export-only), timing.log
# and bench.log. Run from the repository's root.
set -u
CARRY=$1; OUT=$2; LIMIT=${3:-560}
T0=$(date +%s)
now() { echo $(( $(date +%s) - T0 )); }
log() { echo "[$(now) s] $*" | tee -a "$OUT/run.log"; }
TRAIN=models/binome-synth-detector/train
WORK=/tmp/gpu-run; rm -rf $WORK; mkdir -p $WORK/bin

python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('$CARRY/node.xz'), open('$WORK/bin/node','wb'))" && chmod +x $WORK/bin/node
export PATH=$WORK/bin:$PATH
python3 -c "import tarfile; tarfile.open('$CARRY/nm.tar.xz').extractall('.')"
log "node $(node -v), $(nproc) cores, $(nvidia-smi -L 2>&1 | head -1)"

# 1. the station's benchmark and the network's time on the GPU, before anything else runs
timeout 90 node bin/tsx.js test/bench/run.ts ai > "$OUT/bench.log" 2>&1
log "bench: $(tail -1 "$OUT/bench.log" | cut -c1-200)"
(cd $TRAIN && PYTHONUNBUFFERED=1 timeout 90 python3 gpu_timing.py --model ../model.onnx > "$OUT/timing.log" 2>&1)
log "timing: $(grep -c ms "$OUT/timing.log") lines"

# 2. patches from new training seeds (9 women each, one generator per process) until the end, and
#    training on them as they come (train_gpu.py --grow), two detectors side by side on the GPU
PROCS=${PROCS:-10}
for k in $(seq 0 $((PROCS - 1))); do
  seeds=$(python3 -c "print(','.join(f'train-{86 + $k + $PROCS * j}' for j in range(12)))")
  nice -n 10 node bin/tsx.js $TRAIN/make-dataset.ts --seeds "$seeds" --patients 9 --negatives 1 --pectoral-negatives 2 \
    --abnormal-rate 1 --contrast 0.25,0.85 --pixel-size 0.1 --patch 640 --out $WORK/ds-$k >> "$OUT/gen.log" 2>&1 &
done
DATA=$(for k in $(seq 0 $((PROCS - 1))); do echo -n "$WORK/ds-$k,"; done); DATA=${DATA%,}
# the first seeds done (or a third of the time gone: train_gpu.py then waits for the first)
while [ "$(grep -c 'so far' "$OUT/gen.log" 2>/dev/null)" -lt $(( PROCS / 2 )) ] && [ "$(now)" -lt $(( LIMIT / 3 )) ]; do sleep 2; done
log "training starts: $(grep -c 'so far' "$OUT/gen.log") seeds done"
BUDGET=$(( LIMIT - 20 - $(now) ))
(cd $TRAIN && PYTHONUNBUFFERED=1 python3 train_gpu.py --data "$DATA" --out "$OUT/a.pt" --scratch 32,64,96,128,192,64,16 \
  --grow --capacity ${CAPACITY:-16000} --time-budget $BUDGET --deadline $(( BUDGET + 5 )) --batch ${BATCH:-32} --seed 21 --device ${DEVICE:-cuda} > "$OUT/a.log" 2>&1) &
A=$!
(cd $TRAIN && PYTHONUNBUFFERED=1 python3 train_gpu.py --data "$DATA" --out "$OUT/b.pt" --scratch 16,32,48,64,96,32,8 \
  --grow --capacity ${CAPACITY:-16000} --time-budget $BUDGET --deadline $(( BUDGET + 5 )) --batch ${BATCH:-32} --seed 22 --device ${DEVICE:-cuda} > "$OUT/b.log" 2>&1) &
B=$!
wait $A $B
pkill -f make-dataset.ts
log "patches: $(grep -c 'so far' "$OUT/gen.log") seeds done"
log "done: $(grep -v Warn "$OUT/a.log" | tail -1) | $(grep -v Warn "$OUT/b.log" | tail -1)"
