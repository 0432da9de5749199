#!/usr/bin/env python3
"""PyTorch CUDA anchor for benchmarks/gpu/run.mjs: fp32 with TF32 off (cuDNN and matmul), NCHW, the same architectures
as benchmarks/backend/models.mjs (built by benchmarks/backend/torch_bench.py's `build`), SGD momentum 0.9,
cross-entropy. Prints `RESULT {json}` with the medians of REPS timed repetitions of STEPS steps (after warm-up), timed
with torch.cuda.synchronize(); or `RESULT {"unavailable": reason}` when torch or CUDA is missing."""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backend"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--steps", type=int, default=5)
    a = p.parse_args()
    try:
        import torch
        import torch.nn.functional as F
        from torch_bench import INPUTS, build
    except Exception as e:  # no torch here
        print("RESULT " + json.dumps({"unavailable": f"PyTorch not importable: {e}"[:200]}), flush=True)
        return
    if not torch.cuda.is_available():
        print("RESULT " + json.dumps({"unavailable": f"torch {torch.__version__}: CUDA not available"}), flush=True)
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    torch.manual_seed(0)
    model = build(a.model).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(a.batch, *INPUTS[a.model], device=dev)
    y = torch.randint(0, 10, (a.batch,), device=dev)

    def train_step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def infer():
        with torch.no_grad():
            model(x)

    def timed(fn):
        out = []
        for _ in range(a.reps):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(a.steps):
                fn()
            torch.cuda.synchronize()
            out.append(a.steps * a.batch / (time.perf_counter() - t0))
        return out

    model.train()
    for _ in range(3):
        train_step()
    train = timed(train_step)
    model.eval()
    for _ in range(3):
        infer()
    inf = timed(infer)
    print(
        "RESULT "
        + json.dumps(
            {
                "torch": torch.__version__,
                "cuda": torch.version.cuda,
                "cudnn": torch.backends.cudnn.version(),
                "gpu": torch.cuda.get_device_name(0),
                "tf32": False,
                "train": {"imgPerSec": statistics.median(train), "runs": train},
                "infer": {"imgPerSec": statistics.median(inf), "runs": inf},
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
