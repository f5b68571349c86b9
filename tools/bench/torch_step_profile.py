#!/usr/bin/env python3
"""Where a training step of the PyTorch peer (../shared/reference/torch/parameternet_ref.py) goes,
in pnet's categories, plus images/s at 1 and 2 threads.

Each module's forward (forward pre/post hooks) and backward (a hook on its output's gradient,
then its full backward hook) is timed exclusively: time inside a child module goes to the child.
What is inside no module (loss, autograd engine) is "other". The optimizer (AdamW step + zero_grad)
is timed around the call. Timing changes the peer slightly: inplace activations are made out of
place and the input requires grad (so every module's backward hook fires); the hooked step's time
is printed beside the unhooked one.

  python3 tools/bench/torch_step_profile.py --model ghostnet_300m --res 224 --batch 32
  python3 tools/bench/torch_step_profile.py --model ghostnet_300m --res 64 --batch 64 --width 0.5 --classes 100
"""
import argparse, json, os, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

sys.path.insert(0, os.environ.get("PNET_TORCH_REF", "/work/shared/reference/torch"))
import parameternet_ref as ref  # noqa: E402


def category(m):
    if isinstance(m, ref.DynamicConv):
        return "dynamic conv"
    if isinstance(m, ref.SqueezeExcite):
        return "SE"
    if isinstance(m, nn.Conv2d):
        if m.kernel_size == (1, 1):
            return "conv 1x1"
        if m.groups == m.in_channels and m.groups > 1:
            return "depthwise conv"
        return "conv other (stem)"
    if isinstance(m, nn.BatchNorm2d):
        return "BN"
    if isinstance(m, (nn.Hardswish, nn.ReLU, nn.Hardsigmoid)):
        return "activation"
    if isinstance(m, ref.GhostModule):
        return "concat, slices"
    if isinstance(m, ref.GhostBottleneck):
        return "residual adds, other"
    return None  # Sequential, Identity, the model, heads: time stays with the enclosing label


class Clock:
    def __init__(self):
        self.acc, self.stack, self.last = {}, ["other"], time.perf_counter()

    def _charge(self):
        now = time.perf_counter()
        self.acc[self.stack[-1]] = self.acc.get(self.stack[-1], 0.0) + now - self.last
        self.last = now

    def enter(self, label):
        self._charge()
        self.stack.append(label)

    def exit(self, label):
        self._charge()
        if label in self.stack[1:]:
            i = len(self.stack) - 1 - self.stack[::-1].index(label)
            del self.stack[i]


def instrument(model, clock):
    leafs = (ref.DynamicConv, ref.SqueezeExcite)
    skip = set()
    for m in model.modules():
        if isinstance(m, leafs):
            skip.update(id(c) for c in m.modules() if c is not m)
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
        label = category(m)
        if label is None or id(m) in skip:
            continue

        def pre(mod, inp, label=label):
            clock.enter(label)

        def post(mod, inp, out, label=label):
            clock.exit(label)
            if torch.is_tensor(out) and out.requires_grad:
                out.register_hook(lambda g, label=label: clock.enter(label))

        m.register_forward_pre_hook(pre)
        m.register_forward_hook(post)
        m.register_full_backward_hook(lambda mod, gi, go, label=label: clock.exit(label))


def run(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    width = None if args.width == "default" else float(args.width)
    model = ref.create_model(args.model, num_classes=args.classes, width=width, impl="bmm").train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    x = torch.randn(args.batch, 3, args.res, args.res)
    y = torch.randint(0, args.classes, (args.batch,))

    def step(clock=None):
        if clock:
            clock.enter("optimizer")
        opt.zero_grad(set_to_none=True)
        if clock:
            clock.exit("optimizer")
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if clock:
            clock.enter("optimizer")
        opt.step()
        if clock:
            clock.exit("optimizer")

    for _ in range(args.warmup):
        step()
    plain = []
    for _ in range(args.steps):
        t = time.perf_counter()
        step()
        plain.append(time.perf_counter() - t)
    out = {"model": args.model, "res": args.res, "batch": args.batch, "threads": args.threads,
           "step_s": sorted(plain), "img_per_s": args.batch / sorted(plain)[len(plain) // 2]}
    if args.profile:
        clock = Clock()
        instrument(model, clock)
        x.requires_grad_(True)
        step()  # warm the hooked path
        clock.acc, hooked = {}, []
        for _ in range(args.steps):
            clock.stack, clock.last = ["other"], time.perf_counter()
            t = time.perf_counter()
            step(clock)
            clock._charge()
            hooked.append(time.perf_counter() - t)
        out["hooked_step_s"] = sorted(hooked)
        out["per_step_ms"] = {k: 1000 * v / args.steps for k, v in sorted(clock.acc.items(), key=lambda kv: -kv[1])}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="ghostnet_300m")
    ap.add_argument("--res", type=int, default=224)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--width", default="default")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    r = run(ap.parse_args())
    print(json.dumps(r, indent=1))
    if "per_step_ms" in r:
        total = sum(r["per_step_ms"].values())
        for k, v in r["per_step_ms"].items():
            print(f"| {k} | {v:.0f} | {100 * v / total:.1f}% |")


if __name__ == "__main__":
    main()
