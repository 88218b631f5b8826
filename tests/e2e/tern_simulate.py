#!/usr/bin/python3
"""NumPy simulation of what the ternrt runtime computes for a .tern model in the dynamic
activation mode (ARCHITECTURE.md section 4), the reference of the ternary end-to-end tests.

Ternary Conv2D / FullyConnected layers are simulated with the runtime's arithmetic, in float32
where the runtime uses float32:
  input x (float32, NHWC) quantized per tensor as kernels/quantize/quantize-scalar.cc does:
    lo = min(min x, 0), hi = max(max x, 0); all zero -> scale 1, zp 0
    scale = (hi - lo) / 255;  zp = clamp(-128 - rint(lo / scale), -128, 127)
    q = clamp(rint(x / scale) + zp, -128, 127)              (float32, rint = half to even)
  conv padding contributes q = zp (float zero), im2col columns in (ky, kx, c) order
  acc[n] = sum_k t[n][k] * (q[k] - zp)                       (exact integers)
  y = float32(acc) * float32(scale_n * scale) + bias_n       (float32, no FMA), then the activation.
Every other operator is evaluated in float64 by tests/converter/tern_reference.py (imported, not
copied); every operator's output is then rounded to float32, as the runtime stores it.

flatc --json prints floats with 6 decimals, too few for scales used in float32
arithmetic, so exact scales are read from the .tern bytes (see exact_f32_vector)."""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "converter"))
import tern_reference  # noqa: E402

F32 = np.float32


MIN_TERNARY_GEMM_DEPTH = 32  # runtime/src/ops/ternary-gemm.h


def ternary_depth(layer):
    """K of a ternary layer: the product of its logical shape after the output channels."""
    return int(np.prod(layer.shape[1:]))


def quantize_dynamic(x):
    """x: float32 array -> (q int32 array, scale float32, zero point int)."""
    x = np.asarray(x, dtype=F32)
    lo = min(F32(x.min()), F32(0))
    hi = max(F32(x.max()), F32(0))
    if hi == lo:
        return np.zeros(x.shape, np.int32), F32(1), 0
    scale = F32(F32(hi - lo) / F32(255))
    zp = F32(-128) - np.rint(F32(lo / scale))
    zp = int(min(F32(127), max(F32(-128), zp)))
    q = np.rint((x / scale).astype(F32)) + F32(zp)
    q = np.clip(q, -128, 127).astype(np.int32)
    return q, scale, zp


def exact_f32_vector(raw, approx):
    """The float32 vector stored in the FlatBuffer `raw` whose values flatc printed as `approx`
    (6 decimals): the 4-aligned (uint32 length, float32 values) run that matches to within the
    print rounding (5e-7 absolute) plus float32 representation (1e-6 relative).
    Runs with the same values (e.g. levels == scales) are fine; differing matches are an error."""
    approx = np.asarray(approx, dtype=np.float64)
    n = approx.size
    head = struct.pack("<I", n)
    found = set()
    start = 0
    while True:
        p = raw.find(head, start)
        if p < 0:
            break
        start = p + 1
        if p % 4 or p + 4 + 4 * n > len(raw):
            continue
        vals = np.frombuffer(raw, dtype="<f4", count=n, offset=p + 4)
        if np.all(np.abs(vals.astype(np.float64) - approx) <= 5.01e-7 + 1e-6 * np.abs(approx)):
            found.add(vals.tobytes())
    if len(found) != 1:
        raise ValueError("cannot locate the exact float32 vector %s... in the file (%d candidates)" % (approx[:3], len(found)))
    return np.frombuffer(found.pop(), dtype="<f4").copy()


class TernaryLayer:
    """Trits (N, K) int32, exact float32 scales (N) and the logical shape of a TERNARY2 tensor."""

    def __init__(self, model, tensor, raw):
        tw = tensor["ternary"]
        self.shape = tw["logical_shape"]
        n, k = self.shape[0], int(np.prod(self.shape[1:]))
        packed = model["buffers"][tw["buffer"]]["data"]
        self.trits = tern_reference.unpack_trits(packed, tw.get("packing", "CANONICAL_2BIT"), n, k).astype(np.int64)
        scales = exact_f32_vector(raw, tw["scales"])
        self.scales = np.broadcast_to(scales, (n,)).astype(F32)


def im2col(q, zp, kh, kw, o):
    """q: (B, H, W, C) int -> (B, OH, OW, KH*KW*C) patches, padding filled with zp."""
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    dh, dw = o.get("dilation_h", 1), o.get("dilation_w", 1)
    qp = np.pad(q, ((0, 0), (o.get("pad_top", 0), o.get("pad_bottom", 0)), (o.get("pad_left", 0), o.get("pad_right", 0)), (0, 0)),
                constant_values=zp)
    b, h, w, c = qp.shape
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (w - (kw - 1) * dw - 1) // sw + 1
    cols = [qp[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw, :] for i in range(kh) for j in range(kw)]
    return np.concatenate(cols, axis=-1)


def ternary_layer(x, layer, bias, act, conv_options=None):
    """One ternary Conv2D (conv_options given) or FullyConnected layer, returns float64 output."""
    x32 = np.asarray(x, dtype=F32)
    q, scale, zp = quantize_dynamic(x32)
    if conv_options is not None:
        oc, kh, kw, _ = layer.shape
        patches = im2col(q, zp, kh, kw, conv_options).astype(np.int64)
    else:
        patches = q.reshape(q.shape[0], -1).astype(np.int64)
    acc = (patches - zp) @ layer.trits.T
    multiplier = (layer.scales * scale).astype(F32)
    y = (acc.astype(F32) * multiplier).astype(F32) + np.asarray(bias, dtype=F32)
    return tern_reference.activate(y.astype(np.float64), act)


def run(model, raw, inputs):
    """Evaluates the model (from tern_reference.load_tern) on NHWC inputs; raw = the .tern bytes.
    Returns (outputs, number of ternary layers simulated)."""
    g = model["graph"]
    tensors = g["tensors"]
    values, ternary = {}, {}
    for i, t in enumerate(tensors):
        if t.get("type", "F32") == "TERNARY2":
            ternary[i] = TernaryLayer(model, t, raw)
        v = tern_reference.tensor_value(model, t)
        if v is not None:
            values[i] = v
    for idx, arr in zip(g["inputs"], inputs):
        values[idx] = np.asarray(arr, dtype=np.float64).reshape(tensors[idx]["shape"])
    simulated = 0
    for op in g["operators"]:
        code = op.get("opcode", "CONV_2D")
        o = op.get("options") or {}
        ins = [values[i] if i >= 0 else None for i in op["inputs"]]
        # Grouped/depthwise ternary convolutions and layers with K < 32 inputs per output
        # (runtime/src/ops/ternary-gemm.h, kMinTernaryGemmDepth) run in float with weights scale * trit
        # (the runtime expands them), which tern_reference does for TERNARY2 tensors.
        weights = op["inputs"][1] if code in ("CONV_2D", "FULLY_CONNECTED") else None
        int8_path = (code == "FULLY_CONNECTED" or o.get("groups", 1) == 1) and (
            weights not in ternary or ternary_depth(ternary[weights]) >= MIN_TERNARY_GEMM_DEPTH)
        if code in ("CONV_2D", "FULLY_CONNECTED") and op["inputs"][1] in ternary and int8_path:
            bias = ins[2] if len(ins) > 2 and ins[2] is not None else np.zeros(ternary[op["inputs"][1]].shape[0])
            y = ternary_layer(ins[0], ternary[op["inputs"][1]], bias, o.get("activation"), o if code == "CONV_2D" else None)
            simulated += 1
        else:
            y = evaluate_float_op(model, op, ins)
            simulated += weights in ternary  # grouped or K < 32: expanded weights
        y = y.reshape(tensors[op["outputs"][0]]["shape"]).astype(np.float32).astype(np.float64)
        values[op["outputs"][0]] = y
    return [values[i] for i in g["outputs"]], simulated


def evaluate_float_op(model, op, ins):
    """A non-ternary operator, evaluated by tern_reference.run on a one-operator model that holds
    only the tensors this operator uses (so its semantics stay those of tern_reference)."""
    tensors = model["graph"]["tensors"]
    used = [i for i in op["inputs"] if i >= 0] + list(op["outputs"])
    local = {t: j for j, t in enumerate(dict.fromkeys(used))}
    activations = [i for i in dict.fromkeys(op["inputs"]) if i >= 0 and tern_reference.tensor_value(model, tensors[i]) is None]
    sub_op = dict(op, inputs=[local[i] if i >= 0 else -1 for i in op["inputs"]], outputs=[local[i] for i in op["outputs"]])
    sub = {"buffers": model["buffers"],
           "graph": {"tensors": [tensors[t] for t in local], "operators": [sub_op],
                     "inputs": [local[i] for i in activations], "outputs": [local[op["outputs"][0]]]}}
    return tern_reference.run(sub, [ins[op["inputs"].index(i)] for i in activations])[0]
