"""Held-out metrics, all computed with scikit-learn where it has them."""

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve


def summary(y: np.ndarray, p: np.ndarray) -> dict:
    fpr, tpr, _ = roc_curve(y, p)
    return {
        "auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        # Kolmogorov-Smirnov: largest gap between the score distributions of defaulters
        # and non-defaulters, which equals max(TPR - FPR) over thresholds.
        "ks": float(np.max(tpr - fpr)),
        "logLoss": float(log_loss(y, p)),
    }


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list:
    """Observed default rate against mean predicted probability, in equal-count bins of
    the predicted probability (deciles), which stay populated however skewed p is."""
    order = np.argsort(p, kind="stable")
    rows = []
    for chunk in np.array_split(order, bins):
        rows.append({
            "from": float(p[chunk].min()), "to": float(p[chunk].max()), "n": int(len(chunk)),
            "meanPredicted": float(p[chunk].mean()), "observedRate": float(y[chunk].mean()),
        })
    return rows


def band_of(p: float, bands: list) -> str:
    for band in bands:
        if (p > band["min"]) if band.get("exclusive") else (p >= band["min"]):
            return band["band"]
    raise ValueError(p)


def band_table(y: np.ndarray, p: np.ndarray, bands: list) -> list:
    names = np.asarray([band_of(float(v), bands) for v in p])
    rows = []
    for band in bands:
        hit = names == band["band"]
        rows.append({"band": band["band"], "n": int(hit.sum()),
                     "share": float(hit.mean()),
                     "observedRate": float(y[hit].mean()) if hit.any() else None})
    return rows
