#!/usr/bin/python3
"""Independent NumPy computation of the ternary quantizers' threshold t and level a
(ARCHITECTURE.md section 6, docs/quantizers.md), in float64, written from the definitions:
  rtn     t = M/2,                 a = M                        (M = max |w| of the group)
  twn     t = 0.7 mean|w|,         a = mean |w| over |w| > t
  tquant  t = M/3,                 a = 2M/3
  mquant  t = sorted(|w|)[ceil(n/3) - 1],  a = mean |w| over |w| > t  (max |w| if none is above t)
  l2opt   k* = argmax_k P_k^2 / k (P = prefix sums of |w| sorted descending, smallest k on ties),
          a = P_k*/k*, t = a/2; the codes are the top-k* magnitudes.
An all-zero group gives t = 0, a = 0 (the quantizer's documented edge case)."""
import numpy as np


def group_threshold_level(method, w):
    """(t, a, number of zero codes) of one group of weights (1-D)."""
    mag = np.abs(np.asarray(w, dtype=np.float64).ravel())
    n = mag.size
    m = mag.max()
    if m == 0:
        return 0.0, 0.0, n
    if method == "rtn":
        t, a = m / 2, m
    elif method == "tquant":
        t, a = m / 3, 2 * m / 3
    elif method in ("twn", "mquant"):
        if method == "twn":
            t = 0.7 * mag.mean()
        else:
            t = np.sort(mag)[int(np.ceil(n / 3)) - 1]
        # The converter compares against the threshold rounded to float32.
        kept = mag[mag > np.float32(t)]
        a = kept.mean() if kept.size else m
    elif method == "l2opt":
        prefix = np.cumsum(np.sort(mag)[::-1])
        k = np.arange(1, n + 1)
        best = int(np.argmax(prefix ** 2 / k))  # argmax returns the first (smallest k) maximum
        a = prefix[best] / (best + 1)
        return a / 2, a, n - (best + 1)
    else:
        raise ValueError("unknown method " + method)
    return t, a, int(np.count_nonzero(mag <= np.float32(t)))


def threshold_level(method, rows):
    """Per row of `rows` (groups x values): arrays of t and a, and the total number of zero codes."""
    ts, levels, zeros = [], [], 0
    for row in rows:
        t, a, z = group_threshold_level(method, row)
        ts.append(t)
        levels.append(a)
        zeros += z
    return np.array(ts), np.array(levels), zeros
