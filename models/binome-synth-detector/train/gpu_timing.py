"""Times the shipped detector's network on a CUDA GPU through PyTorch, beside onnxruntime on the CPU.

onnxruntime-node's CUDA provider needs its CUDA 12 libraries, which its install script downloads
(README.md, "GPU inference"); a machine without a network cannot have them. What this measures
instead is the network itself on the GPU: model.onnx read back into train.py's modules (the weights
checked against onnxruntime's output first), run on one full-size input at 0.1 mm, float32 and
bfloat16, and onnxruntime's CPU provider on the same input for the ratio.

    python gpu_timing.py --model ../model.onnx [--height 2560 --width 1664]
"""
import argparse
import time

import numpy as np
import torch

import train as base


def timed(fn, runs):
    fn(); fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return 1000 * float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--height', type=int, default=2560)
    ap.add_argument('--width', type=int, default=1664)
    ap.add_argument('--runs', type=int, default=20)
    args = ap.parse_args()
    x = torch.rand(1, 1, args.height, args.width, generator=torch.Generator().manual_seed(0))
    net = base.FlipAveraged(base.load_onnx_fine(args.model, (16, 32, 48, 64, 96), 32, 8)).eval()
    import onnxruntime as ort
    session = ort.InferenceSession(args.model, providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    reference = session.run(None, {name: x.numpy()})[0]
    with torch.no_grad():
        mine = net(x).numpy()
    print(f'read back: largest difference from onnxruntime {np.abs(mine - reference).max():.2e} (logits)', flush=True)
    cpu_ms = timed(lambda: session.run(None, {name: x.numpy()}), 5)
    print(f'onnxruntime {ort.__version__} CPU provider: {cpu_ms:.0f} ms an image ({args.height} x {args.width})', flush=True)
    if not torch.cuda.is_available():
        print('no CUDA device: nothing more to measure', flush=True)
        return
    device = torch.device('cuda')
    print(f'GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}', flush=True)
    gnet = net.to(device)
    gx = x.to(device)
    with torch.no_grad():
        fp32 = timed(lambda: gnet(gx), args.runs)
        out = gnet(gx).float().cpu().numpy()
        print(f'CUDA float32: {fp32:.1f} ms an image, largest difference from onnxruntime {np.abs(out - reference).max():.2e}', flush=True)
        with torch.autocast('cuda', dtype=torch.bfloat16):
            bf16 = timed(lambda: gnet(gx), args.runs)
            out = gnet(gx).float().cpu().numpy()
        print(f'CUDA bfloat16: {bf16:.1f} ms an image, largest difference from onnxruntime {np.abs(out - reference).max():.2e}', flush=True)
    t0 = time.perf_counter()
    copied = x.to(device); torch.cuda.synchronize()
    print(f'the input to the GPU: {1000 * (time.perf_counter() - t0):.1f} ms ({x.numel() * 4 / 1e6:.0f} MB); CPU / CUDA float32 = {cpu_ms / fp32:.0f}x', flush=True)
    del copied


if __name__ == '__main__':
    main()
