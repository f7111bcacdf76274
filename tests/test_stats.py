"""Every statistic against an independent reference (statsmodels, scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from statsmodels.stats.proportion import proportion_confint

from autoforge_learn.stats import calibration, mean_interval, wilson_interval


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (47, 500), (1, 3)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(k, n, confidence):
    low, high = wilson_interval(k, n, confidence=confidence)
    ref_low, ref_high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)


def test_wilson_edges():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(5, 3)


def test_mean_interval_matches_statsmodels():
    from statsmodels.stats.weightstats import DescrStatsW

    rng = np.random.default_rng(3)
    data = rng.normal(10, 3, size=40)
    low, high = mean_interval(data)
    ref = DescrStatsW(data).tconfint_mean(alpha=0.05)
    assert (low, high) == pytest.approx(ref, abs=1e-10)
    assert mean_interval([1.0]) is None
    assert mean_interval([2.0, 2.0]) == (2.0, 2.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_bins", [5, 10])
def test_calibration_bins_and_brier_match_sklearn(seed, n_bins):
    rng = np.random.default_rng(seed)
    # Stated confidences on the 0-100 scale, including exact bucket edges.
    stated = np.concatenate([rng.integers(0, 101, size=500), [0, 20, 40, 60, 80, 100]])
    p = stated / 100
    y = rng.random(p.size) < np.clip(p - 0.15, 0, 1)
    result = calibration(y, p, n_bins=n_bins)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
    assert [b.observed_rate for b in result.bins] == pytest.approx(list(prob_true))
    assert [b.mean_predicted for b in result.bins] == pytest.approx(list(prob_pred))
    assert result.brier == pytest.approx(brier_score_loss(y, p))
    counts = np.array([b.count for b in result.bins])
    ece = np.sum(counts / p.size * np.abs(prob_true - prob_pred))
    assert result.ece == pytest.approx(ece)
    assert result.gap == pytest.approx(p.mean() - y.mean())


def test_calibration_finds_known_overconfidence_in_a_simulation():
    rng = np.random.default_rng(11)
    true_p = rng.uniform(0.3, 0.7, size=20_000)
    y = rng.random(true_p.size) < true_p
    honest = calibration(y, true_p)
    boasting = calibration(y, np.clip(true_p + 0.2, 0, 1))
    assert honest.ece < 0.02
    assert boasting.gap == pytest.approx(0.2, abs=0.01)
    assert boasting.ece == pytest.approx(0.2, abs=0.02)
    for b in honest.bins:
        assert b.interval[0] <= b.mean_predicted + 0.02 and b.mean_predicted - 0.02 <= b.interval[1]


def test_calibration_rejects_bad_input():
    with pytest.raises(ValueError):
        calibration([], [])
    with pytest.raises(ValueError):
        calibration([1, 0], [0.5])
    with pytest.raises(ValueError):
        calibration([1], [1.2])
