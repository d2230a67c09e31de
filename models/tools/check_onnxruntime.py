"""Optional: dry-run every registered model in onnxruntime against its manifest samples.

onnxruntime is not packaged for Debian, so the training pipeline checks graphs with its
own numpy interpreter; run this with any Python that has `onnxruntime` and `numpy` for a
second opinion from the runtime family the Worker uses (onnxruntime-web shares its
kernels):

    python models/tools/check_onnxruntime.py

It does what a server does at start-up: load model.onnx, check its sha256 and its
input/output against manifest.json, run each sample's vector and compare the
probability within sampleTolerance.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    registry = json.loads((ROOT / "models" / "registry.json").read_text())
    ok = True
    for entry in registry["models"]:
        folder = ROOT / entry["path"]
        manifest = json.loads((folder / "manifest.json").read_text())
        onnx_bytes = (folder / "model.onnx").read_bytes()
        problems = []
        if hashlib.sha256(onnx_bytes).hexdigest() != manifest["sha256"]:
            problems.append("sha256")
        session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
        (inp,), (out,) = session.get_inputs(), session.get_outputs()
        if inp.name != manifest["input"]["name"] or inp.shape[1] != len(manifest["vector"]):
            problems.append(f"input {inp.name} {inp.shape}")
        if out.name != manifest["output"]["name"]:
            problems.append(f"output {out.name}")
        vectors = np.asarray([s["vector"] for s in manifest["samples"]], dtype=np.float32)
        expected = np.asarray([s["probability"] for s in manifest["samples"]])
        got = session.run([out.name], {inp.name: vectors})[0]
        if got.shape != (len(vectors), 1):
            problems.append(f"output shape {got.shape}")
        diff = float(np.max(np.abs(got[:, 0] - expected)))
        if diff > manifest["sampleTolerance"]["probability"]:
            problems.append(f"max difference {diff:.3g}")
        ok &= not problems
        print(f"{entry['name']} {entry['activeVersion']}: "
              + ("ok" if not problems else "; ".join(problems))
              + f" (onnxruntime {ort.__version__}, max |diff| {diff:.2e} over {len(vectors)} samples)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
