#!/usr/bin/python3
"""NumPy reference evaluator for .tern files, used to check ternrt-convert against PyTorch before
(and independently of) the runtime. Reads the model through `flatc --json` (schema/ternrt.fbs),
runs it in float64 in NHWC; ternary weights are decoded to scale * trit (no int8 activations)."""
import json
import os
import subprocess
import tempfile

import numpy as np

ACT = {}


def load_tern(path, schema, flatc="flatc"):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([flatc, "--json", "--raw-binary", "--strict-json", "--defaults-json", "-o", tmp, schema, "--", path],
                       check=True)
        name = os.path.splitext(os.path.basename(path))[0] + ".json"
        with open(os.path.join(tmp, name)) as f:
            return json.load(f)


def unpack_trits(data, packing, n, k):
    data = np.asarray(data, dtype=np.uint8)
    if packing == "BASE3_5PER_BYTE":
        rb = (k + 4) // 5
        rows = data.reshape(n, rb).astype(np.int32)
        digits = np.stack([(rows // 3 ** i) % 3 for i in range(5)], axis=-1).reshape(n, rb * 5)
        assert (rows <= 242).all()
    else:
        rb = (k + 3) // 4
        rows = data.reshape(n, rb)
        digits = np.stack([(rows >> (2 * i)) & 3 for i in range(4)], axis=-1).reshape(n, rb * 4)
        assert (digits != 3).all()
    return digits[:, :k].astype(np.int8) - 1


def tensor_value(model, t):
    buffers = model["buffers"]
    if t.get("type", "F32") == "TERNARY2":
        tw = t["ternary"]
        shape = tw["logical_shape"]
        n, k = shape[0], int(np.prod(shape[1:]))
        trits = unpack_trits(buffers[tw["buffer"]]["data"], tw.get("packing", "CANONICAL_2BIT"), n, k)
        scales = np.asarray(tw["scales"], dtype=np.float64)
        scales = scales.reshape(-1, 1) if scales.size == n else scales.reshape(1, 1)
        return (trits * scales).reshape(shape)
    b = t.get("buffer", 0)
    if not b:
        return None
    raw = np.asarray(buffers[b]["data"], dtype=np.uint8).tobytes()
    return np.frombuffer(raw, dtype="<f4").astype(np.float64).reshape(t["shape"])


def activate(x, a):
    kind = (a or {}).get("type", "NONE")
    if kind == "NONE":
        return x
    if kind == "RELU":
        return np.maximum(x, 0)
    if kind == "RELU6":
        return np.clip(x, 0, 6)
    if kind == "CLIP":
        return np.clip(x, a.get("clip_min", 0), a.get("clip_max", 0))
    if kind == "HARD_SWISH":
        return x * np.clip(x + 3, 0, 6) / 6
    if kind == "HARD_SIGMOID":
        return np.clip(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0, 1)
    if kind == "SIGMOID":
        return 1 / (1 + np.exp(-x))
    raise ValueError(kind)


def conv(x, w, b, o):
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    dh, dw = o.get("dilation_h", 1), o.get("dilation_w", 1)
    g = o.get("groups", 1)
    x = np.pad(x, ((0, 0), (o.get("pad_top", 0), o.get("pad_bottom", 0)), (o.get("pad_left", 0), o.get("pad_right", 0)), (0, 0)))
    n, h, wd, c = x.shape
    oc, kh, kw, icg = w.shape
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (wd - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((n, oh, ow, oc))
    ocg = oc // g
    for gi in range(g):
        xs = x[..., gi * icg:(gi + 1) * icg]
        ws = w[gi * ocg:(gi + 1) * ocg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw, :]
                out[..., gi * ocg:(gi + 1) * ocg] += patch @ ws[:, i, j, :].T
    return out + b


def pool(x, o, kind):
    kh, kw = o["kernel_h"], o["kernel_w"]
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    pads = ((0, 0), (o.get("pad_top", 0), o.get("pad_bottom", 0)), (o.get("pad_left", 0), o.get("pad_right", 0)), (0, 0))
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, pads, constant_values=fill)
    ones = np.pad(np.ones_like(x), pads)
    n, h, w, c = xp.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, oh, ow, c))
    count = np.zeros((n, oh, ow, c))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw, :]
            cnt = ones[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw, :]
            if kind == "max":
                out = np.maximum(out, patch) if i or j else patch.copy()
            else:
                out += patch
                count += 1 if o.get("count_include_pad", False) else cnt
    return out if kind == "max" else out / count


def run(model, inputs):
    g = model["graph"]
    tensors = g["tensors"]
    values = {}
    for i, t in enumerate(tensors):
        v = tensor_value(model, t)
        if v is not None:
            values[i] = v
    for idx, arr in zip(g["inputs"], inputs):
        values[idx] = np.asarray(arr, dtype=np.float64).reshape(tensors[idx]["shape"])
    for op in g["operators"]:
        code = op.get("opcode", "CONV_2D")
        o = op.get("options") or {}
        ins = [values[i] if i >= 0 else None for i in op["inputs"]]
        a = o.get("activation")
        if code == "CONV_2D":
            y = activate(conv(ins[0], ins[1], ins[2], o), a)
        elif code == "FULLY_CONNECTED":
            x = ins[0].reshape(ins[0].shape[0], -1)
            y = activate(x @ ins[1].T + ins[2], a)
        elif code == "ADD":
            y = activate(ins[0] + ins[1], a)
        elif code == "MUL":
            y = activate(ins[0] * ins[1], a)
        elif code == "MAX_POOL_2D":
            y = activate(pool(ins[0], o, "max"), a)
        elif code == "AVG_POOL_2D":
            y = activate(pool(ins[0], o, "avg"), a)
        elif code == "GLOBAL_AVG_POOL":
            y = ins[0].mean(axis=(1, 2), keepdims=True)
        elif code == "RESHAPE":
            y = ins[0].reshape(tensors[op["outputs"][0]]["shape"])
        elif code == "CONCAT":
            y = np.concatenate(ins, axis=-1)
        elif code == "PAD":
            p = o["paddings"]
            y = np.pad(ins[0], [(p[2 * d], p[2 * d + 1]) for d in range(ins[0].ndim)], constant_values=o.get("value", 0.0))
        elif code == "SOFTMAX":
            e = np.exp(ins[0] - ins[0].max(axis=-1, keepdims=True))
            y = e / e.sum(axis=-1, keepdims=True)
        elif code == "ACTIVATION":
            y = activate(ins[0], a)
        else:
            raise ValueError("unknown opcode " + code)
        assert list(y.shape) == tensors[op["outputs"][0]]["shape"], (op.get("name"), y.shape)
        values[op["outputs"][0]] = y
    return [values[i] for i in g["outputs"]]
