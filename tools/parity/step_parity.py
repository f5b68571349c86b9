#!/usr/bin/python3
"""Golden values for pnet's step-parity test (StepParityTest): PyTorch trains the same network
from the same weights on the same minibatches, and records what every step should give.

The network is written here from the paper's definition (GhostNet bottlenecks, ParameterNet's
dynamic convs: M expert kernels mixed per sample by sigmoid(Linear(avgpool(x)))), independently
of pnet's Java code; its modules carry pnet's layer names only so that weights can be moved by
name. The recipe is pnet's (docs/commands/pretrain.md): AdamW with decoupled weight decay on
weights only (timm's grouping: no decay on biases and 1-D parameters), timm's cosine schedule
stepped per update with a linear warm-up (warmup_prefix=False), label-smoothed cross-entropy,
BatchNorm with eps 1e-5 and momentum 0.1. Augmentation and dropout are off.

Needs Debian's python3-torch (run with /usr/bin/python3). Writes, per model, <out>/<model>.json
(recipe, per-step losses and learning rates, an index into the .bin) and <out>/<model>.bin
(little-endian float32: the minibatches, the initial and the final parameters, pnet's layouts).
The golden run is in float64; the same run in float32 is compared with it and the spread is
recorded (float32_spread), which is what the Java side's tolerances have to allow.

  tools/parity/step_parity.py [--out pipeline/src/test/resources/parity]
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_ghostnet import MEAN, STD, ConvBn, Net, timm_cosine

# The golden's models; a model's initial weights are seeded by its place here, so regenerating one
# model alone reproduces its files.
MODELS = ["parameternet_micro_32", "ghostnet_micro_32", "repconv_micro_32"]


def minibatches(count, batch, res, classes, seed):
    """Images a network can learn from: a class colour and a class stripe under noise, as uint8
    pixels normalised as pnet does; integer labels."""
    g = np.random.default_rng(seed)
    colours = g.uniform(40, 215, (classes, 3))
    xs, ys = [], []
    for _ in range(count):
        labels = g.integers(0, classes, batch)
        img = g.normal(0, 40, (batch, res, res, 3)) + colours[labels][:, None, None, :]
        for i, c in enumerate(labels):
            img[i, :, (c * 3) % res:(c * 3) % res + 3, :] += 60
        pixels = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        xs.append(((pixels.astype(np.float32) / 255 - MEAN) / STD).transpose(0, 3, 1, 2))
        ys.append(labels)
    return np.stack(xs).astype(np.float32), np.stack(ys).astype(np.int64)


def train(model, init, xs, ys, recipe, dtype):
    net = Net(model, recipe["classes"]).to(dtype)
    with torch.no_grad():
        for key, t in net.pnet().items():
            t.copy_(torch.from_numpy(init[key]).to(dtype).view(t.shape))
    probes = {}
    with torch.no_grad():  # the initial network on the first minibatch, both modes: every conv+BN
        net.pnet()
        for mode in ("eval", "train"):
            hooks = [m.register_forward_hook(
                lambda m, i, o, mode=mode: probes.__setitem__("probe/%s/%s" % (mode, m.name), o.numpy().copy()))
                for m in net.modules() if isinstance(m, ConvBn)]
            saved = {k: v.clone() for k, v in net.state_dict().items()}
            probes["probe/%s/logits" % mode] = net.train(mode == "train")(torch.from_numpy(xs[0]).to(dtype)).numpy().copy()
            net.load_state_dict(saved)
            for h in hooks:
                h.remove()
    net.train()
    decay = [p for n, p in net.named_parameters() if p.ndim > 1]
    rest = [p for n, p in net.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": recipe["weight_decay"]},
                             {"params": rest, "weight_decay": 0.0}], lr=recipe["lr"],
                            betas=(recipe["beta1"], recipe["beta2"]), eps=recipe["epsilon"])
    losses, lrs = [], []
    for step in range(recipe["steps"]):
        lr = timm_cosine(step, recipe["lr"], recipe["warmup_lr"], recipe["min_lr"],
                         recipe["warmup_steps"], recipe["steps"])
        for group in opt.param_groups:
            group["lr"] = lr
        k = step % len(xs)
        x = torch.from_numpy(xs[k]).to(dtype)
        loss = F.cross_entropy(net(x), torch.from_numpy(ys[k]),
                               label_smoothing=recipe["label_smoothing"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        lrs.append(lr)
    with torch.no_grad():
        final = {k: t.detach().to(torch.float64).numpy().copy() for k, t in net.pnet().items()}
    return losses, lrs, final, probes


def spread(a, b):
    """Each tensor's relative L2 difference."""
    return {k: float(np.linalg.norm(a[k] - b[k]) / max(np.linalg.norm(b[k]), 1e-30)) for k in a}


def write(out, model, recipe, xs, ys, init, losses, lrs, final, spread32, probes):
    index, blobs, offset = {}, [], 0

    def put(name, array):
        nonlocal offset
        flat = np.ascontiguousarray(array, dtype="<f4").reshape(-1)
        index[name] = [offset, flat.size, list(np.shape(array))]
        blobs.append(flat.tobytes())
        offset += flat.size

    put("data/features", xs)
    put("data/labels", ys.astype(np.float32))
    for k in sorted(probes):
        put(k, probes[k])
    for k in sorted(init):
        put("init/" + k, init[k])
    for k in sorted(final):
        put("final/" + k, final[k])
    meta = {"model": model, "recipe": recipe, "losses": losses, "lrs": lrs,
            "float32_loss_spread": spread32[0], "float32_spread": spread32[1],
            "tensors": index}
    with open(os.path.join(out, model + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(out, model + ".bin"), "wb") as f:
        f.write(b"".join(blobs))


def initial(model, recipe, i):
    """Torch's initialisation, with BN's affine parameters and statistics moved away from 1 and 0,
    rounded to float32 so that both sides start from exactly the same values."""
    torch.manual_seed(recipe["seed"] + i)
    net = Net(model, recipe["classes"])
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.8, 1.2)
        return {k: t.detach().numpy().astype(np.float32) for k, t in net.pnet().items()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="pipeline/src/test/resources/parity")
    p.add_argument("--models", nargs="+", default=MODELS)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    recipe = {"classes": 10, "resolution": 32, "batch": 8, "steps": 24, "lr": 4e-3,
              "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.05,
              "warmup_steps": 4, "warmup_lr": 1e-6, "min_lr": 1e-5, "label_smoothing": 0.1,
              "seed": 7}
    xs, ys = minibatches(8, recipe["batch"], recipe["resolution"], recipe["classes"], recipe["seed"])
    for model in a.models:
        init = initial(model, recipe, MODELS.index(model))
        losses, lrs, final, probes = train(model, init, xs, ys, recipe, torch.float64)
        losses32, _, final32, _ = train(model, init, xs, ys, recipe, torch.float32)
        loss_spread = max(abs(a_ - b) / abs(b) for a_, b in zip(losses32, losses))
        s32 = (loss_spread, spread(final32, final))
        write(a.out, model, recipe, xs, ys, init, losses, lrs, final, s32, probes)
        params = sum(v.size for k, v in init.items())
        print(json.dumps({"model": model, "values": params, "first_loss": losses[0],
                          "last_loss": losses[-1], "float32_loss_spread": s32[0],
                          "float32_worst_tensor_spread": max(s32[1].values())}), flush=True)


if __name__ == "__main__":
    main()
