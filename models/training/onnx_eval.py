"""A small numpy interpreter for exactly the ONNX operators these models use.

Debian's python3-onnx (1.12) has no onnx.reference evaluator and onnxruntime is not
packaged, so exported graphs are checked by running the serialized file through this
interpreter. It reads only the ONNX file (nodes, attributes, initializers) and follows
the ONNX operator definitions, so it checks the exporter independently of the
scikit-learn objects it was built from. Arithmetic is float32, like the runtime.
"""

import numpy as np
import onnx
from onnx import helper, numpy_helper

SUPPORTED = {"Sub", "Div", "Mul", "Add", "MatMul", "Sigmoid", "TreeEnsembleRegressor"}


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _tree_ensemble_regressor(x: np.ndarray, a: dict) -> np.ndarray:
    if a.get("aggregate_function", b"SUM") != b"SUM" or a.get("post_transform", b"NONE") != b"NONE":
        raise NotImplementedError("only SUM aggregation without post transform")
    modes = [m.decode() for m in a["nodes_modes"]]
    if set(modes) - {"BRANCH_LEQ", "LEAF"}:
        raise NotImplementedError(f"node modes {set(modes)}")
    tree_ids = np.asarray(a["nodes_treeids"])
    node_ids = np.asarray(a["nodes_nodeids"])
    features = np.asarray(a["nodes_featureids"])
    thresholds = np.asarray(a["nodes_values"], dtype=np.float32)
    true_ids = np.asarray(a["nodes_truenodeids"])
    false_ids = np.asarray(a["nodes_falsenodeids"])
    is_leaf = np.asarray([m == "LEAF" for m in modes])
    n_targets = a["n_targets"]
    out = np.zeros((x.shape[0], n_targets), dtype=np.float64)
    weights = {}
    for t, n, target, w in zip(a["target_treeids"], a["target_nodeids"], a["target_ids"], a["target_weights"]):
        weights.setdefault((t, n), []).append((target, np.float32(w)))
    rows = np.arange(x.shape[0])
    for tree in np.unique(tree_ids):
        in_tree = np.flatnonzero(tree_ids == tree)
        index = {int(node_ids[i]): i for i in in_tree}  # node id -> position in the attribute lists
        pos = np.full(x.shape[0], index[0])
        while True:
            branch = ~is_leaf[pos]
            if not branch.any():
                break
            p = pos[branch]
            go_true = x[rows[branch], features[p]] <= thresholds[p]
            nxt = np.where(go_true, true_ids[p], false_ids[p])
            pos[branch] = [index[int(k)] for k in nxt]
        for leaf in np.unique(pos):
            hit = pos == leaf
            for target, w in weights[(int(tree), int(node_ids[leaf]))]:
                out[hit, target] += w
    base = np.asarray(a.get("base_values", [0.0] * n_targets), dtype=np.float32)
    return (out + base).astype(np.float32)


def run(model: onnx.ModelProto, x: np.ndarray) -> dict:
    """Evaluate the graph on float32 input; returns every named value."""
    env = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    env[model.graph.input[0].name] = np.asarray(x, dtype=np.float32)
    for node in model.graph.node:
        if node.op_type not in SUPPORTED:
            raise NotImplementedError(node.op_type)
        ins = [env[name] for name in node.input]
        op = node.op_type
        if op == "Sub":
            out = ins[0] - ins[1]
        elif op == "Div":
            out = ins[0] / ins[1]
        elif op == "Mul":
            out = ins[0] * ins[1]
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "MatMul":
            out = ins[0] @ ins[1]
        elif op == "Sigmoid":
            out = np.float32(1) / (np.float32(1) + np.exp(-ins[0]))
        else:
            out = _tree_ensemble_regressor(ins[0], _attrs(node))
        env[node.output[0]] = np.asarray(out, dtype=np.float32)
    return env


def predict(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """Probability column [N, 1] as float32."""
    return run(model, x)[model.graph.output[0].name]
