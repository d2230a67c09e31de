"""Retail credit default models (credit-lr, credit-gbdt) on credit_data."""

import hashlib
import math

import numpy as np
import onnx
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from . import VERSION, metrics, onnx_eval, onnx_graphs, spec, vectorise

NUMERIC = [f["name"] for f in spec.CREDIT_FIELDS if f["type"] == "number"]
CATEGORICAL = [f["name"] for f in spec.CREDIT_FIELDS if f["type"] == "category"]

LR_GRID = {"model__C": [0.01, 0.1, 1.0, 10.0]}
GBDT_GRID = {"model__n_estimators": [100, 200, 300], "model__max_depth": [3, 4, 5]}
GBDT_LEARNING_RATE = 0.05
SENSITIVITY_SEEDS = list(range(1, 11))


def load() -> tuple:
    raw = spec.DATA_CSV.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.DATA_SHA256:
        raise SystemExit(f"{spec.DATA_CSV} has sha256 {digest}, expected {spec.DATA_SHA256}")
    frame = pd.read_csv(spec.DATA_CSV)
    y = (frame[spec.CREDIT_TARGET] == spec.CREDIT_POSITIVE).astype(int).to_numpy()
    x = frame[[spec.csv_column(f["name"]) for f in spec.CREDIT_FIELDS]]
    x.columns = [f["name"] for f in spec.CREDIT_FIELDS]
    return x, y, digest


def split(x: pd.DataFrame, y: np.ndarray, seed: int = spec.SEED):
    return train_test_split(x, y, test_size=spec.TEST_SIZE, random_state=seed, stratify=y)


def _folds(seed: int = spec.SEED) -> StratifiedKFold:
    return StratifiedKFold(n_splits=spec.CV_FOLDS, shuffle=True, random_state=seed)


def _preprocessor(levels: dict, scale: bool) -> ColumnTransformer:
    """Median / most-frequent imputation, fixed one-hot levels; numeric columns first."""
    numeric = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        numeric.append(("scale", StandardScaler()))
    categorical = Pipeline([
        ("impute", SimpleImputer(strategy="most_frequent")),
        # Levels are fixed from the whole training split, so a rare level missing from
        # one CV fold still gets its column and the vector layout never changes.
        ("onehot", OneHotEncoder(categories=[levels[c] for c in CATEGORICAL], handle_unknown="error",
                                 sparse_output=False)),
    ])
    return ColumnTransformer([("num", Pipeline(numeric), NUMERIC), ("cat", categorical, CATEGORICAL)])


def _levels(x_train: pd.DataFrame) -> dict:
    return {c: sorted(x_train[c].dropna().unique().tolist()) for c in CATEGORICAL}


def _vector_names(levels: dict) -> list:
    return NUMERIC + [f"{c}={level}" for c in CATEGORICAL for level in levels[c]]


def fit_lr(x_train, y_train, levels, c=None, seed=spec.SEED):
    pipe = Pipeline([("pre", _preprocessor(levels, scale=True)),
                     ("model", LogisticRegression(max_iter=10000))])
    if c is not None:
        return pipe.set_params(model__C=c).fit(x_train, y_train), None
    search = GridSearchCV(pipe, LR_GRID, scoring="roc_auc", cv=_folds(seed)).fit(x_train, y_train)
    return search.best_estimator_, search


def fit_gbdt(x_train, y_train, levels, params=None, seed=spec.SEED):
    pipe = Pipeline([("pre", _preprocessor(levels, scale=False)),
                     ("model", GradientBoostingClassifier(learning_rate=GBDT_LEARNING_RATE, random_state=seed))])
    search = None
    if params is None:
        search = GridSearchCV(pipe, GBDT_GRID, scoring="roc_auc", cv=_folds(seed)).fit(x_train, y_train)
        params = search.best_params_
    # Platt scaling fitted on out-of-fold scores of the training split (every training row
    # calibrates a model that did not see it); ensemble=False then refits one booster on
    # the whole training split, so a single tree ensemble plus (A, B) is exported.
    calibrated = CalibratedClassifierCV(pipe.set_params(**params), method="sigmoid", cv=_folds(seed),
                                        ensemble=False).fit(x_train, y_train)
    return calibrated, search, params


def _json_number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = float(value)
    return int(value) if value.is_integer() else value


def application_of(row: pd.Series) -> dict:
    """One data row as the loan-application JSON a caller would send (null = missing)."""
    out = {}
    for f in spec.CREDIT_FIELDS:
        value = row[f["name"]]
        if f["type"] == "number":
            out[f["name"]] = _json_number(value)
        else:
            out[f["name"]] = None if pd.isna(value) else str(value)
    return out


def _frame(applications: list) -> pd.DataFrame:
    frame = pd.DataFrame(applications, columns=[f["name"] for f in spec.CREDIT_FIELDS])
    for name in NUMERIC:
        frame[name] = frame[name].astype(float)
    # scikit-learn's imputers see NaN as missing but not None.
    return frame.astype(object).where(frame.notna(), np.nan).astype({n: float for n in NUMERIC})


def _logit(p):
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)


def feature_entries(x_train: pd.DataFrame, pre: ColumnTransformer, levels: dict) -> list:
    """Manifest `features`: impute values are read back from the fitted imputers."""
    num_impute = dict(zip(NUMERIC, pre.named_transformers_["num"].named_steps["impute"].statistics_))
    cat_impute = dict(zip(CATEGORICAL, pre.named_transformers_["cat"].named_steps["impute"].statistics_))
    entries = []
    for f in spec.CREDIT_FIELDS:
        name = f["name"]
        if f["type"] == "number":
            column = x_train[name]
            entries.append({
                "name": name, "type": "number", "unit": f["unit"], "min": f["min"], "max": f["max"],
                "outOfRange": "reject", "impute": _json_number(num_impute[name]),
                "observedMin": _json_number(column.min()), "observedMax": _json_number(column.max()),
                "description": f["description"],
            })
        else:
            entries.append({
                "name": name, "type": "category", "categories": levels[name], "encoding": "one-hot",
                "impute": str(cat_impute[name]), "description": f["description"],
            })
    return entries


def _check_imputation(entries: list, x_train: pd.DataFrame) -> None:
    # The imputers must agree with the plain pandas statistics quoted in the model card.
    for e in entries:
        if e["type"] == "number":
            assert e["impute"] == _json_number(x_train[e["name"]].median()), e["name"]
        else:
            counts = x_train[e["name"]].value_counts()
            assert counts[e["impute"]] == counts.max(), e["name"]


def _pick_samples(x_test: pd.DataFrame, p_ref: np.ndarray) -> list:
    """Row positions in the test split: one near each target probability, covering the
    bands, plus the first row with a missing income to exercise imputation."""
    chosen = []
    for target in (0.01, 0.03, 0.1, 0.5):
        for i in np.argsort(np.abs(p_ref - target), kind="stable"):
            if int(i) not in chosen:
                chosen.append(int(i))
                break
    missing = np.flatnonzero(x_test["income"].isna().to_numpy())
    chosen.append(int(next(i for i in missing if int(i) not in chosen)))
    return chosen


def build(result_name: str, x, y, data_sha: str, sample_rows=None) -> dict:
    """Train one credit model and return everything needed to write its artefacts."""
    x_train, x_test, y_train, y_test = split(x, y)
    levels = _levels(x_train)
    vector = _vector_names(levels)
    is_lr = result_name == "credit-lr"

    if is_lr:
        model, search = fit_lr(x_train, y_train, levels)
        chosen = {"C": search.best_params_["model__C"]}
        pre = model.named_steps["pre"]
        lr = model.named_steps["model"]
        scaler = pre.named_transformers_["num"].named_steps["scale"]
        n_num = len(NUMERIC)
        mean = np.concatenate([scaler.mean_, np.zeros(len(vector) - n_num)])
        scale = np.concatenate([scaler.scale_, np.ones(len(vector) - n_num)])
        coef = lr.coef_[0]
        intercept = float(lr.intercept_[0])
        onnx_model = onnx_graphs.linear_logit(
            result_name, VERSION, vector, coef, intercept, mean=mean, scale=scale,
            doc="Logistic regression on credit_data; standard scaling of the numeric columns is inside the graph.")
        reference = model
        uncalibrated = None
    else:
        model, search, params = fit_gbdt(x_train, y_train, levels)
        chosen = {k.replace("model__", ""): v for k, v in params.items()}
        chosen["learning_rate"] = GBDT_LEARNING_RATE
        inner = model.calibrated_classifiers_[0]
        pipe, calibrator = inner.estimator, inner.calibrators[0]
        pre, gbc = pipe.named_steps["pre"], pipe.named_steps["model"]
        enc = pre.transform(x_train)
        trees = [est[0] for est in gbc.estimators_]
        tree_sum = sum(t.predict(enc.astype(np.float32)) for t in trees) * gbc.learning_rate
        base = gbc.decision_function(enc) - tree_sum
        # The boosting start value is the training log-odds, the same for every row.
        assert np.ptp(base) < 1e-9, np.ptp(base)
        onnx_model = onnx_graphs.tree_ensemble_logit(
            result_name, VERSION, vector, trees, gbc.learning_rate, float(base[0]),
            float(calibrator.a_), float(calibrator.b_),
            doc="Gradient-boosted trees on credit_data with Platt calibration inside the graph.")
        reference = model
        uncalibrated = pipe

    entries = feature_entries(x_train, pre, levels)
    _check_imputation(entries, x_train)

    # --- reference vs ONNX on every row, through the manifest-driven vectoriser -----------
    manifest_stub = {"features": entries, "vector": vector}
    apps_all = [application_of(r) for _, r in x.iterrows()]
    vec_all = np.asarray([vectorise.credit_vector(a, manifest_stub) for a in apps_all], dtype=np.float32)
    # Served bytes, not the in-memory object: this is the file the Worker loads.
    served = onnx.load_from_string(onnx_model.SerializeToString())
    p_onnx_all = onnx_eval.predict(served, vec_all)[:, 0].astype(np.float64)
    p_ref_all = reference.predict_proba(x)[:, 1]
    max_diff = float(np.max(np.abs(p_onnx_all - p_ref_all)))
    if max_diff > spec.MAX_ONNX_DIFF:
        raise SystemExit(f"{result_name}: ONNX differs from scikit-learn by {max_diff}")
    if not is_lr:
        # The vectoriser must rebuild exactly what the fitted preprocessor feeds the trees.
        assert np.array_equal(vec_all, pre.transform(x).astype(np.float32))

    test_pos = x.index.get_indexer(x_test.index)
    p_ref = p_ref_all[test_pos]
    p_onnx = p_onnx_all[test_pos]
    m_ref = metrics.summary(y_test, p_ref)
    m_onnx = metrics.summary(y_test, p_onnx)
    gate = spec.MIN_AUC[result_name]
    if m_ref["auc"] < gate:
        raise SystemExit(f"{result_name}: test AUC {m_ref['auc']:.4f} below the required {gate}")

    # --- reason codes ----------------------------------------------------------------------
    if is_lr:
        raw_coef = coef / scale
        ref_values = np.concatenate([scaler.mean_, pre.transform(x_train)[:, n_num:].mean(axis=0)])
        columns = [{"column": col, "feature": col.split("=")[0], "coef": float(c), "reference": float(r)}
                   for col, c, r in zip(vector, raw_coef, ref_values)]
        baseline = intercept + float(np.dot(coef[n_num:], ref_values[n_num:]))
        reason_codes = {
            "method": "linear", "unit": "logit",
            "description": "Contribution of a feature = sum over its vector columns of coef * (x - reference); "
                           "baseline + all contributions = logit(probability). Positive raises the risk. "
                           "coef is on the raw (unscaled) input; reference is the training mean of the column "
                           "(for one-hot columns, the share of training rows with that level).",
            "baseline": baseline, "columns": columns,
        }
    else:
        ref_raw = {e["name"]: e["impute"] for e in entries}
        reason_codes = {
            "method": "substitution", "unit": "logit",
            "description": "Contribution of a feature = logit(p(application)) - logit(p(application with that "
                           "feature replaced by its reference value)), each substituted application re-encoded "
                           "like any request; score all of them in one batch of 1 + F rows. Positive raises the "
                           "risk. References are the imputation values (training medians / most frequent levels).",
            "reference": ref_raw,
        }

    # --- samples -----------------------------------------------------------------------------
    if sample_rows is None:
        sample_rows = [int(x_test.index[i]) for i in _pick_samples(x_test, p_ref)]
    manifest_stub["reasonCodes"] = reason_codes
    samples = []
    for row_id in sample_rows:
        app = application_of(x.loc[row_id])
        vec = vectorise.credit_vector(app, manifest_stub)
        p = float(reference.predict_proba(_frame([app]))[0, 1])
        assert abs(p - p_ref_all[x.index.get_loc(row_id)]) < 1e-12
        if is_lr:
            contributions = {}
            for col, value in zip(columns, vec):
                contributions[col["feature"]] = contributions.get(col["feature"], 0.0) + \
                    col["coef"] * (value - col["reference"])
        else:
            subs = vectorise.credit_substitutions(app, manifest_stub)
            p_sub = reference.predict_proba(_frame(list(subs.values())))[:, 1]
            contributions = dict(zip(subs.keys(), (_logit(p) - _logit(p_sub)).tolist()))
        samples.append({"input": app, "vector": vec, "probability": p,
                        "band": metrics.band_of(p, spec.BANDS), "contributions": contributions,
                        "csvLine": row_id + 2})

    calibration = {"method": "none (logistic regression is fitted by maximum likelihood)"} if is_lr else {
        "method": "platt",
        "description": "probability = 1 / (1 + exp(A * score + B)) with score the raw boosting log-odds; "
                       "(A, B) fitted on 5-fold out-of-fold scores of the training split.",
        "A": float(calibrator.a_), "B": float(calibrator.b_),
    }
    extra = {}
    if not is_lr:
        p_uncal = uncalibrated.predict_proba(x_test)[:, 1]
        extra["uncalibrated"] = metrics.summary(y_test, p_uncal)
        extra["reliabilityUncalibrated"] = metrics.reliability(y_test, p_uncal)

    return {
        "name": result_name, "kind": "logistic" if is_lr else "gbdt", "onnx": onnx_model,
        "vector": vector, "features": entries, "reasonCodes": reason_codes, "samples": samples,
        "sampleRows": sample_rows, "calibration": calibration, "hyperparameters": chosen,
        "cv": _cv_table(search), "metrics": m_ref, "metricsOnnx": m_onnx, "maxDiff": max_diff,
        "rowsChecked": int(len(x)), "rows": {"train": int(len(x_train)), "test": int(len(x_test))},
        "defaultRate": {"train": float(y_train.mean()), "test": float(y_test.mean())},
        "reliability": metrics.reliability(y_test, p_ref), "bandTable": metrics.band_table(y_test, p_ref, spec.BANDS),
        "dataSha": data_sha, "levels": levels, **extra,
        # Spread of each vector column in the training split, to rank coefficients by effect size.
        "columnSd": dict(zip(vector, pre.transform(x_train).std(axis=0) * (scale if is_lr else 1.0))),
    }


def _cv_table(search) -> list:
    res = search.cv_results_
    rows = []
    for i, params in enumerate(res["params"]):
        rows.append({"params": {k.replace("model__", ""): v for k, v in params.items()},
                     "meanAuc": float(res["mean_test_score"][i]), "stdAuc": float(res["std_test_score"][i]),
                     "rank": int(res["rank_test_score"][i])})
    return rows


def sensitivity(x, y, lr_c: float, gbdt_params: dict) -> dict:
    """Test AUC of the same recipe (hyperparameters fixed) on other random 75/25 splits,
    to show how much the single reported split can move the numbers."""
    out = {"seeds": SENSITIVITY_SEEDS, "credit-lr": [], "credit-gbdt": []}
    params = {f"model__{k}": v for k, v in gbdt_params.items() if k != "learning_rate"}
    for seed in SENSITIVITY_SEEDS:
        x_train, x_test, y_train, y_test = split(x, y, seed)
        levels = _levels(x_train)
        lr, _ = fit_lr(x_train, y_train, levels, c=lr_c, seed=seed)
        out["credit-lr"].append(metrics.summary(y_test, lr.predict_proba(x_test)[:, 1])["auc"])
        gb, _, _ = fit_gbdt(x_train, y_train, levels, params=params, seed=seed)
        out["credit-gbdt"].append(metrics.summary(y_test, gb.predict_proba(x_test)[:, 1])["auc"])
    return out
