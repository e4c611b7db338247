// README: headless browser test of the POS loyalty panel on the DEMO site. Run (as root, from the repo):
//   runuser -u frappe -- bash -lc 'cd /home/frappe/frappe-bench && bench --site loyalty.localhost execute loyalty_app.tests.browser_fixtures.prepare --kwargs "{\"path\": \"/tmp/pos-loyalty-fixture.json\"}"'
//   cd tests/browser && npm install && node pos_loyalty.test.mjs
// Env: LOYALTY_BROWSER_BASE_URL (default http://127.0.0.1:8000), LOYALTY_BROWSER_FIXTURE (default
// /tmp/pos-loyalty-fixture.json), LOYALTY_BROWSER_CHROMIUM (default /usr/bin/chromium),
// LOYALTY_BROWSER_SCREENSHOT (default /tmp/pos-loyalty.png). Ends with "browser: N passed, N failed".
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const BASE = (process.env.LOYALTY_BROWSER_BASE_URL || "http://127.0.0.1:8000").replace(/\/$/, "");
const FIXTURE = process.env.LOYALTY_BROWSER_FIXTURE || "/tmp/pos-loyalty-fixture.json";
const CHROMIUM = process.env.LOYALTY_BROWSER_CHROMIUM || "/usr/bin/chromium";
const SCREENSHOT = process.env.LOYALTY_BROWSER_SCREENSHOT || "/tmp/pos-loyalty.png";
const CLERK = { usr: "clerk@demo.local", pwd: "Tea-Clerk-2026" };
const ITEM = "DEMO-TEA-JASMINE";
const REDEEM = 100;

let passed = 0;
let failed = 0;
async function step(name, fn) {
	try {
		const value = await fn();
		passed += 1;
		console.log(`ok   ${name}`);
		return value;
	} catch (error) {
		failed += 1;
		console.log(`FAIL ${name}\n     ${String(error && error.stack ? error.stack : error).split("\n").slice(0, 6).join("\n     ")}`);
		throw error;
	}
}

// The member's mobile as a clerk types it: +8613800138001 -> 138 0013 8001
const localFormat = (mobile) => {
	const digits = mobile.replace(/^\+86/, "");
	return `${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}`;
};

async function api(request, path, params) {
	const url = new URL(BASE + path);
	for (const [key, value] of Object.entries(params || {})) {
		url.searchParams.set(key, typeof value === "string" ? value : JSON.stringify(value));
	}
	const response = await request.get(url.toString());
	assert.ok(response.ok(), `GET ${path} -> ${response.status()} ${await response.text()}`);
	return (await response.json()).data;
}

async function main() {
	const fixture = JSON.parse(readFileSync(FIXTURE, "utf-8"));
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
	});
	const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "en-US" });
	const page = await context.newPage();
	page.setDefaultTimeout(20000);
	const consoleWarnings = [];
	page.on("console", (msg) => {
		if (msg.text().includes("loyalty_app POS panel")) consoleWarnings.push(msg.text());
	});
	page.on("pageerror", (error) => consoleWarnings.push(`pageerror: ${error.message}`));
	let invoice;
	try {
		await step("log in as the store clerk", async () => {
			const response = await context.request.post(`${BASE}/api/method/login`, { form: CLERK });
			assert.ok(response.ok(), `login -> ${response.status()}`);
		});

		const before = await step("read the member's balance", async () => {
			const member = await api(context.request, `/api/resource/Loyalty Member/${fixture.member}`);
			assert.ok(member.points_balance >= REDEEM, `member has ${member.points_balance} points`);
			return member.points_balance;
		});

		const panel = page.getByRole("region", { name: "Loyalty" });
		await step("open the POS and see the loyalty panel", async () => {
			await page.goto(`${BASE}/app/point-of-sale`);
			await panel.waitFor({ state: "visible", timeout: 60000 });
			await page.getByPlaceholder("Search by customer name, phone, email.").waitFor();
			await assert.doesNotReject(panel.getByText("No member selected").waitFor());
		});

		await step("find the member by the member code on their phone, once", async () => {
			const phone = await browser.newContext();
			const login = await phone.request.post(`${BASE}/api/method/login`, { form: fixture.member_login });
			assert.ok(login.ok(), `member login -> ${login.status()}`);
			const shown = await phone.request.get(`${BASE}/api/method/loyalty_app.channels.api.my_member_code`);
			assert.ok(shown.ok(), `member code -> ${shown.status()}`);
			const { code, svg } = (await shown.json()).message;
			await phone.close();
			assert.ok(svg.startsWith("<svg") && !code.includes(fixture.mobile_no.slice(-8)));
			const search = panel.getByPlaceholder("Member mobile or code");
			await search.fill(code);
			await search.press("Enter");
			await panel.getByText(fixture.member, { exact: false }).waitFor();
			await page.locator(".customer-section .customer-name", { hasText: fixture.customer }).waitFor();
			// the same code scanned again (a photo of the phone) is refused
			await search.fill(code);
			await search.press("Enter");
			const refusal = page.locator(".modal.show").filter({ hasText: "already used" });
			await refusal.waitFor();
			await refusal.locator(".btn-modal-close").first().click();
			await refusal.waitFor({ state: "hidden" });
			await search.fill("");
		});

		await step("look the member up by mobile number in local format", async () => {
			const search = panel.getByPlaceholder("Member mobile or code");
			await search.fill(localFormat(fixture.mobile_no));
			await search.press("Enter");
			await panel.getByText(fixture.member, { exact: false }).waitFor();
			await panel.locator(".lp-balance", { hasText: String(before) }).waitFor();
			// the cart now shows the member's customer
			await page.locator(".customer-section .customer-name", { hasText: fixture.customer }).waitFor();
		});

		await step(`add ${ITEM} to the cart`, async () => {
			const itemSearch = page.getByPlaceholder(/Search by item code/);
			await itemSearch.fill(ITEM);
			const card = page.locator(`.item-wrapper[data-item-code="${ITEM}"]`);
			await card.first().waitFor();
			await card.first().click();
			await page.locator(".cart-items-section .cart-item-wrapper").first().waitFor();
		});

		await step("today is a member day: the cart prices the item with the member's discount", async () => {
			await page.waitForFunction(
				(discount) => {
					const [row] = window.cur_pos.frm.doc.items || [];
					return row && row.discount_percentage === discount && row.rate < row.price_list_rate;
				},
				fixture.member_day_discount,
				{ timeout: 15000 }
			);
		});

		await step(`redeem ${REDEEM} points`, async () => {
			await panel.getByRole("button", { name: "Redeem Points" }).click();
			const dialog = page.locator(".modal.show").filter({ hasText: "Redeem Points" });
			await dialog.locator('input[data-fieldname="points"]').fill(String(REDEEM));
			await dialog.getByRole("button", { name: "Redeem", exact: true }).click();
			await dialog.waitFor({ state: "hidden" });
			await panel.locator(".lp-paying", { hasText: String(REDEEM) }).waitFor();
		});

		await step("check out: points pay their value, cash the rest", async () => {
			await page.locator(".checkout-btn:visible").filter({ hasText: "Checkout" }).first().click();
			const modes = page.locator(".payment-modes");
			await modes.waitFor();
			const pointsValue = (REDEEM * fixture.point_value).toFixed(2);
			await modes.locator(".loyalty_points-amount").filter({ hasText: pointsValue }).waitFor();
			// Nothing left to pay and no change: cash + points = total
			await page.waitForFunction(() => {
				const doc = window.cur_pos.frm.doc;
				const total = doc.rounded_total || doc.grand_total;
				return Math.abs(doc.paid_amount - total) < 0.005;
			});
		});

		invoice = await step("complete the order and see the points earned", async () => {
			await page.locator(".submit-order-btn").filter({ hasText: "Complete Order" }).click();
			const confirm = page.locator(".modal.show").filter({ hasText: "Permanently Submit" });
			await confirm.getByRole("button", { name: "Yes" }).click();
			const earned = panel.locator(".lp-earned");
			await earned.waitFor({ timeout: 30000 });
			const text = await earned.innerText();
			const match = text.match(/Points earned: (\d+)\s*\(([^)]+)\)/);
			assert.ok(match, `panel says: ${text}`);
			await page.locator(".lp-summary-earned", { hasText: `Points earned: ${match[1]}` }).waitFor();
			return { name: match[2].trim(), earned: Number(match[1]) };
		});

		await step("ledger has a Redeem of -100 for the invoice and the balance moved", async () => {
			const doc = await api(context.request, `/api/resource/POS Invoice/${encodeURIComponent(invoice.name)}`);
			assert.equal(doc.docstatus, 1);
			assert.equal(doc.loyalty_member, fixture.member);
			assert.equal(doc.loyalty_points_redeemed, REDEEM);
			assert.equal(doc.loyalty_points_earned, invoice.earned);
			const points = doc.payments.find((p) => p.mode_of_payment === "Loyalty Points");
			assert.equal(points && points.amount, REDEEM * fixture.point_value);
			const entries = await api(context.request, "/api/resource/Points Ledger Entry", {
				filters: [
					["member", "=", fixture.member],
					["voucher_type", "=", "POS Invoice"],
					["voucher_no", "=", invoice.name],
				],
				fields: ["entry_type", "points"],
				limit_page_length: 100,
			});
			const redeems = entries.filter((e) => e.entry_type === "Redeem");
			assert.deepEqual(redeems.map((e) => e.points), [-REDEEM], JSON.stringify(entries));
			const member = await api(context.request, `/api/resource/Loyalty Member/${fixture.member}`);
			assert.equal(member.points_balance, before - REDEEM + invoice.earned);
		});

		await step("the panel logged no warnings", async () => {
			assert.deepEqual(consoleWarnings, []);
		});
	} catch {
		// reported by step()
	} finally {
		await page.screenshot({ path: SCREENSHOT, fullPage: false }).catch(() => {});
		await browser.close();
	}
}

try {
	await main();
} catch (error) {
	failed += 1;
	console.log(`FAIL setup\n     ${error && error.message}`);
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
