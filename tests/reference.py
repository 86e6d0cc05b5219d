"""An independent, loop-by-loop reference implementation of the same formulas (no vectorization)."""

import math


def layer_norm(x, gamma, beta, eps=1e-5):
    out = []
    for row in x:
        mu = sum(row) / len(row)
        var = sum((v - mu) ** 2 for v in row) / len(row)
        out.append([g * (v - mu) / math.sqrt(var + eps) + b for v, g, b in zip(row, gamma, beta)])
    return out


def gelu(v):
    return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))


def matvec(row, w):  # row [n] times w [n, m] -> [m]
    return [sum(row[i] * w[i][j] for i in range(len(row))) for j in range(len(w[0]))]


def ffn(x, w1, b1, w2, b2):
    out = []
    for row in x:
        hidden = [gelu(h + b) for h, b in zip(matvec(row, w1), b1)]
        out.append([o + b for o, b in zip(matvec(hidden, w2), b2)])
    return out


def attention(x, wq, wk, wv, wo, n_heads, causal=True):
    T, d = len(x), len(x[0])
    dh = d // n_heads
    q = [matvec(r, wq) for r in x]
    k = [matvec(r, wk) for r in x]
    v = [matvec(r, wv) for r in x]
    weights = [[[0.0] * T for _ in range(T)] for _ in range(n_heads)]
    concat = [[0.0] * d for _ in range(T)]
    for h in range(n_heads):
        sl = range(h * dh, (h + 1) * dh)
        for t in range(T):
            visible = range(t + 1) if causal else range(T)
            scores = {s: sum(q[t][i] * k[s][i] for i in sl) / math.sqrt(dh) for s in visible}
            top = max(scores.values())
            z = sum(math.exp(sc - top) for sc in scores.values())
            for s, sc in scores.items():
                weights[h][t][s] = math.exp(sc - top) / z
            for i in sl:
                concat[t][i] = sum(weights[h][t][s] * v[s][i] for s in visible)
    return [matvec(r, wo) for r in concat], weights


def attention_parts(x, wq, wk, wv, wo, n_heads, causal=True):
    """Values, weighted values, per-head mixes, joined heads and output, one number at a time."""
    T, d = len(x), len(x[0])
    dh = d // n_heads
    _, weights = attention(x, wq, wk, wv, wo, n_heads, causal)
    v = [matvec(r, wv) for r in x]  # [T, d]
    values = [[[v[s][h * dh + i] for i in range(dh)] for s in range(T)] for h in range(n_heads)]
    weighted = [[[[weights[h][t][s] * values[h][s][i] for i in range(dh)] for s in range(T)] for t in range(T)]
                for h in range(n_heads)]
    mixes = [[[sum(weighted[h][t][s][i] for s in range(T)) for i in range(dh)] for t in range(T)]
             for h in range(n_heads)]
    joined = [[mixes[j // dh][t][j % dh] for j in range(d)] for t in range(T)]
    out = [matvec(r, wo) for r in joined]
    return values, weighted, mixes, joined, out


def add(a, b):
    return [[u + v for u, v in zip(ra, rb)] for ra, rb in zip(a, b)]


def block(x, p, norm="pre"):
    attn = lambda inp: attention(inp, p.wq, p.wk, p.wv, p.wo, p.n_heads)[0]
    mlp = lambda inp: ffn(inp, p.w1, p.b1, p.w2, p.b2)
    ln1 = lambda inp: layer_norm(inp, p.ln1_gamma, p.ln1_beta)
    ln2 = lambda inp: layer_norm(inp, p.ln2_gamma, p.ln2_beta)
    if norm == "pre":
        h = add(x, attn(ln1(x)))
        return add(h, mlp(ln2(h)))
    h = ln1(add(x, attn(x)))
    return ln2(add(h, mlp(h)))
