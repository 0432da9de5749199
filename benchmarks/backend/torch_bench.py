#!/usr/bin/env python3
"""PyTorch CPU anchor for benchmarks/backend/run.mjs.

Trains and runs inference on the same architectures as models.mjs (TinyCNN, ResNet-8/20 with BN and 1x1
projection shortcuts, softmax head; SGD momentum 0.9, cross-entropy), batch 128, fp32, in NCHW and channels_last,
with torch.set_num_threads(THREADS). Prints one line `RESULT {json}` with medians of REPS timed repetitions of STEPS
steps each (after warm-up: at least 2 steps, and with --warmup-s at least that many seconds), per layout, and the process's peak RSS. For channels_last it also times PyTorch's fully
fused TorchScript inference (`inferFused`, see fused_inference) as a reference ceiling.

Note: Debian's python3-torch links the system OpenBLAS (pthreads), which ignores set_num_threads; convolutions go
through oneDNN (mkldnn) with OpenMP threads, so the thread setting governs the convnets measured here.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

INPUTS = {"tiny": (1, 28, 28), "resnet8": (3, 32, 32), "resnet20": (3, 32, 32), "resnet20g": (1, 28, 28)}


class TinyCNN(nn.Module):
    def __init__(self, in_ch: int, hw: int):
        super().__init__()
        self.c1 = nn.Conv2d(in_ch, 32, 3, padding=1)
        self.bn = nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * (hw // 4) * (hw // 4), 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.fc(torch.flatten(x, 1))


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
            )

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNet(nn.Module):
    def __init__(self, n: int, in_ch: int):
        super().__init__()
        self.c = nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False)
        self.b = nn.BatchNorm2d(16, eps=1e-3, momentum=0.01)
        layers, cin = [], 16
        for stage, cout in enumerate([16, 32, 64]):
            for b in range(n):
                layers.append(Block(cin, cout, 2 if stage > 0 and b == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.b(self.c(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(name: str) -> nn.Module:
    c, h, _ = INPUTS[name]
    if name == "tiny":
        return TinyCNN(c, h)
    return ResNet(1 if name == "resnet8" else 3, c)


def warm_up(fn, min_calls: int, min_seconds: float) -> int:
    """Calls fn at least min_calls times and until min_seconds have passed (run.mjs's warmUp); returns the calls."""
    t0 = time.perf_counter()
    calls = 0
    while calls < min_calls or time.perf_counter() - t0 < min_seconds:
        fn()
        calls += 1
    return calls


def bench(name: str, layout: str, batch: int, reps: int, steps: int, warmup_s: float = 0.0) -> dict:
    torch.manual_seed(0)
    fmt = torch.channels_last if layout == "cl" else torch.contiguous_format
    model = build(name).to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, *INPUTS[name]).to(memory_format=fmt)
    y = torch.randint(0, 10, (batch,))

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def timed(fn):
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(steps):
                fn()
            out.append(steps * batch / (time.perf_counter() - t0))
        return out

    model.train()
    warm_train = warm_up(train_step, 2, warmup_s)
    train = timed(train_step)
    model.eval()

    def infer():
        with torch.no_grad():
            model(x).sum().item()

    warm_infer = warm_up(infer, 1, warmup_s)
    inf = timed(infer)
    out = {"train": statistics.median(train), "infer": statistics.median(inf), "trainRuns": train, "inferRuns": inf}
    out["warmup"] = {"seconds": warmup_s, "trainSteps": warm_train, "inferCalls": warm_infer}
    if layout == "cl":
        out.update(fused_inference(model, x, reps, steps, timed, warmup_s))
    return out


def fused_inference(model, x, reps, steps, timed, warmup_s: float = 0.0) -> dict:
    """PyTorch's own best CPU inference of the same eval-mode model: TorchScript, frozen, optimize_for_inference
    (BatchNorm folded into the convolutions, ReLU and residual adds fused into oneDNN convolutions, weights
    pre-packed). A ceiling for what the same oneDNN convolutions allow, not the eager baseline of the targets."""
    try:
        with torch.no_grad():
            fused = torch.jit.optimize_for_inference(torch.jit.script(model.eval()))

            def infer():
                fused(x).sum().item()

            warm_up(infer, 2, warmup_s)
            runs = timed(infer)
        return {"inferFused": statistics.median(runs), "inferFusedRuns": runs}
    except Exception as e:  # optimize_for_inference is best-effort across torch versions
        return {"inferFusedError": f"{type(e).__name__}: {e}"[:200]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=sorted(INPUTS))
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--layouts", default="nchw,cl", help="comma-separated subset of nchw,cl")
    p.add_argument("--warmup-s", type=float, default=0.0, help="also warm up until this many seconds have run")
    a = p.parse_args()
    if not a.warmup_s >= 0:
        p.error(f"--warmup-s must be >= 0, got {a.warmup_s}")
    layouts = [l for l in a.layouts.split(",") if l]
    if not layouts or any(l not in ("nchw", "cl") for l in layouts):
        p.error(f"--layouts must list nchw and/or cl, got {a.layouts!r}")
    torch.set_num_threads(a.threads)
    res = {
        "model": a.model,
        "batch": a.batch,
        "threads": a.threads,
        "torch": torch.__version__,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
    }
    for layout in layouts:
        res[layout] = bench(a.model, layout, a.batch, a.reps, a.steps, a.warmup_s)
    res["maxRssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
