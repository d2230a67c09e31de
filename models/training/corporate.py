"""Corporate default models: Ohlson's O-score as a fixed logistic model.

Coefficients: Ohlson, J. A. (1980), "Financial Ratios and the Probabilistic Prediction
of Bankruptcy", Journal of Accounting Research 18(1), 109-131, Table 4, Model 1
(bankruptcy within one year). Nothing is estimated here: the project has no corporate
default data, so these models are the published formula with documented adaptations.
"""

import math

import numpy as np
import onnx

from . import VERSION, metrics, onnx_eval, onnx_graphs, spec, vectorise

INTERCEPT = -1.32

# The paper deflates total assets (in dollars) by a GNP price-level index with 1968 = 100,
# taken for the year before the balance sheet. A served model cannot look that series up,
# so one fixed level is used for every statement: roughly the 2024 US GNP implicit price
# deflator re-based to 1968 = 100. An error of +-15 % in it moves every O-score by only
# -+0.06, whereas dropping the deflation (or quoting assets in millions) would shift O by
# several units and push every firm into one band.
GNP_PRICE_INDEX = 650.0

# (name, coefficient, derivation, min, max, paper variable, description)
FEATURES = [
    ("size", -0.407, {"op": "log-ratio", "numerator": "total_assets", "constant": GNP_PRICE_INDEX}, 0, 25,
     "SIZE", "ln(total assets in USD / GNP price-level index); the index is fixed, see gnpPriceIndex."),
    ("tl_ta", 6.03, {"op": "ratio", "numerator": "total_liabilities", "denominator": "total_assets"}, 0, 10,
     "TLTA", "Total liabilities / total assets."),
    ("wc_ta", -1.43, {"op": "ratio", "numerator": "working_capital", "denominator": "total_assets"}, -10, 1,
     "WCTA", "Working capital / total assets."),
    ("cl_ca", 0.0757, {"op": "ratio", "numerator": "current_liabilities", "denominator": "current_assets"}, 0, 10,
     "CLCA", "Current liabilities / current assets."),
    ("oeneg", -1.72, {"op": "greater", "left": "total_liabilities", "right": "total_assets"}, 0, 1,
     "OENEG", "1 if total liabilities exceed total assets, else 0."),
    ("ni_ta", -2.37, {"op": "ratio", "numerator": "net_income", "denominator": "total_assets"}, -10, 10,
     "NITA", "Net income / total assets."),
    ("ffo_tl", -1.83, {"op": "ratio", "numerator": "funds_from_operations", "denominator": "total_liabilities"},
     -10, 10, "FUTL", "Funds from operations / total liabilities."),
    ("intwo", 0.285, {"op": "all-negative", "fields": ["net_income", "net_income_prior"]}, 0, 1,
     "INTWO", "1 if net income was negative in both the last and the prior period, else 0."),
    ("chin", -0.521, {"op": "change", "current": "net_income", "prior": "net_income_prior"}, -1, 1,
     "CHIN", "(NI_t - NI_t-1) / (|NI_t| + |NI_t-1|); 0 when both are 0."),
]
VECTOR = [f[0] for f in FEATURES]
COEF = np.asarray([f[1] for f in FEATURES])

STATEMENT_FIELDS = [
    {"name": "total_assets", "unit": "USD", "min": 0, "exclusiveMin": True, "description": "Total assets."},
    {"name": "total_liabilities", "unit": "USD", "min": 0, "description": "Total liabilities."},
    {"name": "current_assets", "unit": "USD", "min": 0, "description": "Current assets."},
    {"name": "current_liabilities", "unit": "USD", "min": 0, "description": "Current liabilities."},
    {"name": "working_capital", "unit": "USD", "default": "current_assets - current_liabilities",
     "description": "Working capital; optional, defaults to current assets minus current liabilities."},
    {"name": "net_income", "unit": "USD", "description": "Net income (after tax) of the period; negative for a loss."},
    {"name": "net_income_prior", "unit": "USD", "description": "Net income of the preceding period of equal length."},
    {"name": "funds_from_operations", "unit": "USD",
     "description": "Funds provided by operations: net cash from operating activities, or net income plus "
                    "depreciation, amortisation and other non-cash charges where no cash-flow statement exists."},
]

INPUT_RULES = {
    "missing": "reject: every statement field is required except working_capital",
    "zeroDenominator": "a ratio whose denominator is 0 is 0, so its term drops out of the O-score (only "
                       "current_assets and total_liabilities can be 0); CHIN is 0 when both net incomes are 0",
    "outOfRange": "clip: each feature is clipped to [min, max] after derivation (winsorising extreme ratios); "
                  "statement fields violating their own min are rejected",
}

QUARTERS = 8
QUARTER_FIELDS = [
    {**f, "description": f["description"] + " " + where}
    for f, where in [
        (STATEMENT_FIELDS[0], "Read from quarters[0] only (balance sheet at the latest quarter end)."),
        (STATEMENT_FIELDS[1], "Read from quarters[0] only."),
        (STATEMENT_FIELDS[2], "Read from quarters[0] only."),
        (STATEMENT_FIELDS[3], "Read from quarters[0] only."),
        (STATEMENT_FIELDS[4], "Read from quarters[0] only."),
        ({"name": "net_income", "unit": "USD", "description": "Net income of the quarter (after tax)."},
         "Required in all 8 quarters."),
        ({"name": "funds_from_operations", "unit": "USD",
          "description": "Funds provided by operations in the quarter (see the annual model)."},
         "Required in quarters[0..3]."),
    ]
]
AGGREGATION = {
    "latest": ["total_assets", "total_liabilities", "current_assets", "current_liabilities", "working_capital"],
    "sum": {
        "net_income": {"field": "net_income", "quarters": [0, 3]},
        "net_income_prior": {"field": "net_income", "quarters": [4, 7]},
        "funds_from_operations": {"field": "funds_from_operations", "quarters": [0, 3]},
    },
}

ANNUAL_SAMPLES = [
    # A large, profitable industrial company.
    {"total_assets": 5_000_000_000, "total_liabilities": 2_600_000_000, "current_assets": 1_800_000_000,
     "current_liabilities": 950_000_000, "net_income": 310_000_000, "net_income_prior": 280_000_000,
     "funds_from_operations": 520_000_000},
    # A mid-sized company with a first loss and thin liquidity.
    {"total_assets": 240_000_000, "total_liabilities": 190_000_000, "current_assets": 70_000_000,
     "current_liabilities": 78_000_000, "net_income": -12_000_000, "net_income_prior": 4_000_000,
     "funds_from_operations": 3_000_000},
    # A small company with two years of losses and liabilities above assets.
    {"total_assets": 18_000_000, "total_liabilities": 23_500_000, "current_assets": 4_200_000,
     "current_liabilities": 9_800_000, "working_capital": -5_600_000, "net_income": -3_900_000,
     "net_income_prior": -2_100_000, "funds_from_operations": -900_000},
    # Edge case: a holding shell with no current assets and zero income in both years
    # (CLCA and CHIN have zero denominators).
    {"total_assets": 2_000_000, "total_liabilities": 150_000, "current_assets": 0, "current_liabilities": 150_000,
     "net_income": 0, "net_income_prior": 0, "funds_from_operations": 0},
    # Edge case: no liabilities at all (FUTL has a zero denominator).
    {"total_assets": 3_000_000, "total_liabilities": 0, "current_assets": 500_000, "current_liabilities": 0,
     "net_income": 100_000, "net_income_prior": 80_000, "funds_from_operations": 150_000},
]


def _quarters(stocks: dict, ni: list, ffo: list) -> dict:
    quarters = []
    for i in range(QUARTERS):
        q = {"net_income": ni[i]}
        if i < 4:
            q["funds_from_operations"] = ffo[i]
        if i == 0:
            q.update(stocks)
        quarters.append(q)
    return {"quarters": quarters}


QUARTERLY_SAMPLES = [
    _quarters({"total_assets": 5_100_000_000, "total_liabilities": 2_650_000_000, "current_assets": 1_850_000_000,
               "current_liabilities": 960_000_000},
              [82_000_000, 75_000_000, 80_000_000, 73_000_000, 70_000_000, 69_000_000, 72_000_000, 69_000_000],
              [140_000_000, 125_000_000, 131_000_000, 124_000_000]),
    _quarters({"total_assets": 235_000_000, "total_liabilities": 196_000_000, "current_assets": 66_000_000,
               "current_liabilities": 80_000_000},
              [-6_000_000, -4_500_000, -1_000_000, -500_000, 1_500_000, 1_000_000, 900_000, 600_000],
              [-1_000_000, 500_000, 1_500_000, 2_000_000]),
    _quarters({"total_assets": 17_500_000, "total_liabilities": 24_000_000, "current_assets": 4_000_000,
               "current_liabilities": 10_200_000, "working_capital": -6_200_000},
              [-1_200_000, -1_100_000, -900_000, -800_000, -700_000, -600_000, -500_000, -300_000],
              [-400_000, -200_000, -200_000, -100_000]),
    _quarters({"total_assets": 2_000_000, "total_liabilities": 150_000, "current_assets": 0,
               "current_liabilities": 150_000},
              [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0]),
    _quarters({"total_assets": 3_000_000, "total_liabilities": 0, "current_assets": 500_000,
               "current_liabilities": 0},
              [30_000, 25_000, 25_000, 20_000, 22_000, 20_000, 20_000, 18_000],
              [45_000, 40_000, 35_000, 30_000]),
]


def direct_features(s: dict) -> list:
    """The paper's definitions written out by hand, to cross-check the manifest-driven
    vectoriser (two independent routes must give the same vector)."""
    ta, tl, ca, cl = s["total_assets"], s["total_liabilities"], s["current_assets"], s["current_liabilities"]
    wc = s.get("working_capital", ca - cl)
    ni, ni1, ffo = s["net_income"], s["net_income_prior"], s["funds_from_operations"]

    def ratio(a, b, lo, hi):
        return min(max(a / b, lo), hi) if b != 0 else 0.0

    return [
        min(max(math.log(ta / GNP_PRICE_INDEX), 0), 25),
        ratio(tl, ta, 0, 10), ratio(wc, ta, -10, 1), ratio(cl, ca, 0, 10),
        1.0 if tl > ta else 0.0, ratio(ni, ta, -10, 10), ratio(ffo, tl, -10, 10),
        1.0 if (ni < 0 and ni1 < 0) else 0.0,
        0.0 if abs(ni) + abs(ni1) == 0 else (ni - ni1) / (abs(ni) + abs(ni1)),
    ]


def o_score_probability(vector) -> np.ndarray:
    o = INTERCEPT + np.asarray(vector, dtype=np.float64) @ COEF
    return 1.0 / (1.0 + np.exp(-o))


def _random_vectors(n: int) -> np.ndarray:
    """Synthetic feature vectors spanning every feature's range, for checking the graph
    numerically beyond the handful of samples."""
    rng = np.random.default_rng(spec.SEED)
    cols = []
    for name, _, _, lo, hi, _, _ in FEATURES:
        if name in ("oeneg", "intwo"):
            cols.append(rng.integers(0, 2, n).astype(float))
        else:
            cols.append(rng.uniform(lo, hi, n))
    return np.stack(cols, axis=1)


def build(name: str) -> dict:
    quarterly = name == "corporate-quarterly"
    feature_entries = [
        {"name": f, "type": "number", "min": lo, "max": hi, "outOfRange": "clip", "coefficient": c,
         "paperVariable": var, "derivation": d, "description": desc}
        for f, c, d, lo, hi, var, desc in FEATURES
    ]
    if quarterly:
        raw_input = {
            "kind": "quarterly-statements", "quarters": QUARTERS, "order": "most-recent-first",
            "description": "An object {\"quarters\": [...]} with exactly 8 quarterly statements, most recent first. "
                           "They are first reduced to one annual-style statement (stocks from quarters[0], flows "
                           "summed over quarters[0..3], net_income_prior summed over quarters[4..7]); the features "
                           "are then derived from that statement exactly as in corporate-annual.",
            "quarterFields": QUARTER_FIELDS, "aggregation": AGGREGATION, "fields": STATEMENT_FIELDS,
        }
        requests = QUARTERLY_SAMPLES
    else:
        raw_input = {
            "kind": "annual-statement",
            "description": "One annual statement: balance sheet at the fiscal year end, income and funds flow "
                           "of that year, and the prior year's net income.",
            "fields": STATEMENT_FIELDS,
        }
        requests = ANNUAL_SAMPLES
    manifest_stub = {"features": feature_entries, "vector": VECTOR, "rawInput": raw_input}

    doc = ("Ohlson (1980) O-score, Model 1, as a logistic model; input is the already derived ratio vector"
           + (" computed from trailing-twelve-month figures." if quarterly else "."))
    onnx_model = onnx_graphs.linear_logit(name, VERSION, VECTOR, COEF, INTERCEPT, doc=doc)
    served = onnx.load_from_string(onnx_model.SerializeToString())

    samples = []
    for request in requests:
        vector = vectorise.corporate_vector(request, manifest_stub)
        statement = vectorise.aggregate_quarters(request, manifest_stub) if quarterly else request
        direct = direct_features(statement)
        assert np.allclose(vector, direct, rtol=0, atol=1e-12), (vector, direct)
        p = float(o_score_probability(vector))
        samples.append({
            "input": request, "vector": vector, "probability": p,
            "band": metrics.band_of(p, spec.BANDS), "contributions": dict(zip(VECTOR, (COEF * np.asarray(vector)).tolist())),
        })

    check = np.concatenate([np.asarray([s["vector"] for s in samples]), _random_vectors(5000)])
    p_onnx = onnx_eval.predict(served, check.astype(np.float32))[:, 0].astype(np.float64)
    max_diff = float(np.max(np.abs(p_onnx - o_score_probability(check))))
    if max_diff > spec.MAX_ONNX_DIFF:
        raise SystemExit(f"{name}: ONNX differs from the formula by {max_diff}")

    reason_codes = {
        "method": "linear", "unit": "logit",
        "description": "Contribution of a feature = coef * (x - reference); baseline + all contributions = "
                       "O-score = logit(probability). Positive raises the risk. With no population to take "
                       "means from, every reference is 0, so the baseline is the published intercept and a "
                       "contribution is the feature's whole term of the O-score.",
        "baseline": INTERCEPT,
        "columns": [{"column": f, "feature": f, "coef": float(c), "reference": 0.0} for f, c in zip(VECTOR, COEF)],
    }
    return {
        "name": name, "kind": "logistic", "onnx": onnx_model, "vector": VECTOR, "features": feature_entries,
        "rawInput": raw_input, "reasonCodes": reason_codes, "samples": samples, "maxDiff": max_diff,
        "rowsChecked": int(len(check)), "quarterly": quarterly,
    }

