#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reference values for tests/unit/test_stats.c, from implementations that
share nothing with src/analyze/stats.c.

Every reference is computed twice:
  - exactly, with rational arithmetic (fractions.Fraction, then a 60-digit
    decimal square root), which is the value the C code is held to (1e-12
    relative);
  - with numpy / scipy / statistics as a second, independent opinion, which
    must agree with the exact value (else this script fails: a reference that
    two implementations do not agree on is no reference).

Inputs are drawn from numpy's seeded generator, so the file is the same on
every run with the same numpy. Usage: gen_stats_ref.py OUTPUT
Needs Debian's python3-numpy and python3-scipy (run with /usr/bin/python3).
"""
import math
import statistics
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
from scipy import stats as sst

getcontext().prec = 60
AGREE = 1e-12  # statistics (fsum-based) against the exact value
# numpy/scipy sum plainly, and even statistics.correlation rounds its means:
# at a 1e12 offset both are off by about 1e-11. That is the precision loss the
# C code must avoid, so it is held to the exact value; the library opinions
# are held to this looser bound for the offset cases.
LOOSE = 1e-9
Z975 = sst.norm.ppf(0.975)

out = []


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def agree(what, exact, other, tol=AGREE):
    if not (rel(other, exact) <= tol):
        sys.exit(f"gen_stats_ref: {what}: numpy/scipy say {other!r}, exact {exact!r}")


def dec(q):
    return Decimal(q.numerator) / Decimal(q.denominator)


def exact_pearson(x, y):
    """r over the pairs where both are present, exactly; None if undefined"""
    pairs = [(Fraction(a), Fraction(b)) for a, b in zip(x, y)
             if not (math.isnan(a) or math.isnan(b))]
    n = len(pairs)
    mx = sum(p[0] for p in pairs) / n
    my = sum(p[1] for p in pairs) / n
    sxy = sum((a - mx) * (b - my) for a, b in pairs)
    sxx = sum((a - mx) ** 2 for a, _ in pairs)
    syy = sum((b - my) ** 2 for _, b in pairs)
    if sxx == 0 or syy == 0:
        return None, n
    r = dec(sxy) / (dec(sxx) * dec(syy)).sqrt()
    return float(r), n


def mask(x, y):
    m = ~(np.isnan(x) | np.isnan(y))
    return x[m], y[m]


def fmt(v):
    return "nan" if isinstance(v, float) and math.isnan(v) else repr(float(v))


def emit(name, op, param, x, y, refs):
    out.append(f"case {name} {op} {param}")
    out.append(f"x {len(x)} " + " ".join(fmt(v) for v in x))
    if y is not None:
        out.append(f"y {len(y)} " + " ".join(fmt(v) for v in y))
    for k, v in refs:
        if isinstance(v, (list, tuple, np.ndarray)):
            out.append(f"ref {k} {len(v)} " + " ".join(fmt(e) for e in v))
        else:
            out.append(f"ref {k} {fmt(v)}")
    out.append("end")


def pearson_case(name, x, y, tol=AGREE):
    r, n = exact_pearson(x, y)
    xm, ym = mask(x, y)
    agree(name + " pearson (scipy)", r, sst.pearsonr(xm, ym)[0], LOOSE)
    agree(name + " pearson (statistics)", r, statistics.correlation(list(xm), list(ym)), tol)
    lo = math.tanh(math.atanh(r) - Z975 / math.sqrt(n - 3))
    hi = math.tanh(math.atanh(r) + Z975 / math.sqrt(n - 3))
    emit(name, "pearson", 0, x, y, [("r", r), ("n", n), ("ci_lo", lo), ("ci_hi", hi)])


def spearman_case(name, x, y):
    xm, ym = mask(x, y)
    rx = sst.rankdata(xm, method="average")
    ry = sst.rankdata(ym, method="average")
    r, n = exact_pearson(rx, ry)
    agree(name + " spearman", r, sst.spearmanr(xm, ym)[0], LOOSE)
    agree(name + " spearman (statistics)", r, statistics.correlation(list(rx), list(ry)))
    emit(name, "spearman", 0, x, y, [("r", r), ("n", n)])


def sma_case(name, x, w):
    ref = []
    for i in range(len(x)):
        win = x[max(0, i - w + 1):i + 1]
        if i + 1 < w or any(math.isnan(v) for v in win):
            ref.append(float("nan"))
        else:
            ref.append(math.fsum(win) / w)
    conv = np.convolve(np.nan_to_num(x), np.ones(w) / w, mode="valid")
    for i in range(w - 1, len(x)):
        if not math.isnan(ref[i]):
            agree(f"{name} sma[{i}]", ref[i], conv[i - w + 1], LOOSE)
    emit(name, "sma", w, x, None, [("out", ref)])


def lag_pairs(x, y, lag):
    n = len(x)
    if lag >= 0:
        return x[:n - lag], y[lag:]
    return x[-lag:], y[:n + lag]


def lag_case(name, x, y, lag, tol=AGREE):
    a, b = lag_pairs(x, y, lag)
    r, n = exact_pearson(a, b)
    am, bm = mask(a, b)
    agree(f"{name} lag {lag}", r, statistics.correlation(list(am), list(bm)), tol)
    agree(f"{name} lag {lag} (scipy)", r, sst.pearsonr(am, bm)[0], LOOSE)
    emit(name, "lag", lag, x, y, [("r", r), ("n", n)])


def best_lag_case(name, x, y, max_lag):
    best, best_r, best_n = None, -1.0, 0
    # the order the C code documents: 0, -1, 1, -2, 2, ...; the first of equal |r| wins
    for lag in [0] + [s * k for k in range(1, max_lag + 1) for s in (-1, 1)]:
        a, b = lag_pairs(x, y, lag)
        r, n = exact_pearson(a, b)
        if r is not None and abs(r) > best_r:
            best, best_r, best_n, best_val = lag, abs(r), n, r
    emit(name, "bestlag", max_lag, x, y, [("lag", best), ("r", best_val), ("n", best_n)])


def dist_case(name, x):
    v = sorted(Fraction(e) for e in x if not math.isnan(e))
    n = len(v)
    mean = sum(v) / n
    var = sum((e - mean) ** 2 for e in v) / (n - 1)
    sd = (dec(var)).sqrt()
    cv = sd / dec(mean)

    def q(p):  # Hyndman-Fan type 7, exactly
        h = (n - 1) * Fraction(p)
        lo = math.floor(h)
        if lo + 1 >= n:
            return float(v[-1])
        return float(v[lo] + (h - lo) * (v[lo + 1] - v[lo]))

    cdf = [q(Fraction(i, 20)) for i in range(21)]
    xm = np.array([e for e in x if not math.isnan(e)])
    agree(name + " mean", float(mean), statistics.fmean(xm))
    agree(name + " sd", float(sd), statistics.stdev(xm))
    for p in (0.1, 0.5, 0.9):
        agree(f"{name} p{p}", q(Fraction(p).limit_denominator(100)),
              float(np.percentile(xm, 100 * p)), LOOSE)
    emit(name, "dist", 0, x, None,
         [("n", n), ("mean", float(mean)), ("sd", float(sd)), ("cv", float(cv)),
          ("min", q(0)), ("p10", q(Fraction(1, 10))), ("median", q(Fraction(1, 2))),
          ("p90", q(Fraction(9, 10))), ("max", q(1)), ("cdf", cdf)])


def with_nans(rng, x, frac):
    x = x.copy()
    x[rng.random(len(x)) < frac] = np.nan
    return x


def main():
    rng = np.random.default_rng(20240603)
    n = 500
    base = rng.normal(size=n)
    noise = rng.normal(size=n)

    # Pearson: plain, large offsets, negative, weak, missing values, small
    pearson_case("small", np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
                 np.array([2.0, 1, 4, 3, 7, 8, 6, 9, 12, 10]))
    pearson_case("plain", base, 0.6 * base + 0.8 * noise)
    pearson_case("offset1e9", 1e9 + base, 1e9 + 0.5 * base + 0.5 * noise, LOOSE)
    counts = rng.poisson(40, n).astype(float)
    pearson_case("offset1e12_counts", 1e12 + counts,
                 3e12 - 7 * counts + rng.poisson(30, n), LOOSE)
    pearson_case("bytes_gbit", 1.1e9 + 1e7 * base, 9.1e9 + 3e7 * (0.7 * base + noise), LOOSE)
    pearson_case("negative", base, -0.3 * base + noise)
    pearson_case("weak", base, 0.02 * base + noise)
    pearson_case("missing", with_nans(rng, base, 0.1), with_nans(rng, 0.5 * base + noise, 0.1))

    # Spearman: ties (small integers), ties with missing values, continuous
    t1 = rng.integers(0, 6, 200).astype(float)
    t2 = (t1 + rng.integers(0, 3, 200)).astype(float)
    spearman_case("ties", t1, t2)
    spearman_case("ties_missing", with_nans(rng, t1, 0.15), with_nans(rng, t2, 0.15))
    spearman_case("continuous", base, np.exp(base) + noise)
    spearman_case("offset_ties", 1e9 + t1, 5e9 - 3 * t2)

    # moving average
    sma_case("w20", base[:200], 20)
    sma_case("w7_offset1e9", 1e9 + base[:120] * 1e3, 7)
    sma_case("w5_missing", with_nans(rng, base[:100], 0.05), 5)
    sma_case("w1", base[:30], 1)

    # lagged Pearson: y follows x by 4 bins, on an autocorrelated series
    ar = np.zeros(400)
    for i in range(1, 400):
        ar[i] = 0.7 * ar[i - 1] + rng.normal()
    follow = np.concatenate([rng.normal(size=4), ar[:-4]]) + 0.5 * rng.normal(size=400)
    for lag in (-3, 0, 4, 9):
        lag_case(f"ar_lag{lag}", ar, follow, lag)
    lag_case("offset_lag4", 1e9 + ar, 2e9 + follow, 4, LOOSE)
    best_lag_case("ar_best", ar, follow, 10)
    best_lag_case("ar_best_missing", with_nans(rng, ar, 0.05), with_nans(rng, follow, 0.05), 10)
    lead = np.concatenate([ar[3:], rng.normal(size=3)])  # x leads y by 3 bins, negated
    best_lag_case("lead_negative", -lead + 0.3 * rng.normal(size=400), ar, 8)

    # distributions (summaries and CDF points)
    dist_case("dist_101", rng.normal(5, 2, 101))
    dist_case("dist_gbit", 9.1e9 + 2e8 * rng.normal(size=1000))
    dist_case("dist_missing", with_nans(rng, rng.gamma(2.0, 3.0, 250), 0.1))

    with open(sys.argv[1], "w") as f:
        f.write("# generated by tests/gen_stats_ref.py; do not edit\n")
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen_stats_ref.py OUTPUT")
    main()
