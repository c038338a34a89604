"""Trains the Binome synthetic-exam detector on patches from make-dataset.ts and exports model.onnx.

A small fully convolutional detector: a five-stage encoder (stride 2 each, 16 to 96 channels), a
top-down path with lateral connections back to stride 4 (a feature pyramid, 32 channels), and one
heat-map channel per class at stride 4 (logits; a CenterNet-style Gaussian target whose half-maximum
width is the lesion's size, so the station reads a box from where the heat-map stays above half its
peak). See ../MODEL_CARD.md for why.

Deterministic for a seed: one thread order, seeded NumPy and PyTorch, deterministic algorithms, a
fixed number of steps (never "train for N minutes").

    python train.py --data DIR[,DIR...] --out ../model.onnx --steps 3000 --seed 1
"""
import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ['mass', 'calcification', 'architectural_distortion', 'asymmetry']
# set in main() by --fine: the 0.2 mm body alone (stride 4, 256 crops) or with the 0.1 mm stem (stride 8, 512 crops)
STRIDE = 4
CROP = 256


def conv(cin, cout, stride=1, folded=False):
    # folded: batch normalisation already folded into the convolution (weights read back from an ONNX export)
    # (an Identity where the batch normalisation was keeps the weights' names, e.g. stages.0.0.0)
    if folded:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=True), nn.Identity(), nn.ReLU(inplace=True))
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Detector(nn.Module):
    """The body: input at 0.2 mm, heat-map at stride 4 (0.8 mm)."""

    def __init__(self, width=(16, 32, 48, 64, 96), pyramid=32, folded=False):
        super().__init__()
        stages, cin = [], 1
        for w in width:
            stages.append(nn.Sequential(conv(cin, w, 2, folded), conv(w, w, 1, folded)))
            cin = w
        self.stages = nn.ModuleList(stages)
        # lateral 1x1 projections of strides 4, 8, 16 and 32 onto the pyramid's width
        self.lateral = nn.ModuleList([nn.Conv2d(w, pyramid, 1) for w in width[1:]])
        self.smooth = nn.ModuleList([conv(pyramid, pyramid, 1, folded) for _ in width[1:-1]])
        self.head = nn.Sequential(conv(pyramid, pyramid, 1, folded), nn.Conv2d(pyramid, len(CLASSES), 1))
        # a prior of 1 % lesion pixels: the focal loss starts stable
        nn.init.constant_(self.head[-1].bias, -math.log(99))

    def forward(self, image, fine_features=None):
        # input in [0, 1] (air 0): centre it here, so the manifest asks for no normalisation
        x = (image - 0.35) / 0.25
        features = []
        for k, stage in enumerate(self.stages):
            x = stage(x)
            if k == 0 and fine_features is not None:
                x = x + fine_features
            features.append(x)
        top = self.lateral[-1](features[-1])
        for i in range(len(self.lateral) - 2, -1, -1):
            top = F.interpolate(top, scale_factor=2.0, mode='nearest') + self.lateral[i](features[i + 1])
            top = self.smooth[i](top)
        return self.head(top)


class FineDetector(nn.Module):
    """Input at 0.1 mm, heat-map at stride 8 (0.8 mm, as the body's).

    The body sees the image averaged to 0.2 mm, as it was trained. A small stem sees the 0.1 mm
    pixels, where a calcification speck of 0.1-0.3 mm is still one to three bright pixels instead of
    a fraction of one, and adds what it finds to the body's first features (0.4 mm). Its last layer
    starts at zero, so training starts from exactly the body's detector.
    """

    def __init__(self, body, stem=8):
        super().__init__()
        self.body = body
        first = body.stages[0][0][0].out_channels
        self.stem = nn.Sequential(
            nn.Conv2d(1, stem, 5, 2, 2), nn.ReLU(inplace=True),      # 0.1 mm -> 0.2 mm, a 0.5 mm kernel
            nn.Conv2d(stem, first, 3, 2, 1), nn.ReLU(inplace=True),  # -> 0.4 mm, the body's first stage
            nn.Conv2d(first, first, 1))
        nn.init.zeros_(self.stem[-1].weight)
        nn.init.zeros_(self.stem[-1].bias)

    def forward(self, image):
        return self.body(F.avg_pool2d(image, 2), self.stem((image - 0.35) / 0.25))


class FlipAveraged(nn.Module):
    """The detector run on the image and on its up-down mirror image, the second heat-map flipped
    back and the two averaged (logits). Training flips up-down at random, so both runs are images the
    detector knows; a lesion it scores in both stands out, noise that one run scores does not.
    Heat-map row r covers input rows [s r, s r + s): with the height a multiple of s (the manifest's
    padding guarantees it), the flipped row is the mirror of the row exactly.
    """

    def __init__(self, detector):
        super().__init__()
        self.detector = detector

    def forward(self, image):
        both = self.detector(torch.cat([image, torch.flip(image, [2])], 0))
        return (both[0:1] + torch.flip(both[1:2], [2])) / 2


def widened(model, wide):
    """`wide` (the same layers, each as wide or wider) made to compute exactly what `model` computes.

    Every convolution keeps its trained weights in its first channels; the weights from a new input
    channel to a trained output channel are 0, so the new channels change nothing at first (whatever
    they hold), and training grows them from their random start (the new channels' own weights).
    """
    old_convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    new_convs = [m for m in wide.modules() if isinstance(m, nn.Conv2d)]
    assert len(old_convs) == len(new_convs), 'not the same layers'
    with torch.no_grad():
        for old, new in zip(old_convs, new_convs):
            co, ci = old.weight.shape[:2]
            assert new.weight.shape[0] >= co and new.weight.shape[1] >= ci and new.weight.shape[2:] == old.weight.shape[2:]
            new.weight[:co, :ci] = old.weight
            new.weight[:co, ci:] = 0
            new.bias[:co] = old.bias
    return wide


def load_onnx_fine(path, width, pyramid, stem):
    """A detector with the 0.1 mm stem read back from its ONNX export (the initialisers keep the
    module names; a flip-averaged export names them under `detector.`)."""
    import onnx
    from onnx import numpy_helper
    weights = {i.name.removeprefix('detector.'): torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(path).graph.initializer}
    model = FineDetector(Detector(width, pyramid, folded=True), stem)
    missing = set(model.state_dict()) - set(weights)
    if missing:
        raise SystemExit(f'{path}: no weights for {sorted(missing)[:4]}')
    model.load_state_dict({k: weights[k] for k in model.state_dict()})
    return model


def load_onnx_body(path):
    """The body's weights read back from its ONNX export (batch normalisation folded into the convolutions)."""
    import onnx
    from onnx import numpy_helper
    graph = onnx.load(path).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    body = Detector(folded=True)
    # the convolutions in the order the export ran them: stages, then the top-down path, then the head
    convs = [n for n in graph.node if n.op_type == 'Conv']
    order = [body.stages[k][j][0] for k in range(5) for j in range(2)]
    order += [body.lateral[3], body.lateral[2], body.smooth[2][0], body.lateral[1], body.smooth[1][0], body.lateral[0], body.smooth[0][0], body.head[0][0], body.head[1]]
    if len(convs) != len(order):
        raise SystemExit(f'{path}: {len(convs)} convolutions, the body has {len(order)}')
    for node, module in zip(convs, order):
        w, b = weights[node.input[1]], weights[node.input[2]]
        if tuple(w.shape) != tuple(module.weight.shape):
            raise SystemExit(f'{path}: convolution {node.name} is {w.shape}, expected {tuple(module.weight.shape)}')
        module.weight.data = torch.from_numpy(w.copy())
        module.bias.data = torch.from_numpy(b.copy())
    return body


def load(dirs, pixel_mm):
    images, records = [], []
    for d in dirs:
        meta = json.load(open(os.path.join(d, 'patches.json')))
        # patches at another pixel size would train the wrong scale without a word
        if meta.get('pixelSizeMm') != pixel_mm:
            raise SystemExit(f'{d}: patches at {meta.get("pixelSizeMm")} mm, this model takes {pixel_mm} mm (--fine: 0.1, else 0.2)')
        p = meta['patch']
        count = len(meta['patches'])
        # the index is written after each seed: patches past it belong to a seed cut short
        data = np.fromfile(os.path.join(d, 'patches.u16'), dtype='<u2', count=count * p * p).reshape(count, p, p)
        images.append(data)
        records.extend(meta['patches'])
    return np.concatenate(images), records


def target(lesions, left, top):
    """Per-class Gaussian heat-map at STRIDE for a crop at (left, top) of its patch."""
    size = CROP // STRIDE
    heat = np.zeros((len(CLASSES), size, size), np.float32)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    for lesion in lesions:
        c = CLASSES.index(lesion['class'])
        # heat-map pixel u covers input [su, su + s): its centre is input su + (s - 1) / 2
        cu = (lesion['cx'] - left - (STRIDE - 1) / 2) / STRIDE
        cv = (lesion['cy'] - top - (STRIDE - 1) / 2) / STRIDE
        if not (-0.5 <= cu < size - 0.5 and -0.5 <= cv < size - 0.5):
            continue
        # half maximum at the lesion's edge: FWHM = 2.355 sigma = its size
        su = max(0.8, lesion['w'] / STRIDE / 2.355)
        sv = max(0.8, lesion['h'] / STRIDE / 2.355)
        pu, pv = int(round(cu)), int(round(cv))
        g = np.exp(-((xs - pu) ** 2 / (2 * su * su) + (ys - pv) ** 2 / (2 * sv * sv)))
        heat[c] = np.maximum(heat[c], g)
        heat[c, pv, pu] = 1.0
    return heat


def focal_loss(logits, heat):
    """CenterNet's penalty-reduced focal loss, per positive peak."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    neg = 1 - pos
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = -(torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * neg).sum()
    return (pos_loss + neg_loss) / pos.sum().clamp(min=1)


# the gain's range (set by --gain): 0.9-1.1 until 0.3.0; from 0.4.0 down to 0.5, because a window
# that also spans an implant (the modality's default for an implant view) leaves the breast tissue
# about half of the contrast range it has without one
GAIN = (0.9, 1.1)


def crop_corner(rec, p, crop, rng):
    """The top-left corner of a crop of a p x p patch: around its lesion (its centre kept in, with a margin), else anywhere."""
    lesions = rec['lesions']
    if rec['positive'] and lesions:
        l0 = lesions[0]
        margin = crop * 3 // 32
        lo_x = int(np.clip(l0['cx'] - crop + margin, 0, p - crop)); hi_x = int(np.clip(l0['cx'] - margin, 0, p - crop))
        lo_y = int(np.clip(l0['cy'] - crop + margin, 0, p - crop)); hi_y = int(np.clip(l0['cy'] - margin, 0, p - crop))
        left = rng.integers(min(lo_x, hi_x), max(lo_x, hi_x) + 1)
        top = rng.integers(min(lo_y, hi_y), max(lo_y, hi_y) + 1)
        return left, top
    return rng.integers(0, p - crop + 1), rng.integers(0, p - crop + 1)


def batch(images, records, indices, rng):
    p = images.shape[1]
    xs, ts = [], []
    for i in indices:
        rec = records[i]
        lesions = rec['lesions']
        left, top = crop_corner(rec, p, CROP, rng)
        x = images[i, top:top + CROP, left:left + CROP].astype(np.float32) / 65535.0
        t = target(lesions, left, top)
        # the breast faces one way (the chest wall on the left): only up-down flips keep that
        if rng.random() < 0.5:
            x, t = x[::-1], t[:, ::-1]
        # exposure, processing and windows differ between systems and views: a gamma and a gain
        gamma = math.exp(rng.uniform(-0.2, 0.2))
        x = np.clip(np.power(x, gamma) * rng.uniform(*GAIN), 0, 1)
        xs.append(np.ascontiguousarray(x)[None])
        ts.append(np.ascontiguousarray(t))
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', help='folders written by make-dataset.ts, comma-separated')
    ap.add_argument('--out', required=True)
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--init', help='weights (.pt) to start from: a further run of a trained model, deterministic for its seed too')
    ap.add_argument('--fine', help='the body\'s model.onnx (0.2 mm): train it with the 0.1 mm stem on 0.1 mm patches')
    ap.add_argument('--gain', default='0.9,1.1', help='range of the random gain applied to each crop (0.3.0: 0.9,1.1; 0.4.0: 0.5,1.15)')
    ap.add_argument('--flip-average', action='store_true', help='export the detector run on the image and on its up-down mirror image, averaged')
    ap.add_argument('--export-only', action='store_true', help='no training: export the weights of --init (with --fine for their shape)')
    ap.add_argument('--init-onnx', help='a detector with the 0.1 mm stem read back from its model.onnx (flip-averaged or not) to train further, instead of --fine')
    ap.add_argument('--scratch', help='widths of the five stages, the pyramid and the stem: a detector with the 0.1 mm stem from random weights (train_gpu.py trains one; --export-only --init exports it)')
    ap.add_argument('--widen', help='widths of the five stages, the pyramid and the stem (0.4.0: 16,32,48,64,96,32,8): the model read back, widened to compute the same at first')
    ap.add_argument('--dense-weight', type=float, default=1.0, help='patches with a lesion in a dense breast (C, D) drawn this many times as often')
    ap.add_argument('--channels-last', action='store_true', help='train with activations stored channels last (oneDNN\'s fast path on the CPU: 3-5 times faster here; the numbers differ slightly from a run without it)')
    ap.add_argument('--calcification-weight', type=float, default=1.0, help='patches around a calcification cluster drawn this many times as often as each other class')
    ap.add_argument('--hard-share', type=float, default=0.0, help='share of the lesion-free draws taken from patches centred on a mark of the mining model (make-dataset.ts --mine: a patch\'s `hard`)')
    ap.add_argument('--missed-weight', type=float, default=1.0, help='patches around a lesion the mining model scored under 0.2 (its `modelScore`) drawn this many times as often')
    args = ap.parse_args()
    global STRIDE, CROP, GAIN
    GAIN = tuple(float(v) for v in args.gain.split(','))
    fine = bool(args.fine or args.init_onnx or args.scratch)
    if fine:
        STRIDE, CROP = 8, 512

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)

    if args.export_only and not args.init:
        ap.error('--export-only exports the weights of --init')
    if not args.export_only and not args.data:
        ap.error('--data is required (unless --export-only)')
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if args.scratch:
        w = [int(v) for v in args.scratch.split(',')]
        model = FineDetector(Detector(tuple(w[:5]), w[5]), w[6])
    elif args.init_onnx:
        model = load_onnx_fine(args.init_onnx, (16, 32, 48, 64, 96), 32, 8)
    else:
        model = FineDetector(load_onnx_body(args.fine)) if args.fine else Detector()
    if args.widen:
        if not fine:
            ap.error('--widen takes a detector with the 0.1 mm stem (--fine or --init-onnx)')
        w = [int(v) for v in args.widen.split(',')]
        wide = widened(model, FineDetector(Detector(tuple(w[:5]), w[5], folded=True), w[6]))
        probe = torch.rand(1, 1, 512, 384, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            print(f'widened to {args.widen}: largest change of a logit {(wide(probe) - model(probe)).abs().max().item():.2e}', flush=True)
        model = wide
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location='cpu'))  # weights trained on a GPU load here too
        print(f'starting from {args.init}', flush=True)
    # what the station runs: the detector alone, or on the image and its mirror image, averaged
    exported = FlipAveraged(model) if args.flip_average else model
    if args.export_only:
        export(exported, args.out)
        print(f'exported {args.init} to {args.out}', flush=True)
        return

    images, records = load(args.data.split(','), 0.1 if fine else 0.2)
    positives = [i for i, r in enumerate(records) if r['positive'] and r['lesions']]
    negatives = [i for i, r in enumerate(records) if not r['positive'] and 'hard' not in r]
    hard = [i for i, r in enumerate(records) if not r['positive'] and 'hard' in r]
    if args.hard_share > 0 and not hard:
        ap.error('--hard-share: no patch of --data was mined (make-dataset.ts --mine)')
    # a lesion the mining model scored under 0.2 (make-dataset.ts --mine): one it missed
    def missed_lesion(rec):
        return rec['lesions'][0].get('modelScore', 1) < 0.2
    missed = sum(1 for i in positives if missed_lesion(records[i]))
    counts = {c: sum(1 for i in positives if records[i]['lesions'][0]['class'] == c) for c in CLASSES}
    print(f'{len(records)} patches: {len(positives)} with a lesion {counts} ({missed} missed by the mining model), {len(negatives)} without, {len(hard)} on its false marks', flush=True)
    # the rarer classes are drawn as often as masses (calcification clusters --calcification-weight
    # times as often), lesions in dense breasts --dense-weight times as often as in the others
    def weight(rec):
        c = rec['lesions'][0]['class']
        w = 1.0 / counts[c] * (args.calcification_weight if c == 'calcification' else 1.0)
        w *= args.missed_weight if missed_lesion(rec) else 1.0
        return w * (args.dense_weight if rec.get('density') in ('C', 'D') else 1.0)
    weights = np.array([weight(records[i]) for i in positives])
    weights /= weights.sum()

    print(f'{sum(p.numel() for p in model.parameters())} parameters', flush=True)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if fine and not args.scratch:
        # the body was trained: it moves slowly; the stem starts from nothing and learns 10 times faster
        groups = [{'params': model.body.parameters(), 'lr': args.lr}, {'params': model.stem.parameters(), 'lr': args.lr * 10}]
        peaks = [args.lr, args.lr * 10]
    else:
        groups, peaks = [{'params': model.parameters(), 'lr': args.lr}], args.lr
    optimizer = torch.optim.AdamW(groups, lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peaks, total_steps=args.steps, pct_start=0.05)
    started = time.time()
    running = None
    model.train()
    for step in range(args.steps):
        half = args.batch // 2
        hard_count = int(round((args.batch - half) * args.hard_share))
        idx = list(rng.choice(positives, half, p=weights)) + list(rng.choice(negatives, args.batch - half - hard_count))
        if hard_count:
            idx += list(rng.choice(hard, hard_count))
        x, t = batch(images, records, idx, rng)
        if args.channels_last:
            x = x.to(memory_format=torch.channels_last)
        loss = focal_loss(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0 or step == args.steps - 1:
            print(f'step {step} loss {running:.3f} {time.time() - started:.0f} s', flush=True)
        if step % 1000 == 999:
            torch.save(model.state_dict(), args.out + '.pt')

    torch.save(model.state_dict(), args.out + '.pt')
    export(exported, args.out)
    print(f'done in {time.time() - started:.0f} s', flush=True)


def export(model, out):
    model.eval()
    dummy = torch.zeros(1, 1, 320 * STRIDE // 4, 256 * STRIDE // 4)
    torch.onnx.export(model, dummy, out, input_names=['image'], output_names=['heatmap'], opset_version=17,
                      dynamic_axes={'image': {2: 'height', 3: 'width'}, 'heatmap': {2: 'heatmap_height', 3: 'heatmap_width'}},
                      dynamo=False)


if __name__ == '__main__':
    main()
