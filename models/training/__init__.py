"""FinEdge risk-model training pipeline.

Run `/usr/bin/python3 models/train.py` from the repository root; see models/README.md.
"""

VERSION = "1.0.0"
