"""Every user-facing string wrapped in _() / __() ships a Chinese (zh) translation."""

import ast
import csv
import json
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "loyalty_app"
JS_CALL = re.compile(r"""\b__\(\s*(["'`])((?:\\.|(?!\1).)*)\1""")


def frappe_and_erpnext_labels() -> set[str]:
	"""Labels of ERPNext's own DocTypes that our workspace links to are translated by ERPNext."""
	return {"Customer", "POS Invoice", "Sales Invoice", "Point of Sale"}


def zh_translations() -> dict[str, str]:
	with open(APP / "translations" / "zh.csv", newline="", encoding="utf-8") as f:
		return {row[0]: row[1] for row in csv.reader(f) if row}


def python_strings() -> set[str]:
	found = set()
	for path in APP.rglob("*.py"):
		for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
			if (
				isinstance(node, ast.Call)
				and isinstance(node.func, ast.Name)
				and node.func.id == "_"
				and node.args
				and isinstance(node.args[0], ast.Constant)
				and isinstance(node.args[0].value, str)
			):
				found.add(node.args[0].value)
	return found


def js_strings() -> set[str]:
	return {
		match.group(2)
		for path in APP.rglob("*.js")
		for match in JS_CALL.finditer(path.read_text(encoding="utf-8"))
	}


TEMPLATE_CALL = re.compile(r'\b_\(\s*"((?:\\.|[^"\\])*)"')


def template_strings() -> set[str]:
	"""Jinja in our web pages and Notification messages (.html) and in our Notifications' subjects."""
	texts = [path.read_text(encoding="utf-8") for path in APP.rglob("*.html")]
	for path in APP.glob("*/notification/*/*.json"):
		texts.append(json.loads(path.read_text(encoding="utf-8")).get("subject") or "")
	return {match.group(1) for text in texts for match in TEMPLATE_CALL.finditer(text)}


def desk_labels() -> set[str]:
	"""What the desk shows from our JSON: DocType, field and Select option labels, workspace labels."""
	found = set()
	for path in APP.glob("*/doctype/*/*.json"):
		doctype = json.loads(path.read_text(encoding="utf-8"))
		found.add(doctype["name"])
		for field in doctype.get("fields", []):
			if field.get("label"):
				found.add(field["label"])
			if (
				field.get("fieldtype") == "Select"
				and field.get("options")
				and field["fieldname"] != "naming_series"
			):
				found.update(option for option in field["options"].split("\n") if option)
	for path in APP.glob("*/workspace/*/*.json"):
		workspace = json.loads(path.read_text(encoding="utf-8"))
		found.add(workspace["label"])
		found.update(link["label"] for link in workspace["links"] + workspace["shortcuts"])
	return found


def test_every_translatable_string_has_a_zh_translation():
	ours = python_strings() | js_strings() | template_strings() | desk_labels()
	missing = sorted(ours - zh_translations().keys() - frappe_and_erpnext_labels())
	assert not missing, f"add these to loyalty_app/translations/zh.csv: {missing}"


def test_zh_translations_are_not_blank_or_untranslated():
	for source, target in zh_translations().items():
		assert target.strip(), source
		assert target != source, source
