"""Trains a detector from nothing on a CUDA GPU, on the patches make-dataset.ts writes.

train.py is the recipe of the shipped model and runs on the CPU of a 2-core machine (minutes a
thousand steps). This is its GPU twin, for the one run the CPU cannot afford: a wider network trained
from random weights on many more crops. The network, the loss, the targets and the augmentation are
train.py's; what differs is where the work is done:

- every patch is uploaded to the GPU once, with its target heat-map made once over the whole patch
  (train.py makes it per crop). Crops therefore start on the heat-map's grid (multiples of its
  stride, 0.8 mm): the crop's target is then exactly a window of the patch's;
- crops, up-down flips, gamma and gain are made on the GPU for the whole batch;
- bf16 autocast for the network (the loss in float32), activations channels last.

With --grow the folders are still being written (make-dataset.ts running beside it, on the same
machine): every 100 steps the patches of the seeds finished since are read and join the pool, so
that generating and training share the run's minutes. Such a run depends on when each seed was
finished, so it is not repeatable; its log says which step saw how many patches.

The number of steps is fixed before the first step. With --time-budget it is set from the measured
time of 20 throw-away steps (then the model starts again from its seeded initial weights) and
printed, so the run can be repeated with --steps. The weights are saved (OUT.pt) every 500 steps and
at the end; export them with train.py --export-only --scratch WIDTHS --init OUT.pt.

    python train_gpu.py --data DIR[,DIR...] --out /tmp/a.pt --scratch 32,64,96,128,192,64,16 --time-budget 240
"""
import argparse
import copy
import json
import math
import os
import time

import numpy as np
import torch

import train as base


def patch_targets(records, patch, stride):
    """Each patch's heat-map target at `stride` over the whole patch (train.py's `target` at (0, 0))."""
    base.STRIDE, base.CROP = stride, patch
    return np.stack([base.target(r['lesions'], 0, 0) for r in records])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True, help='folders written by make-dataset.ts, comma-separated')
    ap.add_argument('--out', required=True, help='the weights (.pt)')
    ap.add_argument('--scratch', default='16,32,48,64,96,32,8', help='widths of the five stages, the pyramid and the stem')
    ap.add_argument('--steps', type=int, default=0)
    ap.add_argument('--time-budget', type=float, default=0, help='seconds: sets --steps from 20 measured steps')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--gain', default='0.5,1.15')
    ap.add_argument('--dense-weight', type=float, default=1.0)
    ap.add_argument('--calcification-weight', type=float, default=1.0)
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--grow', action='store_true', help='read the patches of seeds finished meanwhile every 100 steps')
    ap.add_argument('--capacity', type=int, default=16000, help='most patches held on the GPU (1.6 MB each)')
    ap.add_argument('--deadline', type=float, default=0, help='seconds from the start: stop (and save) at the latest then')
    args = ap.parse_args()
    if not args.steps and not args.time_budget:
        ap.error('--steps or --time-budget')
    started = time.time()
    deadline = started + args.deadline if args.deadline else 0
    device = torch.device(args.device)
    stride, crop = 8, 512
    gain = tuple(float(v) for v in args.gain.split(','))

    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.backends.cudnn.benchmark = False
    # cuBLAS and a few CUDA kernels are deterministic only when asked; the rest warn and carry on
    os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    torch.use_deterministic_algorithms(True, warn_only=True)

    dirs = args.data.split(',')
    loaded = {d: 0 for d in dirs}
    records = []
    pixels = heat = None
    p = None
    positives, negatives, counts = [], [], {}

    def read_new():
        """The patches written since the last call (all of them at first): onto the GPU."""
        nonlocal pixels, heat, p
        added = 0
        for d in dirs:
            try:
                meta = json.load(open(os.path.join(d, 'patches.json')))
            except (OSError, ValueError):
                continue  # no seed finished there yet
            if meta.get('pixelSizeMm') != 0.1:
                raise SystemExit(f'{d}: patches at {meta.get("pixelSizeMm")} mm, this model takes 0.1 mm')
            new = meta['patches'][loaded[d]:]
            if not new:
                continue
            if p is None:
                p = meta['patch']
                pixels = torch.empty((args.capacity, p, p), dtype=torch.float32, device=device)
                heat = torch.empty((args.capacity, len(base.CLASSES), p // stride, p // stride), dtype=torch.float32, device=device)
            new = new[:args.capacity - len(records)]
            data = np.fromfile(os.path.join(d, 'patches.u16'), dtype='<u2', count=len(new) * p * p, offset=loaded[d] * p * p * 2).reshape(len(new), p, p)
            at = len(records)
            for k in range(0, len(new), 256):
                chunk = data[k:k + 256]
                pixels[at + k:at + k + len(chunk)] = torch.from_numpy(chunk.astype(np.float32) / 65535.0).to(device)
            heat[at:at + len(new)] = torch.from_numpy(patch_targets(new, p, stride)).to(device)
            records.extend(new)
            loaded[d] += len(new)
            added += len(new)
        positives[:] = [i for i, r in enumerate(records) if r['positive'] and r['lesions']]
        negatives[:] = [i for i, r in enumerate(records) if not r['positive']]
        counts.update({c: sum(1 for i in positives if records[i]['lesions'][0]['class'] == c) for c in base.CLASSES})
        return added

    read_new()
    # growing: the first seeds may not be finished yet
    while args.grow and not (positives and negatives) and time.time() < started + args.time_budget / 2:
        time.sleep(3)
        read_new()
    if not positives or not negatives:
        raise SystemExit(f'{args.data}: no patches with and without a lesion yet')
    print(f'{len(records)} patches: {len(positives)} with a lesion {counts}, {len(negatives)} without; on {device} in {time.time() - started:.0f} s', flush=True)

    def weight(rec):
        c = rec['lesions'][0]['class']
        w = 1.0 / max(1, counts[c]) * (args.calcification_weight if c == 'calcification' else 1.0)
        return w * (args.dense_weight if rec.get('density') in ('C', 'D') else 1.0)
    weights = None

    def reweigh():
        nonlocal weights
        weights = np.array([weight(records[i]) for i in positives])
        weights /= weights.sum()
    reweigh()
    cells = crop // stride

    def draw():
        """One batch's patches and crop corners (on the heat-map's grid), as train.py draws them."""
        half = args.batch // 2
        idx = list(rng.choice(positives, half, p=weights)) + list(rng.choice(negatives, args.batch - half))
        corners = []
        for i in idx:
            left, top = base.crop_corner(records[i], p, crop, rng)
            corners.append((int(left) // stride, int(top) // stride))
        flips = rng.random(args.batch) < 0.5
        gammas = np.exp(rng.uniform(-0.2, 0.2, args.batch))
        gains = rng.uniform(*gain, args.batch)
        return idx, corners, flips, gammas, gains

    def batch(idx, corners, flips, gammas, gains):
        xs = torch.stack([pixels[i, v * stride:v * stride + crop, u * stride:u * stride + crop] for i, (u, v) in zip(idx, corners)])[:, None]
        ts = torch.stack([heat[i, :, v:v + cells, u:u + cells] for i, (u, v) in zip(idx, corners)])
        flip = torch.from_numpy(flips).to(device)[:, None, None, None]
        xs = torch.where(flip, xs.flip(2), xs)
        ts = torch.where(flip, ts.flip(2), ts)
        g = torch.from_numpy(gammas.astype(np.float32)).to(device)[:, None, None, None]
        k = torch.from_numpy(gains.astype(np.float32)).to(device)[:, None, None, None]
        return (xs.pow(g) * k).clamp(0, 1).contiguous(memory_format=torch.channels_last), ts

    w = [int(v) for v in args.scratch.split(',')]
    initial = base.FineDetector(base.Detector(tuple(w[:5]), w[5]), w[6])
    print(f'{sum(q.numel() for q in initial.parameters())} parameters ({args.scratch})', flush=True)

    def run(model, steps, schedule_steps, measure=False):
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=schedule_steps, pct_start=0.05)
        running, t0 = None, time.time()
        for step in range(steps):
            x, t = batch(*draw())
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == 'cuda'):
                logits = model(x)
            loss = base.focal_loss(logits.float(), t)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if measure:
                continue
            running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
            if args.grow and step % 100 == 99 and len(records) < args.capacity and read_new():
                reweigh()
                print(f'step {step + 1}: {len(records)} patches, {len(positives)} with a lesion {counts}', flush=True)
            if deadline and time.time() > deadline:
                print(f'stopped at step {step} of {steps}: the deadline', flush=True)
                break
            if step % 250 == 0 or step == steps - 1:
                print(f'step {step} loss {running:.3f} {time.time() - t0:.0f} s', flush=True)
            if step % 500 == 499:
                torch.save(model.state_dict(), args.out)
        if device.type == 'cuda':
            torch.cuda.synchronize()
        return time.time() - t0

    steps = args.steps
    if args.time_budget:
        # 20 throw-away steps on a copy (5 to warm up), then the real run from the same initial weights
        probe = copy.deepcopy(initial).to(device).to(memory_format=torch.channels_last)
        run(probe, 5, 1000, measure=True)
        per_step = run(probe, 15, 1000, measure=True) / 15
        del probe
        left = args.time_budget - (time.time() - started)
        # growing, it also reads the new seeds every 100 steps, beside generators busy on every core
        steps = max(100, int(left * (0.75 if args.grow else 0.9) / per_step))
        print(f'{per_step * 1000:.1f} ms a step: {steps} steps in the {left:.0f} s left', flush=True)
        # the draws of the probe are not the run's: the run's stream starts again from the seed
        rng = np.random.default_rng(args.seed)
    model = initial.to(device).to(memory_format=torch.channels_last)
    took = run(model, steps, steps)
    torch.save(model.state_dict(), args.out)
    again = 'growing: not repeatable' if args.grow else f'--steps {steps} repeats the run'
    print(f'done: {steps} steps ({again}) in {took:.0f} s, {time.time() - started:.0f} s in all', flush=True)


if __name__ == '__main__':
    main()
