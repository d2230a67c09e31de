"""Input rules of the manifests, checked against the committed manifests.

    /usr/bin/python3 -m unittest discover -s models/tests -v

The samples in each manifest cover the happy paths; these cover rejection, imputation,
zero denominators and clipping, which a server must implement the same way.
"""

import json
import sys
import unittest
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(MODELS))

from training import vectorise  # noqa: E402
from training.vectorise import InvalidInput  # noqa: E402


def manifest(name: str) -> dict:
    return json.loads((MODELS / name / "1.0.0" / "manifest.json").read_text())


class CreditRules(unittest.TestCase):
    def setUp(self):
        self.man = manifest("credit-gbdt")
        self.app = dict(self.man["samples"][0]["input"])

    def test_missing_and_null_fields_take_the_impute_value(self):
        absent = {k: v for k, v in self.app.items() if k not in ("income", "home")}
        nulls = {**self.app, "income": None, "home": None}
        imputed = {**self.app, "income": self._impute("income"), "home": self._impute("home")}
        expected = vectorise.credit_vector(imputed, self.man)
        self.assertEqual(vectorise.credit_vector(absent, self.man), expected)
        self.assertEqual(vectorise.credit_vector(nulls, self.man), expected)

    def test_one_hot_columns(self):
        vector = vectorise.credit_vector({**self.app, "home": "rent"}, self.man)
        home = {c: v for c, v in zip(self.man["vector"], vector) if c.startswith("home=")}
        self.assertEqual(home, {f"home={level}": float(level == "rent")
                                for level in self._feature("home")["categories"]})

    def test_rejections(self):
        for bad in ({"home": "castle"}, {"age": 17}, {"age": "40"}, {"income": float("nan")}, {"records": True}):
            with self.subTest(bad=bad), self.assertRaises(InvalidInput):
                vectorise.credit_vector({**self.app, **bad}, self.man)

    def test_both_credit_models_share_the_vector_layout(self):
        lr = manifest("credit-lr")
        self.assertEqual(lr["vector"], self.man["vector"])
        self.assertEqual([s["input"] for s in lr["samples"]], [s["input"] for s in self.man["samples"]])

    def _feature(self, name):
        return next(f for f in self.man["features"] if f["name"] == name)

    def _impute(self, name):
        return self._feature(name)["impute"]


STATEMENT = {"total_assets": 100_000_000, "total_liabilities": 60_000_000, "current_assets": 30_000_000,
             "current_liabilities": 20_000_000, "net_income": 2_000_000, "net_income_prior": -1_000_000,
             "funds_from_operations": 5_000_000}


class CorporateRules(unittest.TestCase):
    def setUp(self):
        self.annual = manifest("corporate-annual")
        self.quarterly = manifest("corporate-quarterly")

    def features(self, statement):
        return dict(zip(self.annual["vector"], vectorise.corporate_vector(statement, self.annual)))

    def test_ordinary_statement(self):
        f = self.features(STATEMENT)
        self.assertAlmostEqual(f["tl_ta"], 0.6)
        self.assertAlmostEqual(f["wc_ta"], 0.1)  # working capital defaults to CA - CL
        self.assertAlmostEqual(f["chin"], 1.0)
        self.assertEqual((f["oeneg"], f["intwo"]), (0.0, 0.0))

    def test_zero_denominators_give_zero(self):
        f = self.features({**STATEMENT, "current_assets": 0, "total_liabilities": 0, "current_liabilities": 0})
        self.assertEqual((f["cl_ca"], f["ffo_tl"]), (0.0, 0.0))
        f = self.features({**STATEMENT, "net_income": 0, "net_income_prior": 0})
        self.assertEqual(f["chin"], 0.0)

    def test_extreme_ratios_are_clipped(self):
        f = self.features({**STATEMENT, "total_liabilities": 5_000_000_000, "current_assets": 1})
        self.assertEqual((f["tl_ta"], f["cl_ca"], f["oeneg"]), (10, 10, 1.0))

    def test_rejections(self):
        for bad in ({"total_assets": 0}, {"current_assets": -1}, {"net_income": None}, {"net_income": "1"}):
            with self.subTest(bad=bad), self.assertRaises(InvalidInput):
                vectorise.corporate_vector({**STATEMENT, **bad}, self.annual)

    def test_quarters_reduce_to_trailing_twelve_months(self):
        stocks = {k: STATEMENT[k] for k in ("total_assets", "total_liabilities", "current_assets",
                                             "current_liabilities")}
        quarters = [{**stocks, "net_income": 500_000, "funds_from_operations": 1_250_000}] + \
                   [{"net_income": 500_000, "funds_from_operations": 1_250_000} for _ in range(3)] + \
                   [{"net_income": -250_000} for _ in range(4)]
        self.assertEqual(vectorise.corporate_vector({"quarters": quarters}, self.quarterly),
                         vectorise.corporate_vector(STATEMENT, self.annual))
        with self.assertRaises(InvalidInput):
            vectorise.corporate_vector({"quarters": quarters[:4]}, self.quarterly)
        with self.assertRaises(InvalidInput):
            vectorise.corporate_vector({"quarters": quarters[:4] + [{}] * 4}, self.quarterly)


if __name__ == "__main__":
    unittest.main()
