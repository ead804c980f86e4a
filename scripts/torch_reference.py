#!/usr/bin/python3
"""The PyTorch side of `gradflow bench`: the same networks, steps and statistics in PyTorch, for a side-by-side
speed reference.

Protocol: one JSON request per line on stdin, one JSON answer per line on stdout, until stdin closes. The Java
harness (io.gradflow.bench.TorchReference) keeps one process open for the whole bench run, so that every PyTorch
measurement can sit right next to the gradflow measurement it is compared with. Every answer has "ok"; a failed
request answers {"ok": false, "error": "..."} and the process goes on. Requests:

  {"op": "hello"}
      -> {"ok", "torch", "python", "threads", "blas", "blas_cores"}: versions, torch's intra-op threads, the BLAS
         libraries this process loaded and, for each OpenBLAS among them, its kernels (openblas_get_corename).
         Debian's torch uses whatever libblas.so.3 resolves to: the slow reference BLAS unless LD_LIBRARY_PATH
         puts /usr/lib/x86_64-linux-gnu/openblas-openmp first. The harness gives it the same OPENBLAS_CORETYPE as
         gradflow's own OpenBLAS uses, so that both run the same kernels.
  {"op": "step", "width", "depth", "blocks": "plain"|"bn"|"residual", "batch", "steps", "features", "classes",
   "lr"}
      -> {"ok", "ms_per_step", "ms_min", "ms_max", "steps"}: the per-step benchmark of io.gradflow.bench.Bench.step
         (ReLU, He init, SGD, random inputs, labels i % classes, warm-up of max(3, steps / 5) steps, median).
  {"op": "grid", "data": {"path", "features", "classes", "train", "test"}, "trials": [ {...}, ... ]}
      -> {"ok", "total_s", "trials": [{"wall_ms", "steps", "sampled", "final_train_loss", "final_test_loss",
         "final_test_acc", "flow_log10_init", "layer_rows"}, ...]}: a training loop that mirrors gradflow's
         TrialRunner with the same statistics on the same sampled steps. The data file holds little-endian
         float32 train features, float32 test features, int32 train labels, int32 test labels, in that order.

When torch cannot be imported the process answers every request with {"ok": false, "unavailable": "<reason>"}
and still exits 0: a missing PyTorch is a reason to skip the comparison, not an error.
"""
import json
import math
import os
import platform
import statistics
import sys
import time

try:
    import torch
    from torch import nn

    TORCH_ERROR = None
except Exception as e:  # ImportError, or a broken install (missing shared library)
    torch = None
    nn = None
    TORCH_ERROR = "%s: %s" % (type(e).__name__, e)


def loaded_blas():
    """The BLAS shared objects this process has mapped, from /proc/self/maps (Linux only)."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if "blas" in os.path.basename(path) and path not in found:
                    found.append(path)
    except OSError:
        pass
    return found


def blas_cores(paths):
    """The kernel set each loaded OpenBLAS uses (openblas_get_corename): its speed depends on it as much as on the
    version, and an OpenBLAS that does not know the CPU's model falls back to the generic Prescott kernels."""
    import ctypes
    cores = {}
    for p in paths:
        try:
            lib = ctypes.CDLL(p)  # already mapped: the same handle, no second initialisation
            lib.openblas_get_corename.restype = ctypes.c_char_p
            cores[p] = lib.openblas_get_corename().decode().strip()
        except (OSError, AttributeError):
            pass
    return cores


def hello(_req):
    blas = loaded_blas()
    return {"ok": True, "torch": torch.__version__, "python": platform.python_version(),
            "threads": torch.get_num_threads(), "blas": blas, "blas_cores": blas_cores(blas)}


# ---------------------------------------------------------------------------------------------------------------
# The network: NetworkFactory's layout. Linear input projection, `depth` blocks, linear output (softmax inside the
# cross-entropy). Plain block: Linear -> [BatchNorm1d] -> act; residual: x + act(BN(Linear(x))). A Linear followed
# by batch norm has no bias, as in gradflow.

ACTIVATIONS = {
    "sigmoid": lambda: nn.Sigmoid(),
    "tanh": lambda: nn.Tanh(),
    "relu": lambda: nn.ReLU(),
    "leakyrelu": lambda: nn.LeakyReLU(0.01),
    "elu": lambda: nn.ELU(1.0),
    "gelu": lambda: nn.GELU(),
    "identity": lambda: nn.Identity(),
    "softsign": lambda: nn.Softsign(),
    "selu": lambda: nn.SELU(),
}


class Net(nn.Module if nn is not None else object):
    def __init__(self, features, classes, width, depth, batchnorm, residual, activation, std_proj, std_hidden,
                 std_out, seed):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.residual = residual
        self.proj = nn.Linear(features, width)
        self.dense = nn.ModuleList([nn.Linear(width, width, bias=not batchnorm) for _ in range(depth)])
        # DL4J's defaults: ε 1e-5, decay 0.9 (PyTorch's momentum 0.1 is the same update).
        self.bn = nn.ModuleList([nn.BatchNorm1d(width, eps=1e-5, momentum=0.1) for _ in range(depth)]) \
            if batchnorm else None
        self.act = ACTIVATIONS[activation]()
        self.out = nn.Linear(width, classes)
        with torch.no_grad():
            for layer, std in [(self.proj, std_proj)] + [(d, std_hidden) for d in self.dense] + [(self.out, std_out)]:
                layer.weight.normal_(0.0, std, generator=gen)
                if layer.bias is not None:
                    layer.bias.zero_()
        self.probe = None  # a Probe while a sampled step runs, else None (no hooks, no extra work)

    def forward(self, x):
        h = self.proj(x)
        probe = self.probe
        for l, dense in enumerate(self.dense):
            pre = dense(h)
            if self.bn is not None:
                pre = self.bn[l](pre)
            a = self.act(pre)
            if probe is not None:
                probe.record(l, pre, a)
            h = h + a if self.residual else a
            if probe is not None and self.residual:
                probe.record_out(l, h)
        return self.out(h)


class Probe:
    """Per-block statistics of one sampled step, the same as gradflow's Probe: ‖δ‖ at the pre-activation (and at
    the block output for residual nets) through tensor hooks, and the activations' mean, std (population),
    saturated and dead fractions."""

    def __init__(self, depth, activation):
        self.activation = activation
        nan = float("nan")
        self.delta_pre = [nan] * depth
        self.delta_out = [nan] * depth
        self.act = [None] * depth

    def record(self, l, pre, a):
        def hook(g, l=l):
            self.delta_pre[l] = g.norm().item()

        pre.register_hook(hook)
        with torch.no_grad():
            mean = a.mean().item()
            std = a.std(unbiased=False).item()
            if self.activation == "sigmoid":
                sat = ((a < 0.01) | (a > 0.99)).float().mean().item()
            elif self.activation in ("tanh", "softsign"):
                sat = (a.abs() > 0.99).float().mean().item()
            else:
                sat = float("nan")
            if self.activation in ("relu", "leakyrelu", "elu", "gelu", "selu"):
                dead = (a <= 0).all(dim=0).float().mean().item()
            else:
                dead = float("nan")
        self.act[l] = (mean, std, sat, dead)

    def record_out(self, l, h):
        def hook(g, l=l):
            self.delta_out[l] = g.norm().item()

        h.register_hook(hook)


def optimizer(kind, params, lr):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError("optimizer '%s' is not supported by the PyTorch reference; choose sgd, momentum or adam" % kind)


def median(v):
    """The upper one of the middle pair for even sizes, as Bench.median."""
    s = sorted(v)
    return s[len(s) // 2]


def step(req):
    width, depth, blocks = int(req["width"]), int(req["depth"]), req["blocks"]
    if blocks not in ("plain", "bn", "residual"):
        raise ValueError("blocks '%s' is not one of plain, bn, residual" % blocks)
    batch, steps = int(req["batch"]), int(req["steps"])
    features, classes = int(req.get("features", 16)), int(req.get("classes", 10))
    torch.manual_seed(1)
    # He init, as Bench.step's trial config: std √(2/fan_in).
    net = Net(features, classes, width, depth, blocks == "bn", blocks == "residual", "relu",
              math.sqrt(2.0 / features), math.sqrt(2.0 / width), math.sqrt(2.0 / width), 1)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=float(req.get("lr", 0.01)))
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, features)
    y = torch.arange(batch) % classes

    def one():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(max(3, steps // 5)):
        one()
    ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        one()
        ms.append((time.perf_counter() - t0) * 1e3)
    return {"ok": True, "ms_per_step": median(ms), "ms_min": min(ms), "ms_max": max(ms), "steps": steps}


# ---------------------------------------------------------------------------------------------------------------
# The grid loop: TrialRunner's training with statistics.

def load_data(d):
    f, n, m = int(d["features"]), int(d["train"]), int(d["test"])
    raw = open(d["path"], "rb").read()
    need = 4 * (n * f + m * f + n + m)
    if len(raw) != need:
        raise ValueError("data file %s has %d bytes, not the %d that %d train and %d test rows of %d features need"
                         % (d["path"], len(raw), need, n, m, f))
    buf = bytearray(raw)  # torch.frombuffer wants a writable buffer
    o = 0
    tx = torch.frombuffer(buf, dtype=torch.float32, count=n * f, offset=o).view(n, f)
    o += 4 * n * f
    sx = torch.frombuffer(buf, dtype=torch.float32, count=m * f, offset=o).view(m, f)
    o += 4 * m * f
    ty = torch.frombuffer(buf, dtype=torch.int32, count=n, offset=o).long()
    o += 4 * n
    sy = torch.frombuffer(buf, dtype=torch.int32, count=m, offset=o).long()
    return tx.clone(), sx.clone(), ty, sy


def evaluate(net, x, y):
    """{mean cross-entropy, accuracy} in inference mode (batch norm's running statistics), as TrialRunner.evaluate."""
    net.eval()
    with torch.no_grad():
        logits = net(x)
        ce = nn.functional.cross_entropy(logits, y).item()
        acc = (logits.argmax(dim=1) == y).float().mean().item()
    net.train()
    return ce, acc


def flow_log10(v):
    """log10(‖δ_first‖ / ‖δ_last‖) over hidden blocks, NaN where undefined (Stats.flowLog10)."""
    if len(v) < 2 or not all(math.isfinite(a) and a > 0 for a in (v[0], v[-1])):
        return float("nan")
    return math.log10(v[0] / v[-1])


def trial(t, tx, sx, ty, sy):
    t0 = time.perf_counter()
    depth, width, steps = int(t["depth"]), int(t["width"]), int(t["steps"])
    features, classes = tx.shape[1], int(t["classes"])
    net = Net(features, classes, width, depth, bool(t["batchnorm"]), bool(t["residual"]), t["activation"],
              float(t["std_proj"]), float(t["std_hidden"]), float(t["std_out"]), int(t["seed"]))
    if t.get("double"):
        # gradflow's precision: double trains in double, as the network's DL4J data type does.
        net = net.double()
        tx, sx = tx.double(), sx.double()
    net.train()
    opt = optimizer(t["optimizer"], net.parameters(), float(t["lr"]))
    loss_fn = nn.CrossEntropyLoss()
    sampled = set(int(s) for s in t["sampled"])
    curve_every = int(t["curve_every"])
    n = tx.shape[0]
    batch = min(int(t["batch"]), n)
    gen = torch.Generator().manual_seed(int(t["seed"]))
    perm = torch.randperm(n, generator=gen)
    pos = 0
    rows = []  # one tuple per sampled step and block, as gradflow's layer_stats
    curve = []
    flows = []
    losses = []
    diverged = False
    for s in range(steps):
        is_sampled = s in sampled
        test_loss = test_acc = float("nan")
        if is_sampled:
            test_loss, test_acc = evaluate(net, sx, sy)
        if pos + batch > n:
            perm = torch.randperm(n, generator=gen)
            pos = 0
        idx = perm[pos:pos + batch]
        pos += batch
        xb, yb = tx[idx], ty[idx]
        probe = Probe(depth, t["activation"]) if is_sampled else None
        net.probe = probe
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xb), yb)
        loss.backward()
        net.probe = None
        if probe is not None:
            # Weight gradients before the update (the listener's onGradientCalculation), then ‖ΔW‖/‖W‖ after it.
            before = []
            grads = []
            with torch.no_grad():
                for d in net.dense:
                    g = d.weight.grad
                    bad = int((~torch.isfinite(g)).sum().item())
                    if bad:
                        grads.append((float("nan"), float("nan"), float("nan"), bad))
                    else:
                        grads.append((g.norm().item(), g.abs().mean().item(), g.abs().max().item(), 0))
                    before.append(d.weight.detach().clone())
        opt.step()
        lv = loss.item()
        losses.append(lv)
        if probe is not None:
            with torch.no_grad():
                for l, d in enumerate(net.dense):
                    wn = before[l].norm().item()
                    ratio = (d.weight - before[l]).norm().item() / wn
                    rows.append((s, l + 1, probe.delta_pre[l], probe.delta_out[l]) + grads[l] + (wn, ratio)
                                + probe.act[l])
            flows.append(flow_log10(probe.delta_pre))
        if is_sampled or s % curve_every == 0 or s == steps - 1:
            curve.append((s, lv, test_loss, test_acc))
        if not math.isfinite(lv):
            diverged = True
            break
    out = {"steps": len(losses), "sampled": len(flows), "layer_rows": len(rows), "diverged": diverged,
           "flow_log10_init": flows[0] if flows else float("nan")}
    if not diverged:
        out["final_train_loss"], _ = evaluate(net, tx, ty)
        out["final_test_loss"], out["final_test_acc"] = evaluate(net, sx, sy)
    out["wall_ms"] = (time.perf_counter() - t0) * 1e3
    return out


def grid(req):
    tx, sx, ty, sy = load_data(req["data"])
    for t in req["trials"]:
        t["classes"] = int(req["data"]["classes"])
    t0 = time.perf_counter()
    results = [trial(t, tx, sx, ty, sy) for t in req["trials"]]
    return {"ok": True, "total_s": time.perf_counter() - t0, "trials": results}


OPS = {"hello": hello, "step": step, "grid": grid}


def finite(o):
    """JSON has no NaN or infinity: they travel as null."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [finite(v) for v in o]
    return o


def main():
    if torch is not None:
        # One thread, as a gradflow task; the environment (OMP_NUM_THREADS=1) covers OpenBLAS's own pool.
        torch.set_num_threads(1)
    while True:
        # readline, not iteration: an answer must go out as soon as its request line has arrived.
        line = sys.stdin.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if torch is None:
                ans = {"ok": False, "unavailable": "import torch failed (%s)" % TORCH_ERROR}
            elif req.get("op") not in OPS:
                ans = {"ok": False, "error": "op '%s' is not one of %s" % (req.get("op"), ", ".join(OPS))}
            else:
                ans = OPS[req["op"]](req)
        except Exception as e:
            ans = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(finite(ans), allow_nan=False) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
