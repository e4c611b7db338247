"""bench commands of loyalty_app: `bench --site SITE import-loyalty-members FILE` and
`bench --site SITE rollback-loyalty-import BATCH`."""

import json

import click
from frappe.commands import get_site, pass_context


def run_on_site(context, call) -> None:
	"""Run `call` on the site as Administrator, committed; a refusal is a clear error, not a traceback."""
	import frappe

	frappe.init(site=get_site(context))
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		click.echo(json.dumps(call(), default=str))
		frappe.db.commit()  # nosemgrep: a bench command's work is kept
	except frappe.ValidationError as error:
		frappe.db.rollback()
		raise click.ClickException(str(error)) from error
	finally:
		frappe.destroy()


@click.command("import-loyalty-members")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--mode", type=click.Choice(["Valid rows", "All or nothing"]), default="Valid rows")
@click.option("--company", help="The company the imported points belong to")
@click.option("--title", help="The batch's title (default: the file's name)")
@pass_context
def import_loyalty_members(context, path, mode, company, title):
	"""Import members, balances and figures from a CSV file as a Loyalty Import Batch."""
	from loyalty_app.loyalty.services.member_import import import_file

	run_on_site(context, lambda: import_file(path, title=title, import_mode=mode, company=company))


@click.command("rollback-loyalty-import")
@click.argument("batch")
@pass_context
def rollback_loyalty_import(context, batch):
	"""Roll back an imported Loyalty Import Batch as a whole (refused once any of its points was spent)."""
	from loyalty_app.loyalty.services.member_import import rollback_batch

	run_on_site(context, lambda: rollback_batch(batch))


commands = [import_loyalty_members, rollback_loyalty_import]
