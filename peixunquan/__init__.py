"""peixunquan: the training-voucher backend. This package is the composition root."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
