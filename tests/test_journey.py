"""The block's journey (LayerNorm steps, sums at each ⊕, stream stages) against hand computations."""

import math

import numpy as np
import pytest

import reference as ref
from blockmath import BlockConfig, block, compute_trace, embed, init_params
from blockmath.core import layer_norm_steps
from blockmath.journey import block_journey, journey, journeys

TOL = 1e-9


def test_layer_norm_steps_hand_example():
    # row [1, 2, 3, 5]: mean 2.75, biased variance (3.0625 + 0.5625 + 0.0625 + 5.0625) / 4 = 2.1875
    gamma, beta = np.array([1.0, 2.0, 1.0, 0.5]), np.array([0.0, 0.0, 1.0, 0.0])
    s = layer_norm_steps(np.array([[1.0, 2.0, 3.0, 5.0]]), gamma, beta)
    sigma = math.sqrt(2.1875 + 1e-5)
    assert s.mean[0] == pytest.approx(2.75) and s.std[0] == pytest.approx(sigma)
    assert np.allclose(s.centered[0], [-1.75, -0.75, 0.25, 2.25], atol=TOL)
    assert np.allclose(s.normalized[0], np.array([-1.75, -0.75, 0.25, 2.25]) / sigma, atol=TOL)
    assert np.allclose(s.out[0], [-1.75 / sigma, -1.5 / sigma, 0.25 / sigma + 1, 1.125 / sigma], atol=TOL)


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_journey_retraces_the_block(norm):
    x = embed(["The", "cat", "sat", "."], 8, 3)
    p = init_params(8, 32, 2, seed=3)
    bt = block(x, p, norm)
    j = block_journey(bt, p)
    # independent: the loop reference's LayerNorm on the tensors each LN reads
    ln1_in = x if norm == "pre" else [[a + b for a, b in zip(r, s)] for r, s in zip(x.tolist(), bt.attn_out.tolist())]
    h = np.array(ref.layer_norm(ln1_in, p.ln1_gamma, p.ln1_beta)) if norm == "post" else x + bt.attn_out
    assert np.allclose(j.ln1.out, ref.layer_norm(ln1_in, p.ln1_gamma, p.ln1_beta), atol=TOL)
    assert np.allclose(j.sum1, x + bt.attn_out, atol=TOL)
    assert np.allclose(h, bt.h_attn, atol=TOL)
    ln2_in = bt.h_attn if norm == "pre" else bt.h_attn + bt.ffn_out
    assert np.allclose(j.ln2.out, ref.layer_norm(ln2_in.tolist(), p.ln2_gamma, p.ln2_beta), atol=TOL)
    assert np.allclose(j.sum2, bt.h_attn + bt.ffn_out, atol=TOL)
    direct = [[a + b + c for a, b, c in zip(r, s, u)] for r, s, u in zip(x.tolist(), bt.attn_out.tolist(),
                                                                      bt.ffn_out.tolist())]
    assert np.allclose(j.direct, direct, atol=TOL)  # x plus both updates, by hand
    if norm == "pre":  # what each branch reads, and out = x + both updates
        assert np.allclose(j.ln1.out, bt.ln1, atol=TOL) and np.allclose(j.ln2.out, bt.ln2, atol=TOL)
        assert np.allclose(bt.out, x + bt.attn_out + bt.ffn_out, atol=TOL)
        assert [n for n, _ in j.stages] == ["x", "h", "out"]
        assert np.allclose(j.direct, bt.out, atol=TOL)
    else:  # the stream's LayerNorms give h and out
        assert np.allclose(j.ln1.out, bt.h_attn, atol=TOL) and np.allclose(j.ln2.out, bt.out, atol=TOL)
        assert [n for n, _ in j.stages] == ["x", "sum1", "h", "sum2", "out"]
        assert np.abs(j.direct - bt.out).max() > 0.1  # post-norm's out is not x plus the two updates
    for (_, a), s in zip(j.stages, j.spread):
        assert np.allclose(s, [math.sqrt(sum((v - sum(r) / len(r)) ** 2 for v in r) / len(r)) for r in a.tolist()])


def test_trace_journey_follows_the_configured_norm():
    for norm in ("pre", "post"):
        t = compute_trace(BlockConfig(norm=norm))
        both = journeys(t)
        assert journey(t).norm == norm and np.array_equal(journey(t).ln2.out, both[norm].ln2.out)
        assert np.allclose(both[norm].sum2, t.placements[norm].h_attn + t.placements[norm].ffn_out)
