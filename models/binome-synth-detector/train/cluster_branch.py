"""A branch of its own for calcification clusters, added to a trained detector that stays as it is.

    python cluster_branch.py --init-onnx ../model.onnx --data DIR[,DIR...] --out /tmp/cand/model.onnx \
        --steps 1500 --seed 13

Why: the detector finds masses near the target and clusters far from it (0.59-0.71 at one false
mark per image on fresh women). Fine-tuning the whole detector toward clusters found a few more and
scored the exams worse (MODEL_CARD.md, "Fine-tunes on more women"): its 0.3 M parameters are shared
by the four classes, and the 0.1 mm stem that sees specks is 8 channels wide. The branch sees the
0.1 mm pixels with more channels and a context of about 10 mm (a cluster's extent), and its output
is added to the calcification logit only. The detector is frozen (read back from its model.onnx,
flip-averaged as it runs), so masses, distortions and asymmetries are exactly what they were; the
branch's last layer starts at zero, so training starts from exactly the detector.

Deterministic for a seed (as train.py). The export has the detector's input and output (the same
manifest), the detector run flip-averaged as before and the branch run once.
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn

import train

CALCIFICATION = train.CLASSES.index('calcification')


class ClusterBranch(nn.Module):
    """0.1 mm input to a logit at stride 8 (0.8 mm): specks at 0.1 mm, then a cluster's extent."""

    def __init__(self, width=(16, 32, 48)):
        super().__init__()
        a, b, c = width
        self.layers = nn.Sequential(
            nn.Conv2d(1, a, 5, 2, 2), nn.ReLU(inplace=True),                  # 0.1 -> 0.2 mm: specks of 1-3 pixels
            nn.Conv2d(a, b, 3, 2, 1), nn.ReLU(inplace=True),                  # -> 0.4 mm
            nn.Conv2d(b, c, 3, 2, 1), nn.ReLU(inplace=True),                  # -> 0.8 mm, the heat-map's grid
            nn.Conv2d(c, c, 3, 1, 2, dilation=2), nn.ReLU(inplace=True),     # about 4 mm around
            nn.Conv2d(c, c, 3, 1, 4, dilation=4), nn.ReLU(inplace=True),     # about 10 mm: a cluster's extent
            nn.Conv2d(c, 1, 1))
        nn.init.zeros_(self.layers[-1].weight)
        nn.init.zeros_(self.layers[-1].bias)

    def forward(self, image):
        return self.layers((image - 0.35) / 0.25)


def flip_averaged(detector, x):
    """The detector's logits for a batch, each image run as it is and mirrored up-down, averaged (as it ships)."""
    n = x.shape[0]
    both = detector(torch.cat([x, torch.flip(x, [2])], 0))
    return (both[:n] + torch.flip(both[n:], [2])) / 2


class WithClusterBranch(nn.Module):
    """What the station runs: the detector flip-averaged, the branch added to its calcification logit."""

    def __init__(self, detector, branch):
        super().__init__()
        self.detector = detector
        self.branch = branch

    def forward(self, image):
        base = flip_averaged(self.detector, image)
        k = CALCIFICATION
        return torch.cat([base[:, :k], base[:, k:k + 1] + self.branch(image), base[:, k + 1:]], 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--init-onnx', required=True, help='the trained detector (its model.onnx, flip-averaged or not): frozen')
    ap.add_argument('--data', help='folders written by make-dataset.ts (0.1 mm, 640 patches), comma-separated')
    ap.add_argument('--out', required=True)
    ap.add_argument('--steps', type=int, default=1500)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--seed', type=int, default=13)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--width', default='16,32,48', help='the branch\'s channels at 0.2, 0.4 and 0.8 mm')
    ap.add_argument('--gain', default='0.5,1.15', help='as train.py (0.4.0: 0.5,1.15)')
    ap.add_argument('--export-only', help='no training: export the detector with this branch\'s weights (a .branch.pt this script saved)')
    args = ap.parse_args()
    if not args.export_only and not args.data:
        ap.error('--data is required (unless --export-only)')
    train.STRIDE, train.CROP = 8, 512
    train.GAIN = tuple(float(v) for v in args.gain.split(','))

    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

    detector = train.load_onnx_fine(args.init_onnx, (16, 32, 48, 64, 96), 32, 8).eval()
    for p in detector.parameters():
        p.requires_grad_(False)
    branch = ClusterBranch(tuple(int(v) for v in args.width.split(',')))
    model = WithClusterBranch(detector, branch)
    probe = torch.rand(1, 1, 512, 384, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        start = (model(probe) - flip_averaged(detector, probe)).abs().max().item()
    print(f'branch {args.width}: {sum(p.numel() for p in branch.parameters())} parameters; at the start it changes a logit by {start:.1e}', flush=True)
    if args.export_only:
        branch.load_state_dict(torch.load(args.export_only))
        export(model, args.out)
        print(f'exported {args.export_only} to {args.out}', flush=True)
        return

    images, records = train.load(args.data.split(','), 0.1)
    clusters = [i for i, r in enumerate(records) if r['positive'] and r['lesions'] and r['lesions'][0]['class'] == 'calcification']
    others = [i for i, r in enumerate(records) if r['positive'] and r['lesions'] and r['lesions'][0]['class'] != 'calcification']
    negatives = [i for i, r in enumerate(records) if not r['positive'] and 'hard' not in r]
    hard = [i for i, r in enumerate(records) if not r['positive'] and 'hard' in r]
    print(f'{len(records)} patches: {len(clusters)} around a cluster, {len(others)} around another lesion, {len(negatives)} without, {len(hard)} on the mining model\'s false marks', flush=True)
    # a batch: half around a cluster; the rest the places where a cluster must not be marked: other
    # lesions (a mass's rim is bright too), lesion-free tissue, and where the detector marked nothing real
    n_cluster = args.batch // 2
    n_other = args.batch // 8
    n_hard = (args.batch - n_cluster - n_other) // 2 if hard else 0
    n_negative = args.batch - n_cluster - n_other - n_hard

    optimizer = torch.optim.AdamW(branch.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.steps, pct_start=0.05)
    started, running = time.time(), None
    branch.train()
    for step in range(args.steps):
        idx = list(rng.choice(clusters, n_cluster)) + list(rng.choice(others, n_other)) + list(rng.choice(negatives, n_negative))
        if n_hard:
            idx += list(rng.choice(hard, n_hard))
        x, t = train.batch(images, records, idx, rng)
        with torch.no_grad():
            base = flip_averaged(detector, x)[:, CALCIFICATION:CALCIFICATION + 1]
        loss = train.focal_loss(base + branch(x), t[:, CALCIFICATION:CALCIFICATION + 1])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 50 == 0 or step == args.steps - 1:
            print(f'step {step} loss {running:.3f} {time.time() - started:.0f} s', flush=True)
        if step % 500 == 499:
            torch.save(branch.state_dict(), args.out + '.branch.pt')

    torch.save(branch.state_dict(), args.out + '.branch.pt')
    export(model, args.out)
    print(f'done in {time.time() - started:.0f} s', flush=True)


def export(model, out):
    model.eval()
    dummy = torch.zeros(1, 1, 640, 512)
    torch.onnx.export(model, dummy, out, input_names=['image'], output_names=['heatmap'], opset_version=17,
                      dynamic_axes={'image': {2: 'height', 3: 'width'}, 'heatmap': {2: 'heatmap_height', 3: 'heatmap_width'}},
                      dynamo=False)


if __name__ == '__main__':
    main()
