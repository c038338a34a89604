"""A trained detector exported with test-time augmentation: run on the image at several gammas (and
each as it is and mirrored up-down, as it ships), its logits averaged.

    python tta.py --init-onnx ../model.onnx --gammas 0.8,1,1.25 --out /tmp/tta/model.onnx

Training draws a gamma from exp(-0.2) to exp(0.2) (0.82-1.22) for every patch: the detector knows
these images, and a faint lesion it scores in some of them and not in others stands out in the
mean where noise does not (as flip averaging did: MODEL_CARD.md). Same input and output as the
detector; the model time times the number of gammas. No training: deterministic.
"""
import argparse

import torch
import torch.nn as nn

import train
from cluster_branch import flip_averaged


class GammaAveraged(nn.Module):
    def __init__(self, detector, gammas):
        super().__init__()
        self.detector = detector
        self.gammas = gammas

    def forward(self, image):
        logits = [flip_averaged(self.detector, image if g == 1 else torch.pow(torch.clamp(image, 0, 1), g)) for g in self.gammas]
        return sum(logits) / len(logits)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--init-onnx', required=True, help='the trained detector (its model.onnx, flip-averaged or not)')
    ap.add_argument('--gammas', default='0.8,1,1.25')
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    detector = train.load_onnx_fine(args.init_onnx, (16, 32, 48, 64, 96), 32, 8).eval()
    model = GammaAveraged(detector, [float(g) for g in args.gammas.split(',')]).eval()
    torch.onnx.export(model, torch.zeros(1, 1, 640, 512), args.out, input_names=['image'], output_names=['heatmap'], opset_version=17,
                      dynamic_axes={'image': {2: 'height', 3: 'width'}, 'heatmap': {2: 'heatmap_height', 3: 'heatmap_width'}},
                      dynamo=False)
    print(f'exported {args.init_onnx} averaged over gammas {args.gammas} (each flip-averaged) to {args.out}', flush=True)


if __name__ == '__main__':
    main()
