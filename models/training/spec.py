"""Fixed facts shared by every model: data location, split, bands, graph conventions.

Everything a served model depends on is written here once so that the manifests of
all models stay consistent with each other.
"""

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent
DATA_CSV = MODELS_DIR / "data" / "credit_data.csv"

# The copy of credit_data.csv in models/data must be exactly the one documented in
# models/data/README.md; a silent change of data would otherwise change every model.
DATA_SHA256 = "2392f2e9d9ebe7eef1b40b7e3c13fff748783ad64b3ad5af7f04a17556842fd9"
DATA_LABEL = "credit_data (R package modeldata 1.1.0, MIT licence)"

SEED = 42
TEST_SIZE = 0.25
CV_FOLDS = 5

# Quality gates: training fails rather than writing a model below these test AUCs.
MIN_AUC = {"credit-lr": 0.833, "credit-gbdt": 0.841}
# Largest accepted |reference - ONNX| difference in probability, on every row scored.
MAX_ONNX_DIFF = 1e-5

# Graph conventions, identical for every model so that one loader serves all of them.
INPUT_NAME = "features"
OUTPUT_NAME = "probability"
OPSET_ONNX = 15
OPSET_ML = 3
IR_VERSION = 8
PRODUCER = "finedge-models"

# Risk bands, highest first: the first band whose test passes wins.
# CRITICAL is strictly above 15 %; the others include their lower bound.
BANDS = [
    {"band": "CRITICAL", "min": 0.15, "exclusive": True},
    {"band": "HIGH", "min": 0.05},
    {"band": "MEDIUM", "min": 0.02},
    {"band": "LOW", "min": 0},
]

# Raw loan-application fields, in the order of the source CSV (capitalised there).
# min/max are sanity bounds for accepting a request, wider than the training range,
# which the manifest also gives as observedMin/observedMax.
CREDIT_FIELDS = [
    {"name": "seniority", "type": "number", "unit": "years", "min": 0, "max": 60,
     "description": "Years with the current employer."},
    {"name": "home", "type": "category",
     "description": "Housing situation. 'ignore' is a level of the source data meaning the situation was not recorded; "
                    "'priv' is private housing."},
    {"name": "time", "type": "number", "unit": "months", "min": 1, "max": 120,
     "description": "Requested loan term."},
    {"name": "age", "type": "number", "unit": "years", "min": 18, "max": 100,
     "description": "Applicant's age."},
    {"name": "marital", "type": "category", "description": "Marital status."},
    {"name": "records", "type": "category",
     "description": "Whether the applicant has records of past arrears ('yes' / 'no')."},
    {"name": "job", "type": "category", "description": "Type of employment ('partime' is part-time)."},
    {"name": "expenses", "type": "number", "unit": "source currency units", "min": 0, "max": 10000,
     "description": "Regular expenses, on the scale of the source data."},
    {"name": "income", "type": "number", "unit": "source currency units", "min": 0, "max": 100000,
     "description": "Regular income, on the scale of the source data."},
    {"name": "assets", "type": "number", "unit": "source currency units", "min": 0, "max": 100000000,
     "description": "Value of the applicant's assets."},
    {"name": "debt", "type": "number", "unit": "source currency units", "min": 0, "max": 100000000,
     "description": "Outstanding debt."},
    {"name": "amount", "type": "number", "unit": "source currency units", "min": 1, "max": 1000000,
     "description": "Requested loan amount."},
    {"name": "price", "type": "number", "unit": "source currency units", "min": 1, "max": 10000000,
     "description": "Price of the good being financed."},
]
CREDIT_TARGET = "Status"
CREDIT_POSITIVE = "bad"


def csv_column(field_name: str) -> str:
    """Raw JSON field name -> source CSV column (the CSV capitalises its headers)."""
    return field_name.capitalize()
