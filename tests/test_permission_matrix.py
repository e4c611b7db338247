"""The DocType JSON permissions agree with the permission matrix, and every DocType and sensitive field of
the app has an entry (plain Python: reads the JSON files; the Frappe and HTTP checks use the same matrix)."""

import json
import pathlib
import re

from loyalty_app.trust.permissions import GUEST, MEMBER, PTYPES, load

APP = pathlib.Path(__file__).resolve().parent.parent / "loyalty_app"
DESK_ROLES = ("Loyalty User", "Loyalty Integration", "Loyalty Manager", "Shopping Guide", "System Manager")
# Fields that name or reach a person: they must be in the matrix's fields.
PERSONAL = re.compile(r"mobile|email|phone|recipient|(^|_)user$|consent$|address")


def doctypes() -> dict[str, dict]:
	found = {}
	for path in APP.glob("*/doctype/*/*.json"):
		doc = json.loads(path.read_text())
		if doc.get("doctype") == "DocType" and path.stem == path.parent.name:
			found[doc["name"]] = doc
	return found


def letters(doc: dict, role: str) -> str:
	rows = [p for p in doc.get("permissions", []) if p["role"] == role and not p.get("permlevel")]
	return "".join(letter for letter, ptype in PTYPES.items() if any(p.get(ptype) for p in rows))


def test_every_doctype_of_the_app_is_in_the_matrix_for_every_role():
	matrix = load()
	ours = {name for name, doc in doctypes().items() if not doc.get("istable")}
	assert sorted(ours - matrix["doctypes"].keys()) == []
	assert sorted(matrix["doctypes"].keys() - ours) == []
	for name, row in {**matrix["doctypes"], **matrix["erpnext_doctypes"]}.items():
		assert sorted(row) == sorted(matrix["roles"]), name


def test_doctype_json_permissions_agree_with_the_matrix():
	matrix = load()
	for name, doc in doctypes().items():
		if doc.get("istable"):
			continue
		for role in DESK_ROLES:
			assert letters(doc, role) == matrix["doctypes"][name][role], (name, role)
		assert not any(p["role"] in (GUEST, "All", "Website User") for p in doc.get("permissions", [])), name
		assert matrix["doctypes"][name][GUEST] == matrix["doctypes"][name][MEMBER] == "", name


def test_every_sensitive_field_has_an_entry_and_its_permlevel_matches():
	matrix = load()
	for name, doc in doctypes().items():
		entries = matrix["fields"].get(name, {})
		for field in doc["fields"]:
			sensitive = field.get("permlevel") or (
				PERSONAL.search(field["fieldname"])
				and field["fieldtype"] not in ("Section Break", "Column Break")
			)
			if sensitive:
				assert field["fieldname"] in entries, (name, field["fieldname"])
		for fieldname, entry in entries.items():
			field = next(f for f in doc["fields"] if f["fieldname"] == fieldname)
			level = field.get("permlevel", 0)
			readers = {
				p["role"] for p in doc["permissions"] if p.get("permlevel", 0) == level and p.get("read")
			}
			writers = {
				p["role"] for p in doc["permissions"] if p.get("permlevel", 0) == level and p.get("write")
			}
			assert readers == set(entry["read"]), (name, fieldname)
			assert set(entry["write"]) <= writers, (name, fieldname)
			if field.get("read_only"):
				assert entry["write"] == [], (name, fieldname)
