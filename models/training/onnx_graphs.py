"""Hand-built ONNX graphs (no converter library is packaged for Debian).

Every graph has one float32 input `features` [N, F] and one float32 output
`probability` [N, 1], ai.onnx opset 15, ai.onnx.ml opset 3 and IR version 8, which
onnxruntime-web runs. Only plain arithmetic, Sigmoid and TreeEnsembleRegressor are used.
"""

import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from . import spec


def _model(graph: onnx.GraphProto, name: str, version: str, vector: list, doc: str) -> onnx.ModelProto:
    opsets = [helper.make_opsetid("", spec.OPSET_ONNX)]
    if any(node.domain == "ai.onnx.ml" for node in graph.node):
        opsets.append(helper.make_opsetid("ai.onnx.ml", spec.OPSET_ML))
    model = helper.make_model(graph, opset_imports=opsets, producer_name=spec.PRODUCER,
                              producer_version=version, doc_string=doc)
    model.ir_version = spec.IR_VERSION
    model.model_version = int(version.split(".")[0])
    # The column order travels with the file, so a model can be checked against its manifest.
    helper.set_model_props(model, {"name": name, "version": version, "vector": json.dumps(vector)})
    onnx.checker.check_model(model, full_check=True)
    return model


def _io(n_features: int):
    x = helper.make_tensor_value_info(spec.INPUT_NAME, TensorProto.FLOAT, ["N", n_features])
    y = helper.make_tensor_value_info(spec.OUTPUT_NAME, TensorProto.FLOAT, ["N", 1])
    return x, y


def _const(name: str, values) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def linear_logit(name: str, version: str, vector: list, coef, intercept: float,
                 mean=None, scale=None, doc: str = "") -> onnx.ModelProto:
    """probability = sigmoid(((x - mean) / scale) @ coef + intercept).

    mean/scale keep a standard scaler inside the graph so callers send raw values;
    without them the coefficients apply to x directly (the O-score).
    """
    n = len(vector)
    x, y = _io(n)
    nodes, inits = [], []
    current = spec.INPUT_NAME
    if mean is not None:
        inits += [_const("scaler_mean", np.asarray(mean).reshape(1, n)),
                  _const("scaler_scale", np.asarray(scale).reshape(1, n))]
        nodes += [helper.make_node("Sub", [current, "scaler_mean"], ["centred"], name="centre"),
                  helper.make_node("Div", ["centred", "scaler_scale"], ["scaled"], name="scale")]
        current = "scaled"
    inits += [_const("coef", np.asarray(coef).reshape(n, 1)), _const("intercept", [float(intercept)])]
    nodes += [helper.make_node("MatMul", [current, "coef"], ["linear"], name="weights"),
              helper.make_node("Add", ["linear", "intercept"], ["logit"], name="intercept"),
              helper.make_node("Sigmoid", ["logit"], [spec.OUTPUT_NAME], name="sigmoid")]
    graph = helper.make_graph(nodes, name.replace("-", "_"), [x], [y], initializer=inits)
    return _model(graph, name, version, vector, doc)


def float32_threshold(threshold: float) -> float:
    """Largest float32 t with t <= threshold.

    scikit-learn sends a float32 input left when x <= threshold (a float64); the ONNX
    tree compares float32 against float32. Rounding the threshold down (never up) makes
    both send every float32 value the same way.
    """
    t = np.float32(threshold)
    if float(t) > threshold:
        t = np.nextafter(t, np.float32(-np.inf))
    return float(t)


def tree_ensemble_logit(name: str, version: str, vector: list, trees: list, learning_rate: float,
                        base: float, platt_a: float, platt_b: float, doc: str = "") -> onnx.ModelProto:
    """probability = sigmoid(-(A * (base + learning_rate * sum(tree values)) + B)).

    `trees` are fitted scikit-learn regression trees of a binary GradientBoostingClassifier;
    (A, B) is the Platt calibration of scikit-learn's _SigmoidCalibration, kept as two
    separate nodes so the raw boosting score stays visible in the graph.
    """
    n = len(vector)
    x, y = _io(n)
    attrs = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes",
                             "nodes_values", "nodes_truenodeids", "nodes_falsenodeids",
                             "nodes_missing_value_tracks_true", "target_treeids", "target_nodeids",
                             "target_ids", "target_weights")}
    for tree_id, estimator in enumerate(trees):
        t = estimator.tree_
        for node in range(t.node_count):
            leaf = t.children_left[node] == -1
            attrs["nodes_treeids"].append(tree_id)
            attrs["nodes_nodeids"].append(node)
            attrs["nodes_featureids"].append(0 if leaf else int(t.feature[node]))
            attrs["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            attrs["nodes_values"].append(0.0 if leaf else float32_threshold(float(t.threshold[node])))
            attrs["nodes_truenodeids"].append(0 if leaf else int(t.children_left[node]))
            attrs["nodes_falsenodeids"].append(0 if leaf else int(t.children_right[node]))
            attrs["nodes_missing_value_tracks_true"].append(0)
            if leaf:
                attrs["target_treeids"].append(tree_id)
                attrs["target_nodeids"].append(node)
                attrs["target_ids"].append(0)
                attrs["target_weights"].append(float(learning_rate * t.value[node, 0, 0]))
    ensemble = helper.make_node("TreeEnsembleRegressor", [spec.INPUT_NAME], ["score"], name="boosted_trees",
                                domain="ai.onnx.ml", n_targets=1, aggregate_function="SUM",
                                post_transform="NONE", base_values=[float(base)], **attrs)
    inits = [_const("platt_slope", [-float(platt_a)]), _const("platt_offset", [-float(platt_b)])]
    nodes = [ensemble,
             helper.make_node("Mul", ["score", "platt_slope"], ["scaled_score"], name="platt_scale"),
             helper.make_node("Add", ["scaled_score", "platt_offset"], ["logit"], name="platt_shift"),
             helper.make_node("Sigmoid", ["logit"], [spec.OUTPUT_NAME], name="sigmoid")]
    graph = helper.make_graph(nodes, name.replace("-", "_"), [x], [y], initializer=inits)
    return _model(graph, name, version, vector, doc)
