#!/usr/bin/python3
"""Train, export, verify and document every FinEdge risk model.

    /usr/bin/python3 models/train.py          # retrain and rewrite all artefacts, then verify them
    /usr/bin/python3 models/train.py --check  # verify the committed artefacts without retraining

Writes models/<name>/<version>/{model.onnx, manifest.json, MODEL_CARD.md} and
models/registry.json. Output is byte-identical from run to run; see models/README.md.
"""

import os
import sys

# Single-threaded BLAS keeps floating-point summation order, and so every byte written,
# independent of the machine's core count and the caller's environment. Must be set
# before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402

from training import VERSION, artefacts, corporate, credit, metrics, onnx_eval, spec, vectorise  # noqa: E402

CREDIT_MODELS = ["credit-lr", "credit-gbdt"]
CORPORATE_MODELS = ["corporate-annual", "corporate-quarterly"]
REGISTRY = spec.MODELS_DIR / "registry.json"


def _write(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"})) as fh:
        fh.write(data)


def _emit(result: dict, card) -> dict:
    """Write one model's three files; returns its registry entry."""
    folder = spec.MODELS_DIR / result["name"] / VERSION
    onnx_bytes = result["onnx"].SerializeToString()
    man = artefacts.manifest(result, onnx_bytes)
    manifest_text = artefacts.dumps(man)
    _write(folder / "model.onnx", onnx_bytes)
    _write(folder / "manifest.json", manifest_text)
    _write(folder / "MODEL_CARD.md", card(man, len(onnx_bytes)))
    print(f"  wrote {folder.relative_to(spec.MODELS_DIR.parent)} (model.onnx {len(onnx_bytes)} bytes)")
    return {
        "name": result["name"], "activeVersion": VERSION, "kind": result["kind"],
        "path": f"models/{result['name']}/{VERSION}",
        "sha256": {"model.onnx": man["sha256"],
                   "manifest.json": hashlib.sha256(manifest_text.encode()).hexdigest()},
    }


def train() -> None:
    x, y, data_sha = credit.load()
    print(f"credit_data: {len(x)} rows, sha256 {data_sha}")

    # Build and verify everything before writing anything, so a failed gate leaves the
    # previous artefacts untouched.
    gbdt = credit.build("credit-gbdt", x, y, data_sha)
    # Both credit models carry the same sample applications, so a server can compare them.
    lr = credit.build("credit-lr", x, y, data_sha, sample_rows=gbdt["sampleRows"])
    print("split sensitivity (10 further splits) ...")
    sens = credit.sensitivity(x, y, lr["hyperparameters"]["C"], gbdt["hyperparameters"])
    builds = []
    for result in (lr, gbdt):
        m = result["metrics"]
        print(f"{result['name']}: AUC {m['auc']:.4f}  Brier {m['brier']:.4f}  KS {m['ks']:.4f}  "
              f"log-loss {m['logLoss']:.4f}  max |sklearn-onnx| {result['maxDiff']:.2e}")
        builds.append((result, lambda man, size, r=result: artefacts.credit_card(r, man, sens, size)))
    for name in CORPORATE_MODELS:
        result = corporate.build(name)
        print(f"{name}: max |formula-onnx| {result['maxDiff']:.2e} over {result['rowsChecked']} vectors")
        builds.append((result, lambda man, size, r=result: artefacts.corporate_card(r, man, size)))

    entries = [_emit(result, card) for result, card in builds]
    registry = {"description": "FinEdge risk models: the active version of each, for publishing and serving.",
                "models": entries}
    _write(REGISTRY, artefacts.dumps(registry))
    print(f"  wrote {REGISTRY.relative_to(spec.MODELS_DIR.parent)}")


# ----------------------------------------------------------------------------- check


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def _score(model, vectors) -> np.ndarray:
    return onnx_eval.predict(model, np.asarray(vectors, dtype=np.float32))[:, 0].astype(np.float64)


def check_model(entry: dict) -> list:
    """Everything a server relies on, checked from the files alone. Returns problems found."""
    problems = []
    folder = spec.MODELS_DIR.parent / entry["path"]
    onnx_bytes = (folder / "model.onnx").read_bytes()
    manifest_bytes = (folder / "manifest.json").read_bytes()
    man = json.loads(manifest_bytes)
    digest = hashlib.sha256(onnx_bytes).hexdigest()
    if digest != man["sha256"] or digest != entry["sha256"]["model.onnx"]:
        problems.append("model.onnx sha256 does not match the manifest / registry")
    if hashlib.sha256(manifest_bytes).hexdigest() != entry["sha256"]["manifest.json"]:
        problems.append("manifest.json sha256 does not match the registry")
    model = onnx.load_from_string(onnx_bytes)
    onnx.checker.check_model(model, full_check=True)
    props = {p.key: p.value for p in model.metadata_props}
    if json.loads(props["vector"]) != man["vector"] or props["version"] != man["version"]:
        problems.append("model metadata disagrees with the manifest")
    graph_in, graph_out = model.graph.input[0], model.graph.output[0]
    dims = [d.dim_value or d.dim_param for d in graph_in.type.tensor_type.shape.dim]
    if graph_in.name != man["input"]["name"] or dims != ["N", len(man["vector"])]:
        problems.append(f"input is {graph_in.name} {dims}")
    if graph_out.name != man["output"]["name"] or model.ir_version > spec.IR_VERSION:
        problems.append("output name or IR version")
    credit_model = man["rawInput"]["kind"] == "loan-application"
    tol = man["sampleTolerance"]
    for i, sample in enumerate(man["samples"]):
        where = f"sample {i + 1}"
        build = vectorise.credit_vector if credit_model else vectorise.corporate_vector
        vector = build(sample["input"], man)
        if vector != sample["vector"]:
            problems.append(f"{where}: vector rebuilt from the manifest differs")
        p = float(_score(model, [vector])[0])
        if abs(p - sample["probability"]) > tol["probability"]:
            problems.append(f"{where}: ONNX {p} vs expected {sample['probability']}")
        if metrics.band_of(sample["probability"], man["bands"]) != sample["band"]:
            problems.append(f"{where}: band")
        rc = man["reasonCodes"]
        if rc["method"] == "linear":
            got = {}
            for col, value in zip(rc["columns"], vector):
                got[col["feature"]] = got.get(col["feature"], 0.0) + col["coef"] * (value - col["reference"])
            if abs(rc["baseline"] + sum(got.values()) - _logit(sample["probability"])) > 1e-9:
                problems.append(f"{where}: baseline + contributions != logit(probability)")
        else:
            subs = vectorise.credit_substitutions(sample["input"], man)
            p_sub = _score(model, [vectorise.credit_vector(a, man) for a in subs.values()])
            got = {k: _logit(p) - _logit(q) for k, q in zip(subs, p_sub)}
        for feature, expected in sample["contributions"].items():
            if abs(got[feature] - expected) > tol["contribution"]:
                problems.append(f"{where}: contribution of {feature} {got[feature]} vs {expected}")
    return problems


def check() -> bool:
    registry = json.loads(REGISTRY.read_text())
    names = [e["name"] for e in registry["models"]]
    ok = names == CREDIT_MODELS + CORPORATE_MODELS
    if not ok:
        print(f"registry lists {names}")
    for entry in registry["models"]:
        problems = check_model(entry)
        ok &= not problems
        print(f"check {entry['name']} {entry['activeVersion']}: " + ("ok" if not problems else "; ".join(problems)))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="verify existing artefacts only, no training")
    args = parser.parse_args()
    if not args.check:
        train()
    return 0 if check() else 1


if __name__ == "__main__":
    sys.exit(main())
