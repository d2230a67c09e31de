"""Reference implementation of "raw JSON -> input vector", driven by a manifest only.

The Worker has to do the same thing in TypeScript. Every sample in every manifest is
produced by these functions from the manifest being written, so the manifest alone is
proven sufficient to rebuild the vector; nothing here reads training state.
"""

import math


class InvalidInput(ValueError):
    """The request cannot be scored; the server should answer with a validation error."""


# --------------------------------------------------------------------------- credit


def credit_values(application: dict, manifest: dict) -> dict:
    """Validated, imputed raw values per feature (missing or null -> the feature's impute value)."""
    values = {}
    for feature in manifest["features"]:
        name = feature["name"]
        value = application.get(name)
        if value is None:
            value = feature["impute"]
        if feature["type"] == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidInput(f"{name}: expected a finite number")
            if not feature["min"] <= value <= feature["max"]:
                raise InvalidInput(f"{name}: {value} outside [{feature['min']}, {feature['max']}]")
        elif value not in feature["categories"]:
            raise InvalidInput(f"{name}: unknown category {value!r}")
        values[name] = value
    return values


def credit_vector(application: dict, manifest: dict) -> list:
    """Vector columns are either a numeric feature name or 'feature=level' (one-hot)."""
    values = credit_values(application, manifest)
    vector = []
    for column in manifest["vector"]:
        if "=" in column:
            name, level = column.split("=", 1)
            vector.append(1.0 if values[name] == level else 0.0)
        else:
            vector.append(float(values[column]))
    return vector


def credit_substitutions(application: dict, manifest: dict) -> dict:
    """For the substitution reason-code method: per feature, the application with that
    feature replaced by its reference value."""
    reference = manifest["reasonCodes"]["reference"]
    values = credit_values(application, manifest)
    return {name: {**values, name: reference[name]} for name in values}


# ------------------------------------------------------------------------ corporate


def _number(record: dict, field: dict, where: str) -> float:
    value = record.get(field["name"])
    if value is None:
        raise InvalidInput(f"{where}{field['name']}: required")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"{where}{field['name']}: expected a finite number")
    if "min" in field and (value < field["min"] or (field.get("exclusiveMin") and value == field["min"])):
        bound = ">" if field.get("exclusiveMin") else ">="
        raise InvalidInput(f"{where}{field['name']}: must be {bound} {field['min']}")
    return float(value)


def statement_values(statement: dict, manifest: dict) -> dict:
    """Validated annual-style statement: every field of rawInput.fields, defaults applied."""
    out = {}
    for field in manifest["rawInput"]["fields"]:
        if statement.get(field["name"]) is None and "default" in field:
            continue
        out[field["name"]] = _number(statement, field, "")
    for field in manifest["rawInput"]["fields"]:
        if field["name"] not in out:
            default = field["default"]
            if default != "current_assets - current_liabilities":
                raise ValueError(f"unsupported default {default!r}")
            out[field["name"]] = out["current_assets"] - out["current_liabilities"]
    return out


def aggregate_quarters(request: dict, manifest: dict) -> dict:
    """Quarterly request -> annual-style statement of trailing-twelve-month figures."""
    spec = manifest["rawInput"]
    quarters = request.get("quarters")
    if not isinstance(quarters, list) or len(quarters) != spec["quarters"]:
        raise InvalidInput(f"quarters: expected exactly {spec['quarters']} quarterly statements, most recent first")
    agg = spec["aggregation"]
    fields = {f["name"]: f for f in spec["quarterFields"]}
    statement = {}
    latest = quarters[0]
    for name in agg["latest"]:
        if latest.get(name) is None and "default" in fields[name]:
            continue
        statement[name] = _number(latest, fields[name], "quarters[0].")
    for name, window in agg["sum"].items():
        source, first, last = window["field"], window["quarters"][0], window["quarters"][1]
        statement[name] = sum(_number(quarters[i], fields[source], f"quarters[{i}].") for i in range(first, last + 1))
    return statement


def _ratio(numerator: float, denominator: float) -> float:
    # An undefined ratio contributes nothing: 0 is also every reason-code reference, so
    # the feature's term simply drops out of the score.
    return 0.0 if denominator == 0 else numerator / denominator


def corporate_features(statement: dict, manifest: dict) -> dict:
    """Feature values (already clipped) from a validated annual-style statement."""
    s = statement
    out = {}
    for feature in manifest["features"]:
        d = feature["derivation"]
        lo, hi = feature["min"], feature["max"]
        op = d["op"]
        if op == "log-ratio":
            value = math.log(s[d["numerator"]] / d["constant"])
        elif op == "ratio":
            value = _ratio(s[d["numerator"]], s[d["denominator"]])
        elif op == "greater":
            value = 1.0 if s[d["left"]] > s[d["right"]] else 0.0
        elif op == "all-negative":
            value = 1.0 if all(s[name] < 0 for name in d["fields"]) else 0.0
        elif op == "change":
            current, prior = s[d["current"]], s[d["prior"]]
            denominator = abs(current) + abs(prior)
            value = 0.0 if denominator == 0 else (current - prior) / denominator
        else:
            raise ValueError(f"unknown derivation {op!r}")
        out[feature["name"]] = min(max(value, lo), hi)
    return out


def corporate_vector(request: dict, manifest: dict) -> list:
    if manifest["rawInput"]["kind"] == "quarterly-statements":
        raw = aggregate_quarters(request, manifest)
    else:
        raw = request
    statement = statement_values(raw, manifest)
    features = corporate_features(statement, manifest)
    return [features[name] for name in manifest["vector"]]
