// Loyalty panel on ERPNext's Point of Sale page (hooks.py page_js["point-of-sale"]).
//
// Wraps, never replaces, ERPNext's POS: a compact bar above the POS app lets the clerk look a member up
// by mobile number or member code (a scanner just types + Enter), enrol a new member, pay with points
// and apply one of the member's coupons. It follows the invoice's customer (cur_pos.frm) and shows
// "Points earned" after the order is submitted. The server (before_validate) recomputes and validates
// the points payment on submit; this file only prepares it. Every hook is wrapped in try/catch: a
// failure here logs a warning and leaves the POS working.
(() => {
	const API = "loyalty_app.api.pos.";
	const state = {
		summary: null, // the member summary of the invoice's customer (api.pos.for_customer)
		customer: null, // the customer that summary belongs to
		invoice: null, // the frm.doc.name the panel last saw
		last_earned: null, // {invoice, points} of the last submitted order
		$panel: null,
		loading: null,
		rendered: null,
	};

	const warn = (where, error) => console.warn(`loyalty_app POS panel: ${where}`, error); // eslint-disable-line no-console

	const safe =
		(where, fn) =>
		(...args) => {
			try {
				const result = fn(...args);
				if (result && typeof result.catch === "function") {
					return result.catch((e) => warn(where, e));
				}
				return result;
			} catch (e) {
				warn(where, e);
			}
		};

	const pos = () => (window.cur_pos && window.cur_pos.frm ? window.cur_pos : null);
	const frm = () => pos() && pos().frm;
	const is_pos_frm = (form) => !!form && !!pos() && form === pos().frm;

	const call = (method, args, type = "GET") =>
		frappe
			.call({ method: API + method, args, type, freeze: type === "POST" })
			.then((r) => (r ? r.message : null));

	const money = (value) => format_currency(value, (frm() && frm().doc.currency) || undefined);

	// The panel

	const PANEL_CSS = `
		.loyalty-pos-panel { display: flex; flex-wrap: wrap; align-items: center; gap: var(--margin-sm, 8px);
			padding: 8px 12px; margin-bottom: var(--margin-md, 12px); background: var(--fg-color);
			border-radius: var(--border-radius-md, 8px); box-shadow: var(--card-shadow); }
		.loyalty-pos-panel .lp-title { font-weight: 600; }
		.loyalty-pos-panel .lp-search { width: 220px; }
		.loyalty-pos-panel .lp-info { flex: 1; min-width: 240px; display: flex; flex-wrap: wrap; gap: 4px 14px;
			color: var(--text-muted); font-size: var(--text-sm, 13px); }
		.loyalty-pos-panel .lp-info b { color: var(--text-color); }
		.lp-summary-earned { margin: 0 0 var(--margin-md, 12px); }
		.loyalty-pos-panel .lp-earned, .lp-summary-earned { color: var(--green-600, #16a34a); font-weight: 600; }
	`;

	function mount() {
		const p = pos();
		if (!p || !p.wrapper || !p.$components_wrapper) return false;
		if (state.$panel && document.body.contains(state.$panel[0])) return true;
		if (!document.getElementById("loyalty-pos-panel-css")) {
			$(`<style id="loyalty-pos-panel-css">${PANEL_CSS}</style>`).appendTo(document.head);
		}
		state.$panel = $(`
			<div class="loyalty-pos-panel" role="region" aria-label="${__("Loyalty")}">
				<span class="lp-title">${__("Loyalty")}</span>
				<input type="search" class="form-control input-xs lp-search" autocomplete="off"
					aria-label="${__("Member mobile or code")}" placeholder="${__("Member mobile or code")}">
				<button type="button" class="btn btn-xs btn-default lp-find">${__("Find Member")}</button>
				<div class="lp-info" aria-live="polite"></div>
				<button type="button" class="btn btn-xs btn-default lp-enrol">${__("Enrol")}</button>
				<button type="button" class="btn btn-xs btn-default lp-redeem">${__("Redeem Points")}</button>
				<button type="button" class="btn btn-xs btn-default lp-coupon">${__("Apply Coupon")}</button>
				<button type="button" class="btn btn-xs btn-default lp-verify">${__("Mobile Verified")}</button>
			</div>
		`);
		p.$components_wrapper.before(state.$panel);
		state.rendered = null;
		const $search = state.$panel.find(".lp-search");
		$search.on(
			"keydown",
			safe("search key", (e) => {
				// Keep a scanner's keystrokes from ERPNext's item scanner (onScan listens on document).
				e.stopPropagation();
				if (e.key === "Enter") {
					e.preventDefault();
					e.stopPropagation();
					find_member($search.val());
				}
			})
		);
		state.$panel.find(".lp-find").on(
			"click",
			safe("find", () => find_member($search.val()))
		);
		state.$panel.find(".lp-enrol").on("click", safe("enrol", () => enrol_dialog($search.val())));
		state.$panel.find(".lp-redeem").on("click", safe("redeem", redeem_dialog));
		state.$panel.find(".lp-coupon").on("click", safe("coupon", coupon_dialog));
		state.$panel.find(".lp-verify").on("click", safe("verify", verify_mobile));
		render();
		return true;
	}

	function render() {
		if (!state.$panel) return;
		const s = state.summary;
		const $info = state.$panel.find(".lp-info");
		const parts = [];
		if (s) {
			parts.push(`<span class="lp-member"><b>${frappe.utils.escape_html(s.member_name || s.member)}</b>
				(${frappe.utils.escape_html(s.member)})</span>`);
			if (s.status !== "Active") {
				parts.push(
					`<span class="lp-status text-danger">${__("Member is {0}: no points can be earned or redeemed", [
						__(s.status),
					])}${s.status_reason ? " (" + frappe.utils.escape_html(s.status_reason) + ")" : ""}</span>`
				);
			}
			parts.push(`<span>${__("Tier")}: <b>${frappe.utils.escape_html(s.tier || "-")}</b></span>`);
			parts.push(`<span>${__("Balance")}: <b class="lp-balance">${s.points_balance}</b></span>`);
			parts.push(
				`<span>${__("Redeemable")}: <b class="lp-redeemable">${s.redeemable_points}</b>
				(${money(s.redeemable_points * s.point_value)})</span>`
			);
			if (s.points_expiring_soon) {
				parts.push(
					`<span>${__("Expiring soon")}: <b>${s.points_expiring_soon}</b>${
						s.next_points_expiry ? " " + frappe.datetime.str_to_user(s.next_points_expiry) : ""
					}</span>`
				);
			}
			parts.push(`<span>${__("Coupons")}: <b>${(s.coupons || []).length}</b></span>`);
			const redeemed = cint(frm() && frm().doc.loyalty_points_redeemed);
			if (redeemed && !frm().doc.docstatus) {
				parts.push(`<span>${__("Paying with points")}: <b class="lp-paying">${redeemed}</b></span>`);
			}
		} else if (frm() && frm().doc.customer) {
			parts.push(`<span>${__("Customer is not a loyalty member")}</span>`);
		} else {
			parts.push(`<span>${__("No member selected")}</span>`);
		}
		if (state.last_earned) {
			parts.push(
				`<span class="lp-earned">${__("Points earned: {0}", [state.last_earned.points])}
				(${frappe.utils.escape_html(state.last_earned.invoice)})</span>`
			);
		}
		const html = parts.join("");
		if (html !== state.rendered) {
			state.rendered = html;
			$info.html(html);
		}
		const doc = frm() && frm().doc;
		const draft = !!doc && !doc.docstatus;
		state.$panel
			.find(".lp-redeem")
			.prop("disabled", !s || !draft || !s.redeemable_points || s.status !== "Active");
		state.$panel.find(".lp-verify").toggle(!!s && !s.mobile_verified);
		state.$panel.find(".lp-coupon").prop("disabled", !s || !draft);
	}

	// The clerk has seen the customer and their phone: the mobile number counts as verified.
	async function verify_mobile() {
		const s = state.summary;
		if (!s) return;
		state.summary = await call("verify_mobile", { member: s.member }, "POST");
		render();
	}

	// Member of the invoice's customer

	function refresh_member(force) {
		const form = frm();
		if (!form) return Promise.resolve();
		const customer = form.doc.customer || null;
		if (!force && customer === state.customer && state.loading === null) return Promise.resolve();
		state.customer = customer;
		if (!customer) {
			show_member(null);
			return Promise.resolve();
		}
		const loading = call("for_customer", { customer }).then((summary) => {
			if (state.loading !== loading) return;
			state.loading = null;
			show_member(summary || null);
		});
		state.loading = loading;
		return loading.catch((e) => {
			state.loading = null;
			warn("for_customer", e);
		});
	}

	async function find_member(query) {
		query = (query || "").trim();
		if (!query) return;
		// A refused look-up (an expired or used member code) rejects after Frappe showed the server's reason.
		const summary = await call("lookup", { query }).catch(() => undefined);
		if (summary === undefined) return;
		if (!summary) {
			frappe.show_alert({ message: __("No loyalty member found for {0}", [query]), indicator: "orange" });
			return;
		}
		state.$panel && state.$panel.find(".lp-search").val("");
		await select_customer(summary.customer);
		state.customer = summary.customer;
		show_member(summary);
	}

	// The member on the invoice, shown in the panel. On a member day (会员日) the invoice lists the day,
	// so ERPNext prices the cart with the member's discount as items are added (the server marks the
	// invoice the same way when it is saved: engagement/services/member_days.py).
	function show_member(summary) {
		state.summary = summary;
		const form = frm();
		const days = (summary && summary.member_days) || "";
		if (form && !form.doc.docstatus && (form.doc.loyalty_member_days || "") !== days) {
			form.doc.loyalty_member_days = days;
			if ((form.doc.items || []).some((row) => row.item_code)) form.cscript.apply_pricing_rule();
		}
		render();
	}

	// Set the customer the way the cart's own customer selector does, so the cart shows it too.
	async function select_customer(customer) {
		const p = pos();
		if (!p || !customer) return;
		if (p.frm.doc.customer === customer) return;
		if (p.frm.doc.docstatus) return;
		const cart = p.cart;
		try {
			if (cart && cart.$customer_section) {
				if (p.frm.doc.customer) cart.reset_customer_selector();
				if (cart.customer_field) {
					await cart.customer_field.set_value(customer);
					await wait_for(() => p.frm.doc.customer === customer, 5000);
					return;
				}
			}
		} catch (e) {
			warn("cart customer selector", e);
		}
		await p.frm.set_value("customer", customer);
	}

	function wait_for(condition, timeout) {
		return new Promise((resolve) => {
			const started = Date.now();
			const tick = () => {
				if (condition() || Date.now() - started > timeout) return resolve();
				setTimeout(tick, 100);
			};
			tick();
		});
	}

	// Enrol

	function enrol_dialog(prefill) {
		const looks_like_mobile = /^[+\d][\d\s-]{4,}$/.test((prefill || "").trim());
		const dialog = new frappe.ui.Dialog({
			title: __("Enrol Member"),
			fields: [
				{
					fieldname: "mobile_no",
					fieldtype: "Data",
					label: __("Mobile No"),
					reqd: 1,
					default: looks_like_mobile ? prefill.trim() : "",
				},
				{ fieldname: "member_name", fieldtype: "Data", label: __("Member Name"), reqd: 1 },
				{
					fieldname: "shopping_guide",
					fieldtype: "Link",
					options: "Sales Person",
					label: __("Shopping Guide"),
					get_query: () => ({ filters: { is_group: 0, enabled: 1 } }),
				},
				{ fieldname: "customer", fieldtype: "Select", label: __("Customer"), hidden: 1, options: [] },
			],
			primary_action_label: __("Enrol"),
			primary_action: safe("enrol submit", async (values) => {
				const answer = await call("enrol", values, "POST");
				if (!answer) return;
				if (answer.choose_customer) {
					show_customer_choice(dialog, answer.choose_customer);
					return;
				}
				const summary = answer;
				dialog.hide();
				frappe.show_alert({
					message: __("{0} is a loyalty member", [summary.member_name]),
					indicator: "green",
				});
				await select_customer(summary.customer);
				state.customer = summary.customer;
				show_member(summary);
			}),
		});
		dialog.show();
	}

	// Several existing customers have the mobile number: the clerk picks the one standing at the till.
	function show_customer_choice(dialog, candidates) {
		const field = dialog.get_field("customer");
		field.df.options = candidates.map((c) => ({
			value: c.customer,
			label: `${c.customer_name} (${c.customer})`,
		}));
		field.df.hidden = 0;
		field.df.reqd = 1;
		field.refresh();
		dialog.set_df_property("customer", "description", __("More than one customer has this mobile number: choose one."));
	}

	// Redeem points: set Points Redeemed and the Loyalty Points payment row; the server re-checks both.

	const POINTS_MODE = "Loyalty Points";

	function payable_total(doc) {
		return flt(cint(frappe.sys_defaults.disable_rounded_total) ? doc.grand_total : doc.rounded_total || doc.grand_total);
	}

	function redeem_dialog() {
		const s = state.summary;
		const form = frm();
		if (!s || !form) return;
		if (!(form.doc.items || []).length) {
			frappe.show_alert({ message: __("Add items before redeeming points"), indicator: "orange" });
			return;
		}
		const by_total = s.point_value > 0 ? Math.floor(payable_total(form.doc) / s.point_value) : 0;
		const max_points = Math.max(Math.min(cint(s.redeemable_points), by_total), 0);
		const dialog = new frappe.ui.Dialog({
			title: __("Redeem Points"),
			fields: [
				{
					fieldname: "points",
					fieldtype: "Int",
					label: __("Points"),
					reqd: 1,
					default: cint(form.doc.loyalty_points_redeemed) || undefined,
					description: __("Up to {0} points ({1}); one point is worth {2}", [
						max_points,
						money(max_points * s.point_value),
						money(s.point_value),
					]),
				},
			],
			primary_action_label: __("Redeem"),
			primary_action: safe("redeem submit", async ({ points }) => {
				points = cint(points);
				if (points < 0 || points > max_points) {
					frappe.msgprint(__("Enter between 0 and {0} points", [max_points]));
					return;
				}
				dialog.hide();
				await set_points_redeemed(points);
			}),
		});
		dialog.show();
	}

	async function set_points_redeemed(points) {
		const form = frm();
		await form.set_value("loyalty_points_redeemed", points);
		await apply_points_payment();
		render();
	}

	// Make the payment rows match the points: Loyalty Points = points × value, the default mode the rest.
	async function apply_points_payment() {
		const form = frm();
		const s = state.summary;
		if (!form || form.doc.docstatus) return;
		const points = cint(form.doc.loyalty_points_redeemed);
		const rows = form.doc.payments || [];
		const points_row = rows.find((p) => p.mode_of_payment === POINTS_MODE);
		if (!points_row) {
			if (points) {
				frappe.show_alert({
					message: __("The POS Profile has no {0} mode of payment", [__(POINTS_MODE)]),
					indicator: "orange",
				});
			}
			return;
		}
		const value = points && s ? flt(points * s.point_value, precision("amount", points_row)) : 0;
		if (flt(points_row.amount) !== value) {
			await frappe.model.set_value(points_row.doctype, points_row.name, "amount", value);
		}
		const default_row = rows.find((p) => p.default && p !== points_row);
		if (default_row) {
			const others = rows
				.filter((p) => p !== default_row)
				.reduce((sum, p) => sum + flt(p.amount), 0);
			const rest = Math.max(flt(payable_total(form.doc) - others, precision("amount", default_row)), 0);
			await frappe.model.set_value(default_row.doctype, default_row.name, "amount", rest);
		}
		if (form.cscript && form.cscript.calculate_outstanding_amount) {
			form.cscript.calculate_outstanding_amount(false);
		}
		form.refresh_field("paid_amount");
		const payment = pos() && pos().payment;
		if (payment && payment.$component && payment.$component.is(":visible")) {
			payment.render_payment_mode_dom();
			payment.update_totals_section(form.doc);
		}
	}

	// Coupons

	function coupon_dialog() {
		const s = state.summary;
		const form = frm();
		if (!s || !form) return;
		const codes = (s.coupons || []).map((c) => c.code);
		const dialog = new frappe.ui.Dialog({
			title: __("Apply Coupon"),
			fields: [
				codes.length
					? {
							fieldname: "coupon_code",
							fieldtype: "Select",
							label: __("Coupon Code"),
							options: codes,
							reqd: 1,
							default: codes[0],
					  }
					: {
							fieldname: "coupon_code",
							fieldtype: "Data",
							label: __("Coupon Code"),
							reqd: 1,
							description: __("This member has no coupons; enter a code"),
					  },
			],
			primary_action_label: __("Apply"),
			primary_action: safe("coupon submit", async ({ coupon_code }) => {
				dialog.hide();
				if (!(form.doc.items || []).length) {
					frappe.show_alert({ message: __("Add items before applying a coupon"), indicator: "orange" });
					return;
				}
				// ERPNext's POS applies the pricing rule of the coupon on this event (pos_payment.js).
				await form.set_value("coupon_code", coupon_code.trim());
			}),
		});
		dialog.show();
	}

	// Hooks into ERPNext's POS

	function wrap(object, method, after) {
		if (!object || typeof object[method] !== "function" || object[method].__loyalty_wrapped) return;
		const original = object[method];
		const wrapped = function (...args) {
			const result = original.apply(this, args);
			const run = () => safe(`after ${method}`, () => after.apply(this, args))();
			if (result && typeof result.then === "function") {
				return result.then((value) => {
					run();
					return value;
				});
			}
			run();
			return result;
		};
		wrapped.__loyalty_wrapped = true;
		object[method] = wrapped;
	}

	function hook_controller() {
		const p = pos();
		if (!p) return;
		// Opening the payment screen resets the default mode of payment to the whole total: put points back.
		wrap(p.payment, "checkout", () => {
			if (cint(frm().doc.loyalty_points_redeemed)) return apply_points_payment();
		});
		// A past order's summary shows the points it earned.
		wrap(p.order_summary, "load_summary_of", (doc) => {
			if (!doc || doc.docstatus !== 1 || !p.order_summary.$upper_section) return;
			p.order_summary.$summary_container.find(".lp-summary-earned").remove();
			if (doc.loyalty_member || cint(doc.loyalty_points_earned)) {
				p.order_summary.$upper_section.after(
					`<div class="lp-summary-earned">${__("Points earned: {0}", [
						cint(doc.loyalty_points_earned),
					])}</div>`
				);
			}
		});
	}

	frappe.ui.form.on("POS Invoice", {
		customer: safe("customer event", (form) => {
			if (!is_pos_frm(form)) return;
			if (cint(form.doc.loyalty_points_redeemed) && !form.doc.docstatus) {
				// Points belong to the previous customer's member.
				form.doc.loyalty_points_redeemed = 0;
				apply_points_payment();
			}
			refresh_member(true);
		}),
		on_submit: safe("on_submit event", (form) => {
			if (!is_pos_frm(form)) return;
			const doc = form.doc;
			if (!doc.loyalty_member && !state.summary) return;
			const points = cint(doc.loyalty_points_earned);
			state.last_earned = { invoice: doc.name, points };
			frappe.show_alert({ message: __("Points earned: {0}", [points]), indicator: "green" }, 7);
			refresh_member(true);
			hook_controller();
			const summary = pos() && pos().order_summary;
			if (summary && summary.$component && summary.$component.is(":visible")) {
				summary.load_summary_of(doc, true);
			}
		}),
	});

	// cur_pos is created after the POS bundle loads and the opening entry is checked; the invoice form
	// is replaced for every new order. A light poll follows both without touching ERPNext's code.
	let timer = null;
	const tick = safe("tick", () => {
		if (frappe.get_route_str() !== "point-of-sale") return;
		if (!mount()) return;
		hook_controller();
		const form = frm();
		const name = form && form.doc && form.doc.name;
		if (name !== state.invoice) {
			state.invoice = name;
			refresh_member(true);
		} else if ((form.doc.customer || null) !== state.customer) {
			refresh_member(true);
		} else {
			render();
		}
	});

	const start = () => {
		if (!timer) timer = setInterval(tick, 700);
		tick();
	};

	try {
		const page = frappe.pages["point-of-sale"];
		const original_show = page && page.on_page_show;
		if (page) {
			page.on_page_show = function (...args) {
				const result = original_show && original_show.apply(this, args);
				start();
				return result;
			};
		}
		start();
	} catch (e) {
		warn("start", e);
	}
})();
