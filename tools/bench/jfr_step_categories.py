#!/usr/bin/env python3
"""Where a pnet training step goes, from a Java Flight Recorder file of `pnet bench models`.

Counts the training thread's samples (jdk.ExecutionSample: Java; jdk.NativeMethodSample: in native
code) whose stack is inside ComputationGraph's fit, and attributes each to the first rule below
that matches a frame of its stack (DynamicConv before the kernels it calls, and so on). OpenMP and
fork-join workers are not counted, so the shares are a wall-time split of the training thread.

  PNET_CDS=0 PNET_JAVA_OPTS=-XX:StartFlightRecording=filename=step.jfr,settings=profile \
    bin/pnet bench models --model ghostnet_300m --skip-latency --steps 4
  python3 tools/bench/jfr_step_categories.py step.jfr SECONDS [THREAD]   # THREAD default: main

SECONDS: only the last SECONDS of samples count, the timed steps (steps x s/step as bench models
prints them); the warm-up steps before them include a one-off workspace allocation and zero-fill
(about 6 s at 224x224 here) that a long run does not repeat.
"""
import re, subprocess, sys
from collections import Counter

RULES = [  # (category, frame substrings); first match in this order wins
    ("dynamic conv", ["DynamicConv"]),
    ("native bottleneck (oneDNN)", ["NativeBottleneckLayer", "BottleneckPlan", "DnnlProgram"]),
    ("optimizer", ["PytorchAdam", "updater.", "Updater.update", "AdamUpdater", "BaseMultiLayerUpdater"]),
    ("SE (scale, gate)", ["ChannelScale", "HardSigmoidGate"]),
    ("concat, copies", ["MergeVertex", "SubsetVertex"]),
    ("BN + activation", ["FusedBatchNorm", "VectorBatchNorm", "BatchNormActivation", "BatchNormalization",
                         "ActivationHardSwish", "ActivationLayer"]),
    ("depthwise conv", ["PlaneDepthwise", "LeanDepthwiseConvolution", "DepthwiseConvolution2DLayer"]),
    ("conv other (stem)", ["PlaneConvolution"]),
    ("conv 1x1 (incl. SE convs)", ["PointwiseGemm", "LeanConvolution", "ConvolutionLayer"]),
    ("residual adds, pooling", ["ElementWiseVertex", "GlobalPoolingLayer"]),
]


def main():
    path, last = sys.argv[1], float(sys.argv[2])
    thread = sys.argv[3] if len(sys.argv) > 3 else "main"
    text = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample",
                           "--stack-depth", "256", path], capture_output=True, text=True, check=True).stdout
    samples = []
    for event in re.split(r"\njdk\.(?:ExecutionSample|NativeMethodSample) \{", text)[1:]:
        m = re.search(r'sampledThread = "([^"]*)"', event)
        if not m or m.group(1) != thread or "ComputationGraph.fit" not in event:
            continue
        h, mi, sec = re.search(r"startTime = (\d+):(\d+):([\d.]+)", event).groups()
        frames = event.split("stackTrace = [", 1)[-1]
        top = frames.strip().split("\n", 1)[0]
        label = next((c for c, keys in RULES if any(k in frames for k in keys)), "other")
        if label == "other" and "Pointer.memset" in top:
            label = "workspace zero-fill"
        samples.append((int(h) * 3600 + int(mi) * 60 + float(sec), label))
    end = max(t for t, _ in samples)
    counts = Counter(label for t, label in samples if t >= end - last)
    total = sum(counts.values())
    print(f"{total} samples")
    for c, _ in RULES + [("workspace zero-fill", None), ("other", None)]:
        print(f"| {c} | {counts[c]} | {100 * counts[c] / max(total, 1):.1f}% |")


if __name__ == "__main__":
    main()
