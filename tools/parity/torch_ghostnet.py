"""GhostNet and ParameterNet in PyTorch, written from the paper's definition (GhostNet
bottlenecks; ParameterNet's dynamic convs: M expert kernels mixed per sample by
sigmoid(Linear(avgpool(x))); Table 6's RepConv: at the same positions, parallel conv + BN
branches summed), independently of pnet's Java code. Modules carry pnet's layer names
(stem, b<i>_ghost1_primary, ...) only so that weights can be moved by name: Net.pnet() gives every
parameter and running statistic under pnet's layer name and key, in Deeplearning4j's layouts.
Used by step_parity.py (golden values for the step-parity test) and fashion_mnist.py (the
real-data comparison).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# k, expansion, out, SE ratio, stride: BlockTables.GHOSTNET_MICRO
MICRO = [(3, 16, 16, 0, 1), (3, 48, 24, 0, 2), (3, 72, 24, 0, 1), (5, 72, 40, 0.25, 2),
         (5, 120, 40, 0.25, 1), (3, 240, 80, 0, 2), (3, 200, 80, 0.25, 1)]
# BlockTables.GHOSTNET_V1 (GhostNet's CVPR'20 table)
V1 = [(3, 16, 16, 0, 1), (3, 48, 24, 0, 2), (3, 72, 24, 0, 1), (5, 72, 40, 0.25, 2),
      (5, 120, 40, 0.25, 1), (3, 240, 80, 0, 2), (3, 200, 80, 0, 1), (3, 184, 80, 0, 1),
      (3, 184, 80, 0, 1), (3, 480, 112, 0.25, 1), (3, 672, 112, 0.25, 1), (5, 672, 160, 0.25, 2),
      (5, 960, 160, 0, 1), (5, 960, 160, 0.25, 1), (5, 960, 160, 0, 1), (5, 960, 160, 0.25, 1)]
MODELS = {  # pnet's registry name: block table, width, experts, stem, features, head, branches
    "parameternet_micro_32": (MICRO, 0.5, 4, 16, 480, 256, 1),
    "ghostnet_micro_32": (MICRO, 0.5, 0, 16, 480, 256, 1),
    "repconv_micro_32": (MICRO, 0.5, 0, 16, 480, 256, 4),
    "parameternet_small_64": (V1, 0.5, 4, 16, 960, 1280, 1),
    "ghostnet_small_64": (V1, 0.5, 0, 16, 960, 1280, 1),
}
# ParameterNet's dynamic positions (RepConv's branched ones); the bottleneck's strided depthwise
# and SE stay static
DYNAMIC = {"stem", "primary", "cheap", "sc_dw", "sc_pw", "final"}
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def make_divisible(v, divisor=4):
    r = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return r + divisor if r < 0.9 * v else r


class DynamicConv(nn.Module):
    def __init__(self, cin, cout, k, stride, groups, experts):
        super().__init__()
        self.stride, self.padding, self.groups = stride, k // 2, groups
        self.shape = (cout, cin // groups, k, k)
        self.routing = nn.Linear(cin, experts)
        self.experts = nn.Parameter(torch.empty(experts, math.prod(self.shape)))
        bound = 1 / math.sqrt(math.prod(self.shape[1:]))
        nn.init.uniform_(self.experts, -bound, bound)

    def forward(self, x):
        b, c, h, w = x.shape
        alpha = torch.sigmoid(self.routing(x.mean((2, 3))))
        kernels = (alpha @ self.experts).view((b * self.shape[0],) + self.shape[1:])
        # each sample its own kernel: the batch folded into the groups of one convolution
        y = F.conv2d(x.reshape(1, b * c, h, w), kernels, None, self.stride, self.padding, 1,
                     self.groups * b)
        return y.view(b, self.shape[0], y.shape[-2], y.shape[-1])

    def pnet(self):
        return {"W": self.experts, "RW": self.routing.weight.t(), "Rb": self.routing.bias[None]}


class StaticConv(nn.Conv2d):
    def __init__(self, cin, cout, k, stride, groups):
        super().__init__(cin, cout, k, stride, k // 2, groups=groups, bias=False)

    def pnet(self):
        if self.groups > 1:  # DL4J's depthwise layout: (k, k, C, multiplier)
            return {"W": self.weight.permute(2, 3, 0, 1)}
        return {"W": self.weight}


class ConvBn(nn.Module):
    """pnet's convBn: <name>_conv then <name>_bn (BatchNorm and activation). With branches > 1 at
    a dynamic position, RepConv's training form: <name>_rep<i>_conv and _bn beside them, the
    branches' BN outputs summed (<name>_sum), then the activation (<name>_act)."""

    def __init__(self, role, cin, cout, k, stride, groups, experts, act, branches=1):
        super().__init__()
        dynamic = experts > 0 and role in DYNAMIC
        self.conv = (DynamicConv(cin, cout, k, stride, groups, experts) if dynamic
                     else StaticConv(cin, cout, k, stride, groups))
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        n = branches if role in DYNAMIC else 1
        self.rep = nn.ModuleList(
            nn.ModuleDict({"conv": StaticConv(cin, cout, k, stride, groups),
                           "bn": nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)})
            for _ in range(n - 1))
        self.act = act

    def forward(self, x):
        y = self.bn(self.conv(x))
        for r in self.rep:
            y = y + r["bn"](r["conv"](x))
        return F.hardswish(y) if self.act else y

    def pnet(self, name):
        self.name = name + ("_bn" if not self.rep else "_act" if self.act else "_sum")
        p = {name + "_conv": self.conv.pnet(), name + "_bn": bn_pnet(self.bn)}
        for i, r in enumerate(self.rep, 1):
            p["%s_rep%d_conv" % (name, i)] = r["conv"].pnet()
            p["%s_rep%d_bn" % (name, i)] = bn_pnet(r["bn"])
        return p


def bn_pnet(bn):
    return {"gamma": bn.weight[None], "beta": bn.bias[None],
            "mean": bn.running_mean[None], "var": bn.running_var[None]}


class Ghost(nn.Module):
    def __init__(self, cin, cout, experts, act, branches):
        super().__init__()
        half = cout // 2
        self.primary = ConvBn("primary", cin, half, 1, 1, 1, experts, act, branches)
        self.cheap = ConvBn("cheap", half, half, 3, 1, half, experts, act, branches)

    def forward(self, x):
        p = self.primary(x)
        return torch.cat([p, self.cheap(p)], 1)

    def pnet(self, name):
        return {**self.primary.pnet(name + "_primary"), **self.cheap.pnet(name + "_cheap")}


class SqueezeExcite(nn.Module):
    def __init__(self, chs, ratio):
        super().__init__()
        red = make_divisible(chs * ratio)
        self.reduce = nn.Conv2d(chs, red, 1, bias=True)
        self.expand = nn.Conv2d(red, chs, 1, bias=True)

    def forward(self, x):
        s = self.expand(F.hardswish(self.reduce(x.mean((2, 3), keepdim=True))))
        return x * F.hardsigmoid(s)

    def pnet(self, name):
        return {name + "_reduce": {"W": self.reduce.weight, "b": self.reduce.bias[None]},
                name + "_expand": {"W": self.expand.weight, "b": self.expand.bias[None]}}


class Bottleneck(nn.Module):
    def __init__(self, cin, row, width, experts, branches):
        super().__init__()
        k, exp, c, se, stride = row
        mid, out = make_divisible(exp * width), make_divisible(c * width)
        self.ghost1 = Ghost(cin, mid, experts, True, branches)
        self.dw = ConvBn("dw", mid, mid, k, stride, mid, experts, False) if stride > 1 else None
        self.se = SqueezeExcite(mid, se) if se > 0 else None
        self.ghost2 = Ghost(mid, out, experts, False, branches)
        self.sc = None
        if cin != out or stride > 1:
            self.sc = nn.ModuleList(
                [ConvBn("sc_dw", cin, cin, k, stride, cin, experts, False, branches),
                 ConvBn("sc_pw", cin, out, 1, 1, 1, experts, False, branches)])
        self.out = out

    def forward(self, x):
        y = self.ghost1(x)
        if self.dw is not None:
            y = self.dw(y)
        if self.se is not None:
            y = self.se(y)
        y = self.ghost2(y)
        shortcut = x if self.sc is None else self.sc[1](self.sc[0](x))
        return y + shortcut

    def pnet(self, name):
        p = {**self.ghost1.pnet(name + "_ghost1"), **self.ghost2.pnet(name + "_ghost2")}
        if self.dw is not None:
            p.update(self.dw.pnet(name + "_dw"))
        if self.se is not None:
            p.update(self.se.pnet(name + "_se"))
        if self.sc is not None:
            p.update(self.sc[0].pnet(name + "_sc_dw"))
            p.update(self.sc[1].pnet(name + "_sc_pw"))
        return p


class Net(nn.Module):
    def __init__(self, model, classes, dropout=0.0):
        super().__init__()
        self.dropout = dropout
        table, width, experts, stem, features, head, branches = MODELS[model]
        chs = make_divisible(stem * width)
        self.stem = ConvBn("stem", 3, chs, 3, 2, 1, experts, True, branches)
        blocks = []
        for row in table:
            blocks.append(Bottleneck(chs, row, width, experts, branches))
            chs = blocks[-1].out
        self.blocks = nn.ModuleList(blocks)
        feats = make_divisible(features * width)
        self.final = ConvBn("final", chs, feats, 1, 1, 1, experts, True, branches)
        self.head = nn.Linear(feats, head)
        self.classifier = nn.Linear(head, classes)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = self.final(x)
        x = F.hardswish(self.head(x.mean((2, 3))))
        return self.classifier(F.dropout(x, self.dropout, self.training))

    def pnet(self):
        """Every parameter and running statistic under pnet's layer name and key, DL4J layouts."""
        p = self.stem.pnet("stem")
        for i, b in enumerate(self.blocks):
            p.update(b.pnet("b%d" % i))
        p.update(self.final.pnet("final"))
        p["head_conv"] = {"W": self.head.weight.t(), "b": self.head.bias[None]}
        p["classifier"] = {"W": self.classifier.weight.t(), "b": self.classifier.bias[None]}
        return {layer + "/" + key: t for layer, keys in p.items() for key, t in keys.items()}


def timm_cosine(step, peak, warmup_lr, min_lr, warmup, total):
    """timm's CosineLRScheduler stepped per update (t_in_epochs=False, warmup_prefix=False)."""
    if step < warmup:
        return warmup_lr + step * (peak - warmup_lr) / warmup
    if step >= total:
        return min_lr
    return min_lr + 0.5 * (peak - min_lr) * (1 + math.cos(math.pi * step / total))
