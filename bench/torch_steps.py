"""PyTorch (one thread) reference for bench/train.bench.ts: one Adam step of
the MLP 784-256-256-10 on 128 examples, and of the Transformer block, in CPU
milliseconds per step. With no argument: the median of rounds of each,
printed as one JSON line. With `serve`: prints {"ready": version}, then for
each line `mlp N` or `transformer N` on stdin runs N steps and prints their
CPU milliseconds per step, so the bench can alternate these rounds with its
own candidates'."""
import json
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)


def timed(step, steps, rounds):
    for _ in range(3):
        step()
    out = []
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(steps):
            step()
        out.append((time.process_time() - t0) * 1000 / steps)
    return sorted(out)[len(out) // 2]


def mlp_step():
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(128, 784), torch.randint(0, 10, (128,))

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    return step


class Block(torch.nn.Module):
    def __init__(self, d=128, h=4, f=512, v=64):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (torch.nn.Linear(d, d) for _ in range(4))
        self.ff = torch.nn.Sequential(torch.nn.Linear(d, f), torch.nn.ReLU(), torch.nn.Linear(f, d))
        self.out = torch.nn.Linear(d, v)

    def forward(self, x):
        b, l, d = x.shape
        a = self.ln1(x)
        heads = lambda t: t.reshape(b, l, self.h, d // self.h).transpose(1, 2)
        q, k, v = heads(self.q(a)), heads(self.k(a)), heads(self.v(a))
        mask = torch.triu(torch.full((l, l), -1e9), 1)
        att = torch.softmax(q @ k.transpose(-1, -2) / (d // self.h) ** 0.5 + mask, -1) @ v
        x = x + self.o(att.transpose(1, 2).reshape(b, l, d))
        x = x + self.ff(self.ln2(x))
        return self.out(x)


def transformer_step():
    model = Block()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(16, 32, 128), torch.randint(0, 64, (16, 32))

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, 64), y.reshape(-1))
        loss.backward()
        opt.step()
        loss.item()

    return step


def blas():
    """The BLAS library this process has loaded (after a product), from /proc/self/maps: Debian's
    python3-torch takes whichever the libblas.so.3 alternative points to, and the reference BLAS
    is several times slower than OpenBLAS."""
    torch.randn(64, 64) @ torch.randn(64, 64)
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown BLAS"
    if any("openblas" in p for p in paths):
        return "OpenBLAS"
    if any("mkl" in p for p in paths):
        return "MKL"
    if any("blis" in p for p in paths):
        return "BLIS"
    return "reference BLAS" if paths else "no separate BLAS"


def serve():
    steps = {"mlp": mlp_step(), "transformer": transformer_step()}
    print(json.dumps({"ready": f"{torch.__version__} on {blas()}"}), flush=True)
    for line in sys.stdin:
        name, n = line.split()
        t0 = time.process_time()
        for _ in range(int(n)):
            steps[name]()
        print((time.process_time() - t0) * 1000 / int(n), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        print(json.dumps({"torch": torch.__version__, "blas": blas(), "mlp": timed(mlp_step(), 20, 7), "transformer": timed(transformer_step(), 10, 7)}))
