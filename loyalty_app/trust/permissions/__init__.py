"""The permission matrix (matrix.json): who may do what with each DocType and sensitive field."""

import json
import os

MATRIX_PATH = os.path.join(os.path.dirname(__file__), "matrix.json")
PTYPES = {"r": "read", "w": "write", "c": "create", "d": "delete", "s": "submit", "x": "cancel"}
# Website user linked to a member; Guest is the anonymous visitor.
MEMBER = "Member"
GUEST = "Guest"


def load() -> dict:
	with open(MATRIX_PATH) as f:
		return json.load(f)


def expected(letters: str) -> dict[str, bool]:
	"""{"read": True, "write": False, ...} from "rw"."""
	return {ptype: letter in letters for letter, ptype in PTYPES.items()}
