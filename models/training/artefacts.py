"""Manifests, model cards and the registry, written from training results.

Output is byte-for-byte deterministic: no timestamps, stable key order, floats printed
by Python's shortest round-trip repr.
"""

import hashlib
import json

import numpy as np
import onnx
import pandas
import scipy
import sklearn

from . import VERSION, corporate, spec

CREDIT_DESCRIPTION = {
    "credit-lr": "Probability that a retail loan application defaults, from a logistic regression on the "
                 "credit_data applications (standard scaling inside the graph).",
    "credit-gbdt": "Probability that a retail loan application defaults, from Platt-calibrated gradient-boosted "
                   "trees on the credit_data applications.",
}
CORPORATE_DESCRIPTION = {
    "corporate-annual": "Probability of corporate bankruptcy within one year from one annual statement: Ohlson's "
                        "(1980) O-score, Model 1, as published.",
    "corporate-quarterly": "Probability of corporate bankruptcy within one year from the last eight quarterly "
                           "statements: Ohlson's (1980) O-score, Model 1, on trailing-twelve-month figures.",
}
OHLSON = ('Ohlson, J. A. (1980), "Financial Ratios and the Probabilistic Prediction of Bankruptcy", '
          "Journal of Accounting Research 18(1), 109-131, Table 4, Model 1")
SAMPLE_TOLERANCE = {"probability": spec.MAX_ONNX_DIFF, "contribution": 1e-4}


def _r(value, digits=6):
    return None if value is None else round(float(value), digits)


def _metric_block(m: dict) -> dict:
    return {k: _r(m[k]) for k in ("auc", "brier", "ks", "logLoss")}


def _graph_block(model: onnx.ModelProto, n: int) -> dict:
    opsets = {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
    return {
        "input": {"name": spec.INPUT_NAME, "dtype": "float32", "shape": ["N", n]},
        "output": {"name": spec.OUTPUT_NAME, "dtype": "float32", "shape": ["N", 1],
                   "description": "Probability of default, one row per input row."},
        "graph": {"irVersion": model.ir_version, "opsets": opsets,
                  "operators": sorted({node.op_type for node in model.graph.node})},
    }


def libraries() -> dict:
    return {"scikit-learn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "pandas": pandas.__version__, "onnx": onnx.__version__}


def manifest(result: dict, onnx_bytes: bytes) -> dict:
    name = result["name"]
    model = result["onnx"]
    credit = name.startswith("credit")
    io = _graph_block(model, len(result["vector"]))
    out = {"name": name, "version": VERSION, "kind": result["kind"],
           "description": (CREDIT_DESCRIPTION if credit else CORPORATE_DESCRIPTION)[name],
           "input": io["input"], "output": io["output"], "graph": io["graph"]}
    if credit:
        out["rawInput"] = {"kind": "loan-application",
                           "description": "A JSON object keyed by the feature names below; a missing or null "
                                          "field is replaced by the feature's impute value."}
        out["inputRules"] = {
            "missing": "impute: absent or null fields take the feature's impute value",
            "unknownCategory": "reject: a category outside `categories` is invalid input",
            "outOfRange": "reject: a number outside [min, max] is invalid input; observedMin/observedMax give the "
                          "training range, beyond which the model extrapolates",
        }
    else:
        out["rawInput"] = result["rawInput"]
        out["inputRules"] = corporate.INPUT_RULES
        out["gnpPriceIndex"] = corporate.GNP_PRICE_INDEX
    out["features"] = result["features"]
    out["vector"] = result["vector"]
    out["reasonCodes"] = result["reasonCodes"]
    out["bands"] = spec.BANDS
    if credit:
        out["calibration"] = result["calibration"]
        out["metrics"] = {
            **_metric_block(result["metrics"]),
            "split": {"test": spec.TEST_SIZE, "seed": spec.SEED, "stratified": True},
            "rows": result["rows"],
            "defaultRate": {k: _r(v) for k, v in result["defaultRate"].items()},
            "onnx": {**_metric_block(result["metricsOnnx"]), "maxAbsDiff": float(f"{result['maxDiff']:.3g}"),
                     "rowsCompared": result["rowsChecked"]},
        }
        out["training"] = {
            "data": spec.DATA_LABEL, "sha256OfData": result["dataSha"], "target": "Status == \"bad\" (default = 1)",
            "algorithm": ("scikit-learn LogisticRegression (L2, lbfgs)" if result["kind"] == "logistic"
                          else "scikit-learn GradientBoostingClassifier (log-loss) + Platt scaling "
                               "(CalibratedClassifierCV, method=sigmoid, ensemble=False)"),
            "hyperparameters": result["hyperparameters"],
            "selection": f"{spec.CV_FOLDS}-fold stratified cross-validated AUC on the training split only",
            "imputation": "numbers: training-split median; categories: training-split most frequent level",
            "libraries": libraries(),
        }
    else:
        out["calibration"] = {"method": "none: published coefficients, not re-estimated or recalibrated"}
        out["metrics"] = None
        out["training"] = {"data": None, "sha256OfData": None, "source": OHLSON,
                           "coefficients": "published, not re-estimated; see the model card"}
    out["samples"] = result["samples"]
    out["sampleTolerance"] = SAMPLE_TOLERANCE
    out["sha256"] = hashlib.sha256(onnx_bytes).hexdigest()
    return out


def dumps(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ------------------------------------------------------------------------------- cards


def _fmt(v, digits=4):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _table(header: list, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _bands_text() -> str:
    return ("| band | probability of default |\n|---|---|\n| CRITICAL | > 15 % |\n| HIGH | >= 5 % and <= 15 % |\n"
            "| MEDIUM | >= 2 % and < 5 % |\n| LOW | < 2 % |\n\n"
            "The thresholds follow the AccuNode banding and are the same for every FinEdge model; "
            "the manifest's `bands` lists them highest first (the first band whose test passes wins).")


def _reliability(rows: list) -> str:
    return _table(["decile of predicted p", "rows", "mean predicted", "observed default rate"],
                  [[f"{r['from']:.3f} - {r['to']:.3f}", r["n"], _fmt(r["meanPredicted"]), _fmt(r["observedRate"])]
                   for r in rows])


def _samples_table(samples: list) -> str:
    return _table(["#", "probability", "band"],
                  [[i + 1, f"{s['probability']:.6f}", s["band"]] for i, s in enumerate(samples)])


def credit_card(result: dict, man: dict, sensitivity: dict, onnx_size: int) -> str:
    name = result["name"]
    lr = result["kind"] == "logistic"
    m, mo = result["metrics"], result["metricsOnnx"]
    feature_rows = []
    for f in result["features"]:
        if f["type"] == "number":
            feature_rows.append([f"`{f['name']}`", "number", f["unit"], f"{f['min']} - {f['max']}",
                                 f"{f['observedMin']} - {f['observedMax']}", f["impute"], f["description"]])
        else:
            feature_rows.append([f"`{f['name']}`", "category (one-hot)", "-", ", ".join(f["categories"]), "-",
                                 f["impute"], f["description"]])
    vector_rows = [[i, f"`{c}`"] for i, c in enumerate(result["vector"])]
    aucs = sensitivity[name]
    metric_rows = [[k, _fmt(m[k]), _fmt(mo[k])] for k in ("auc", "brier", "ks", "logLoss")]
    if not lr:
        u = result["uncalibrated"]
        metric_rows = [[k, _fmt(m[k]), _fmt(mo[k]), _fmt(u[k])] for k in ("auc", "brier", "ks", "logLoss")]
    gate = spec.MIN_AUC[name]
    parts = [f"# {name} {VERSION}: model card", "",
             man["description"], "",
             "## Intended use", "",
             "Scoring a retail loan application in the FinEdge API: the probability that the loan ends in default "
             "(`Status = bad` in the training data) and the matching risk band, with per-feature reason codes. "
             "It is a decision aid for credit staff, on applications resembling the training data (small consumer "
             "loans for the purchase of a good). It is not validated for other products, populations, currencies "
             "or periods, and must not be the sole basis of an adverse decision.", "",
             "## Output and risk bands", "",
             "`model.onnx` takes one float32 tensor `features` of shape [N, "
             f"{len(result['vector'])}] and returns one float32 tensor `probability` of shape [N, 1].", "",
             _bands_text(), "",
             "## Features", "",
             "A request is a JSON object with the raw fields below. Missing or `null` fields take the impute "
             "value (training-split median for numbers, most frequent training level for categories). A number "
             "outside the accepted range or an unknown category is rejected. Amounts are on the scale of the "
             "source data, which does not state its currency.", "",
             _table(["field", "type", "unit", "accepted range / levels", "training range", "impute", "meaning"],
                    feature_rows), "",
             "### Vector order", "",
             "The input tensor's columns, in order (`field=level` is a one-hot column: 1 if the field has that "
             "level, else 0):", "",
             _table(["column", "name"], vector_rows), "",
             "## Training data and provenance", "",
             f"`models/data/credit_data.csv` (sha256 `{result['dataSha']}`): {spec.DATA_LABEL}, 4,454 consumer "
             "credit applications with their outcome; see `models/data/README.md` for the source and how to "
             f"re-extract it. Default rate {result['defaultRate']['train']:.3f} in the training split and "
             f"{result['defaultRate']['test']:.3f} in the test split.", "",
             "## Split, seed and model selection", "",
             f"A stratified 75/25 train/test split with seed {spec.SEED} ({result['rows']['train']} training rows, "
             f"{result['rows']['test']} test rows). Imputation values, one-hot levels"
             + (", scaling" if lr else "") + " and hyperparameters come from the training split only; "
             f"hyperparameters were chosen by {spec.CV_FOLDS}-fold stratified cross-validated AUC on it:", "",
             _table(["hyperparameters", "CV AUC (mean)", "CV AUC (sd)", "rank"],
                    [[", ".join(f"{k}={v}" for k, v in r["params"].items()), _fmt(r["meanAuc"]),
                      _fmt(r["stdAuc"]), r["rank"]] for r in result["cv"]]), "",
             "Chosen: " + ", ".join(f"`{k}={v}`" for k, v in result["hyperparameters"].items()) + ".", ""]
    if lr:
        parts += ["Model: scikit-learn `LogisticRegression` (L2, lbfgs) on the imputed, one-hot encoded vector "
                  "with numeric columns standardised by the training mean and standard deviation; the scaler is "
                  "part of the ONNX graph (Sub, Div), so callers send raw values.", ""]
    else:
        parts += ["Model: scikit-learn `GradientBoostingClassifier` (log-loss, learning rate "
                  f"{result['hyperparameters']['learning_rate']}) on the imputed, one-hot encoded vector, exported "
                  "as an `ai.onnx.ml` TreeEnsembleRegressor producing the raw boosting log-odds, followed by the "
                  "Platt calibration (Mul, Add) and a Sigmoid.", ""]
    parts += ["## Metrics (held-out test split)", "",
              "Computed on the test split; the scikit-learn column is the un-exported model, the ONNX column the "
              "exported graph run on vectors built from the manifest alone."
              + ("" if lr else " The last column is the booster before Platt calibration."), "",
              _table(["metric", "scikit-learn", "ONNX graph"] + ([] if lr else ["uncalibrated booster"]),
                     metric_rows), "",
              f"Required: test AUC >= {gate} (training fails below it). KS is the largest gap between the "
              "cumulative score distributions of defaulters and non-defaulters. Largest |scikit-learn - ONNX| "
              f"probability difference over all {result['rowsChecked']} rows of the data set: "
              f"{result['maxDiff']:.2e} (limit {spec.MAX_ONNX_DIFF:g}).", "",
              "### Sensitivity to the split", "",
              f"The same recipe (hyperparameters fixed as above) on {len(sensitivity['seeds'])} other random "
              f"stratified 75/25 splits (seeds {sensitivity['seeds'][0]}-{sensitivity['seeds'][-1]}) gives test AUC "
              f"mean {np.mean(aucs):.4f}, min {np.min(aucs):.4f}, max {np.max(aucs):.4f}. The single reported split "
              "is one draw from that range; differences between models smaller than it are not meaningful.", "",
              "## Calibration", ""]
    if lr:
        parts += ["No post-hoc calibration: maximum-likelihood logistic regression is calibrated on its training "
                  "distribution. Reliability on the test split:", "", _reliability(result["reliability"]), ""]
    else:
        cal = result["calibration"]
        parts += ["Platt scaling baked into the graph: probability = 1 / (1 + exp(A * score + B)), "
                  f"A = {cal['A']:.6f}, B = {cal['B']:.6f}, where score is the raw boosting log-odds. (A, B) were "
                  f"fitted on {spec.CV_FOLDS}-fold out-of-fold scores of the training split, so every training row "
                  "calibrates a booster that never saw it; the exported booster is then refitted on the whole "
                  "training split (scikit-learn `CalibratedClassifierCV(method=\"sigmoid\", ensemble=False)`). "
                  "Isotonic calibration was not used because it has no compact ONNX form.", "",
                  f"Brier score {result['uncalibrated']['brier']:.6f} before and {m['brier']:.6f} after "
                  f"calibration; log-loss {result['uncalibrated']['logLoss']:.6f} before and {m['logLoss']:.6f} "
                  "after."
                  + (" (A, B) is close to (-1, 0), the identity: the log-loss-trained booster was already nearly "
                     "calibrated and Platt scaling changes its probabilities very little."
                     if abs(cal["A"] + 1) < 0.05 and abs(cal["B"]) < 0.05 else "")
                  + " Reliability on the test split after calibration:", "", _reliability(result["reliability"]), "",
                  "and before calibration:", "", _reliability(result["reliabilityUncalibrated"]), ""]
    parts += ["### Bands on the test split", "",
              _table(["band", "test rows", "share", "observed default rate"],
                     [[b["band"], b["n"], _fmt(b["share"], 3), _fmt(b["observedRate"], 3)]
                      for b in result["bandTable"]]), "",
              "Consumer loans in this data default far more often (about 28 %) than the 2-15 % band "
              "boundaries were set for, so most applications fall in HIGH or CRITICAL; the bands rank risk but "
              "their boundaries are not tuned to this population.", "",
              "## Reason codes", "", man["reasonCodes"]["description"], ""]
    if lr:
        coef_rows = sorted(man["reasonCodes"]["columns"], key=lambda c: -abs(c["coef"] *
                                                                            _column_sd(result, c["column"])))
        parts += ["Coefficients on the raw input (logit per unit), largest standardised effect first:", "",
                  _table(["column", "coef", "reference (training mean)"],
                         [[f"`{c['column']}`", f"{c['coef']:.6g}", f"{c['reference']:.6g}"] for c in coef_rows]), ""]
    parts += ["## Verification", "",
              "- `onnx.checker.check_model(full_check=True)` passes; IR version 8, ai.onnx opset 15"
              + ("" if lr else ", ai.onnx.ml opset 3") + ".",
              "- The serialized `model.onnx` is run by the pipeline's own numpy interpreter of the ONNX operators "
              "(`models/training/onnx_eval.py`) on vectors rebuilt from the manifest for every row of the data set, "
              f"and compared with scikit-learn's `predict_proba`: largest difference {result['maxDiff']:.2e}.",
              "- The manifest's `samples` are test-split rows with the scikit-learn probability and reason-code "
              "contributions; a server can dry-run the model against them (tolerance in `sampleTolerance`). "
              "`python3 models/train.py --check` re-verifies the files without retraining.", "",
              _samples_table(result["samples"]), "",
              "## Limitations", "",
              "- Small, old, single-source data (4,454 applications from one lender); no time or region "
              "information, so drift cannot be assessed. Amount fields have no stated currency.",
              "- The held-out AUC depends noticeably on the split (see above).",
              "- In the source data a missing income goes with a much higher default rate (about 57 % against "
              "28 %); the model imputes the median and so does not use that signal, and an applicant who omits "
              "income is scored as having the median income.",
              "- Protected or sensitive attributes (age, marital status) are inputs; the model has not been "
              "assessed for fairness and may need review before use in lending decisions.",
              "- Probabilities reflect the training population's default rate (about 28 %); on a population with "
              "a different base rate they need recalibration.", "",
              "## Reproduce", "",
              "`/usr/bin/python3 models/train.py` from the repository root (Debian packages in "
              "`models/requirements-debian.txt`). Output is byte-identical between runs. "
              f"`model.onnx` is {onnx_size} bytes, sha256 `{man['sha256']}`.", ""]
    return "\n".join(parts)


def _column_sd(result: dict, column: str) -> float:
    return result.get("columnSd", {}).get(column, 1.0)


def corporate_card(result: dict, man: dict, onnx_size: int) -> str:
    name = result["name"]
    quarterly = result["quarterly"]
    rows = []
    for f, c, d, lo, hi, var, desc in corporate.FEATURES:
        rows.append([f"`{f}`", var, f"{c:g}", f"{lo} - {hi}", desc])
    parts = [f"# {name} {VERSION}: model card", "", man["description"], "",
             "## Intended use", "",
             "Screening listed or otherwise reporting industrial companies for the risk of bankruptcy within one "
             "year, from financial statements, inside the FinEdge API. The output is the O-score's logistic "
             "probability and its risk band, with each ratio's term as a reason code. It is a transparent, "
             "well-known benchmark, not a model fitted to FinEdge data.", "",
             "## Output and risk bands", "",
             "`model.onnx` takes one float32 tensor `features` of shape [N, 9] (the ratios below, in order) and "
             "returns one float32 tensor `probability` of shape [N, 1]: probability = 1 / (1 + exp(-O)).", "",
             _bands_text(), "",
             "## Coefficient source", "",
             f"{OHLSON}. The model is used exactly as published:", "",
             "O = -1.32 - 0.407 SIZE + 6.03 TLTA - 1.43 WCTA + 0.0757 CLCA - 1.72 OENEG - 2.37 NITA - 1.83 FUTL "
             "+ 0.285 INTWO - 0.521 CHIN", "",
             "These are the Model 1 estimates (one-year horizon, 105 bankrupt and 2,058 non-bankrupt US "
             "industrial firms, 1970-1976), as reproduced throughout the later literature. The negative OENEG "
             "coefficient is as published: TLTA already carries leverage, and OENEG corrects for the "
             "discontinuity at negative equity. Nothing is estimated or recalibrated here.", "",
             "## Features and vector order", "",
             _table(["vector column", "paper", "coefficient", "clip range", "definition"], rows), "",
             "### Derivation from statements", ""]
    if quarterly:
        parts += ["A request is `{\"quarters\": [...]}` with exactly eight quarterly statements, most recent first. "
                  "They are reduced to one annual-style statement, then derived exactly as in corporate-annual:", "",
                  "- stocks (total_assets, total_liabilities, current_assets, current_liabilities, optional "
                  "working_capital) from `quarters[0]`, the latest balance sheet;",
                  "- net_income and funds_from_operations: sums over `quarters[0..3]` (trailing twelve months);",
                  "- net_income_prior: sum of net_income over `quarters[4..7]` (the twelve months before), so that "
                  "INTWO (losses in both of the last two years) and CHIN compare two consecutive TTM periods.", "",
                  "**Adaptation.** Ohlson estimated Model 1 on annual reports. Applying the same coefficients to "
                  "trailing-twelve-month flows and the latest quarter's balance sheet keeps every ratio on an "
                  "annual scale, but it is an extrapolation: it was not part of the paper and has not been "
                  "validated. Quarterly figures are often unaudited and seasonal items fall differently across the "
                  "year, which the TTM sums smooth but do not remove.", ""]
    else:
        parts += ["A request is one annual statement (amounts in USD). Fields: "
                  + ", ".join(f"`{f['name']}`" for f in corporate.STATEMENT_FIELDS)
                  + ". `working_capital` is optional (default current_assets - current_liabilities); all other "
                  "fields are required. total_assets must be > 0; total_liabilities, current_assets and "
                  "current_liabilities must be >= 0.", ""]
    parts += ["Rules (also in the manifest's `inputRules`):", "",
              "- X (OENEG) = 1 if total liabilities > total assets, else 0; Y (INTWO) = 1 if net income is "
              "negative in both the current and the prior period, else 0.",
              "- Division by zero: total_assets must be > 0, so only CLCA (no current assets) and FUTL (no "
              "liabilities) can have a zero denominator; such a ratio is 0, so its term drops out of the O-score "
              "(0 is also the reason-code reference). CHIN is 0 when both net incomes are 0. A limit value "
              "(+-infinity, clipped) was rejected because it would let FUTL alone swing O by 18 for a firm "
              "without liabilities.",
              "- Every feature is clipped to its range after derivation. The paper does not winsorise; the bounds "
              "are the project's, to keep a single extreme ratio from dominating the score, and they are wide enough "
              "not to bind for ordinary statements.",
              "- Funds from operations: the paper's \"funds provided by operations\" (from the pre-1988 funds "
              "statement); use net cash from operating activities, or net income plus depreciation, amortisation "
              "and other non-cash charges.", "",
              "**Adaptation: GNP price-level index.** The paper's SIZE is log(total assets in dollars / GNP "
              "price-level index, 1968 = 100), the index taken for the year before the balance-sheet date. Here "
              f"the index is fixed at {corporate.GNP_PRICE_INDEX:g} (`gnpPriceIndex` in the manifest), an "
              "approximate 2024 level of the US GNP implicit price deflator re-based to 1968 = 100; it is a "
              "rounded estimate, not read from a data release, and should be replaced by the official value for "
              "the year before the statement if more precision is wanted. Total assets stay in dollars "
              "(not millions): the log makes the scale an additive shift of 0.407 per unit of log, so quoting "
              "assets in millions would add 0.407 x ln(10^6) = 5.6 to every O-score. A +-15 % error in the index "
              "moves O by about -+0.06. Statements in other currencies must be converted to USD first. log is the "
              "natural logarithm.", "",
              "## Training data and metrics", "",
              "None: the coefficients are published estimates and FinEdge has no corporate default data to "
              "re-estimate or validate them on, so the manifest's `metrics` is null and no AUC, Brier score or KS "
              "can be stated for this deployment. Later studies found the model's accuracy lower on data from "
              "after its estimation period (e.g. Begley, Ming and Watts, 1996, Review of Accounting Studies 1).", "",
              "## Calibration", "",
              "Not recalibrated. Ohlson's estimation sample had about 5 % bankrupt firms, far above the yearly "
              "bankruptcy rate of listed companies, so the absolute probabilities (and therefore the bands) "
              "overstate risk for a typical population; they rank firms better than they measure frequencies.", "",
              "## Reason codes", "", man["reasonCodes"]["description"], "",
              "## Verification", "",
              "- `onnx.checker.check_model(full_check=True)` passes; IR version 8, ai.onnx opset 15; graph is "
              "MatMul, Add, Sigmoid.",
              "- Each sample's vector is built twice, from the manifest (`models/training/vectorise.py`) and from a "
              "hand-written transcription of the paper's definitions, and the two must agree.",
              f"- The serialized graph is run by the pipeline's numpy ONNX interpreter on the samples and on "
              f"{result['rowsChecked'] - len(result['samples'])} random vectors across every feature's range, and "
              "compared with the formula in float64: largest difference "
              f"{result['maxDiff']:.2e} (limit {spec.MAX_ONNX_DIFF:g}).", "",
              _samples_table(result["samples"]), "",
              "## Limitations", "",
              "- Estimated on 1970-1976 US industrial firms; financial companies, utilities and firms under other "
              "accounting regimes were not in the sample.",
              "- Coefficients are 45 years old and not re-estimated; accounting standards (notably the funds "
              "statement) have changed since.",
              "- The fixed price index and the clip bounds are adaptations (above)."
              + (" The quarterly TTM application is a further, unvalidated adaptation." if quarterly else ""),
              "- Bankruptcy is not the same event as a missed payment or a rating default.", "",
              "## Reproduce", "",
              "`/usr/bin/python3 models/train.py` from the repository root. Output is byte-identical between runs. "
              f"`model.onnx` is {onnx_size} bytes, sha256 `{man['sha256']}`.", ""]
    return "\n".join(parts)
