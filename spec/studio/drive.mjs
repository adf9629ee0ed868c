// Drives the studio page in Debian's headless Chromium (playwright-core)
// for spec/studio_browser_spec.lua. Usage:
//
//   node drive.mjs URL MODE SHOTS
//
// URL is what sleet-kit studio printed (with its token); MODE is "edit"
// (the whole tour: list, sort, filter, page, edit, insert, delete, a
// constraint error, foreign keys, console, keyboard, narrow window,
// diagram) or "readonly" (a --read-only server); SHOTS a folder for
// screenshots (or "-" for none). Prints one JSON list of checks
// { name, ok, detail } on stdout; the spec asserts each, and the database
// state the edits left. The schema is the spec's: tables users and posts
// (keys; STUDIO_USERS_SQL names the users table in SQL), 120 users and 10
// posts.
import { createRequire } from "node:module";
import path from "node:path";

const [url, mode, shots] = process.argv.slice(2);
const require = createRequire(path.join(process.env.STUDIO_NODE, "node_modules", "x.js"));
const { chromium } = require("playwright-core");

const checks = [];
function check(name, ok, detail = "") {
  checks.push({ name, ok: !!ok, detail: String(detail) });
}

async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    check(name, false, e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : e);
  }
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const origin = new URL(url).origin;
const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
const page = await context.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
// a refused request (409, 400: what the checks provoke) is no page error
page.on("console", (m) => {
  if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(m.text());
});
page.setDefaultTimeout(8000);

const shot = async (name) => {
  if (shots && shots !== "-") await page.screenshot({ path: path.join(shots, `${name}.png`) });
};
const rows = () => page.locator("#grid tbody tr[data-row]");
const cellText = (r, c) => page.locator(`#grid td[data-r="${r}"][data-c="${c}"]`).innerText();
const firstCell = () => page.locator('#grid td[data-r="0"][data-c="0"]');
async function colIndex(key) {
  const keys = await page.locator("#grid thead th").evaluateAll(
    (ths) => ths.map((th) => th.dataset.col || ""));
  return keys.indexOf(key) - 1;
}
// a column only this table has: its grid, not the last one, is on screen
const OWN = { users: "email", posts: "title" };
async function openTable(key) {
  await page.click(`#table-list button[data-table="${key}"]`);
  await page.waitForFunction((k) => document.getElementById("table-title").textContent === k, key);
  await page.waitForSelector(`#grid thead th[data-col="${OWN[key]}"]`);
  await settled();
}
// the page has no request for rows in flight
const settled = () => page.waitForSelector("body:not([data-busy])", { state: "attached" });
async function filter(col, op, value) {
  await page.selectOption("#filter-col", col);
  await page.selectOption("#filter-op", op);
  await page.fill("#filter-value", value ?? "");
  await page.click('#filter-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector("#chips .chip"));
  await settled();
}
async function editCell(r, c, text, setNull = false) {
  await page.dblclick(`#grid td[data-r="${r}"][data-c="${c}"]`);
  const input = page.locator(`#grid td[data-r="${r}"][data-c="${c}"] input:not([type=checkbox]), #grid td[data-r="${r}"][data-c="${c}"] textarea`);
  await input.fill(text);
  if (setNull) await page.check(`#grid td[data-r="${r}"][data-c="${c}"] input[type=checkbox]`);
  await input.press(text.includes("\n") ? "Control+Enter" : "Enter");
}
async function applyAndWait() {
  await page.click("#apply");
  await page.waitForFunction(() => !document.getElementById("message").hidden);
  return page.locator("#message").innerText();
}

await page.goto(url);

if (mode === "edit") {
  await step("tables-listed", async () => {
    await page.waitForSelector('#table-list button[data-table="users"]');
    await page.waitForFunction(() => [...document.querySelectorAll("#table-list .count")]
      .every((c) => c.textContent !== "…"));
    const text = await page.locator("#table-list").innerText();
    check("tables-listed", /users\s*120/.test(text) && /posts\s*10/.test(text), text);
    check("no-page-errors-at-load", errors.length === 0, errors.join(" | "));
  });

  await step("grid", async () => {
    await openTable("users");
    check("grid-first-page", (await rows().count()) === 50, await rows().count());
    const head = await page.locator("#grid thead").innerText();
    check("grid-types-shown", /email/.test(head) && /varchar|text/.test(head), head);
    const bio = await colIndex("bio");
    const cell1 = page.locator(`#grid td[data-r="0"][data-c="${bio}"]`);
    const cell3 = page.locator(`#grid td[data-r="2"][data-c="${bio}"]`);
    check("null-distinct", (await cell1.getAttribute("class")) === "null" && (await cell1.innerText()) === "NULL",
      await cell1.innerText());
    check("empty-distinct", (await cell3.getAttribute("class")) === "empty" && (await cell3.innerText()) === '""',
      await cell3.innerText());
    const data = await cellText(0, await colIndex("data"));
    check("json-pretty", /"n": 1/.test(data) && data.includes("\n"), data);
    await shot("grid");
  });

  await step("sort", async () => {
    const name = await colIndex("name");
    await page.click('#grid thead th[data-col="name"]');
    await page.waitForSelector('#grid thead th[data-col="name"].sorted');
    await page.click('#grid thead th[data-col="name"]');
    await page.waitForSelector('#grid thead th[data-col="name"].desc');
    check("sort-desc", (await cellText(0, name)) === "user120", await cellText(0, name));
  });

  await step("page", async () => {
    await openTable("users");
    await page.click("#next");
    await page.waitForFunction(() => document.getElementById("page-label").textContent === "page 2");
    await settled();
    check("page-2", (await cellText(0, 0)) === "51", await cellText(0, 0));
    await page.click("#next");
    await page.waitForFunction(() => document.getElementById("page-label").textContent === "page 3");
    await settled();
    check("page-3", (await cellText(0, 0)) === "101" && (await rows().count()) === 20 &&
      await page.locator("#next").isDisabled(), await cellText(0, 0));
    await page.click("#prev");
    await page.waitForFunction(() => document.getElementById("page-label").textContent === "page 2");
    await settled();
    check("page-back", (await cellText(0, 0)) === "51", await cellText(0, 0));
  });

  await step("filter", async () => {
    await openTable("users");
    await filter("name", "eq", "user007");
    check("filter-eq", (await rows().count()) === 1 && (await cellText(0, 0)) === "7", await rows().count());
    await page.click("#chips .chip button");
    await page.waitForFunction(() => !document.querySelector("#chips .chip"));
    await filter("bio", "isNull");
    check("filter-isnull", (await rows().count()) === 40, await rows().count());
    await page.click("#chips .chip button");
    await page.waitForFunction(() => !document.querySelector("#chips .chip"));
    await filter("id", "inArray", "3, 4, 200");
    check("filter-in", (await rows().count()) === 2, await rows().count());
  });

  await step("edit", async () => {
    await openTable("users");
    const name = await colIndex("name");
    await editCell(1, name, "Renamed");
    check("edit-staged", (await page.locator("#staged-count").innerText()) === "1 staged change",
      await page.locator("#staged-count").innerText());
    await page.click("#review");
    await page.waitForSelector("#review-sql:not([hidden])");
    const sql = await page.locator("#review-sql").innerText();
    check("edit-review-sql", /update/i.test(sql) && sql.includes("Renamed"), sql);
    await shot("review");
    const msg = await applyAndWait();
    check("edit-applied", /Applied 1 change/.test(msg), msg);
    check("edit-shown", (await cellText(1, name)) === "Renamed", await cellText(1, name));
    // NULL written from the editor
    const bio = await colIndex("bio");
    await editCell(1, bio, "", true);
    const msg2 = await applyAndWait();
    check("edit-null", /Applied/.test(msg2) && (await cellText(1, bio)) === "NULL", msg2);
  });

  await step("insert-delete", async () => {
    await openTable("users");
    await page.click("#add-row");
    for (const [key, v] of [["id", "500"], ["name", "newcomer"], ["email", "new@x"], ["score", "3"]]) {
      await editCell("i0", await colIndex(key), v);
    }
    const msg = await applyAndWait();
    check("insert-applied", /Applied 1 change/.test(msg), msg);
    await filter("id", "eq", "50");
    await page.click('#grid tr[data-row="0"] td.actions button[aria-label="Delete this row"]');
    check("delete-staged", await page.locator('#grid tr[data-row="0"]').evaluate((tr) => tr.classList.contains("gone")), "");
    const msg2 = await applyAndWait();
    check("delete-applied", /Applied 1 change/.test(msg2), msg2);
  });

  await step("constraint-error", async () => {
    await openTable("users");
    await page.click("#add-row");
    for (const [key, v] of [["id", "501"], ["name", "twin"], ["email", "u2@x"]]) {
      await editCell("i0", await colIndex(key), v);
    }
    const msg = await applyAndWait();
    const err = await page.locator("#grid td.error-cell").innerText();
    check("constraint-error-shown", /Nothing was applied/.test(msg) && /email|unique/i.test(err), `${msg} / ${err}`);
    check("constraint-error-by-row", await page.locator("#grid tr.new.failed").count() === 1, "");
    await shot("error");
    await page.click("#discard");
  });

  await step("foreign-keys", async () => {
    await openTable("posts");
    await page.click('#grid td[data-r="0"] a.ref');
    await page.waitForFunction(() => document.getElementById("table-title").textContent === "users");
    await page.waitForSelector('#grid thead th[data-col="email"]');
    await page.waitForSelector("#chips .chip");
    const chip = await page.locator("#chips .chip").innerText();
    check("fk-follow", (await rows().count()) === 1 && (await cellText(0, 0)) === "1" && /id eq 1/.test(chip), chip);
    await page.click('#grid tr[data-row="0"] td.actions button[aria-label="Rows that reference this one"]');
    await page.click("#menu button");
    await page.waitForFunction(() => document.getElementById("table-title").textContent === "posts");
    await page.waitForSelector('#grid thead th[data-col="title"]');
    await page.waitForSelector("#chips .chip");
    await page.waitForFunction(() => /authorId/.test(document.getElementById("chips").textContent));
    check("fk-children", (await rows().count()) === 1 && /authorId eq 1/.test(await page.locator("#chips").innerText()),
      `${await rows().count()} ${await page.locator("#chips").innerText()}`);
  });

  await step("keyboard", async () => {
    await openTable("users");
    await firstCell().focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowRight");
    const pos = await page.evaluate(() => [document.activeElement.dataset.r, document.activeElement.dataset.c]);
    check("keyboard-move", pos[0] === "1" && pos[1] === "1", pos.join(","));
    await page.keyboard.press("Enter");
    check("keyboard-edit", await page.locator('#grid td[data-r="1"][data-c="1"] input:not([type=checkbox])').count() === 1, "");
    await page.keyboard.press("Escape");
    check("keyboard-escape", await page.locator("#grid input").count() === 0 &&
      (await page.locator("#staged").isHidden()),
      `${await page.locator("#grid input").count()} ${await page.locator("#staged").innerText()}`);
  });

  await step("console", async () => {
    await page.click('.views button[data-view="console"]');
    await page.fill("#sql", `select count(*) as n from ${process.env.STUDIO_USERS_SQL || "users"}`);
    await page.click("#run-sql");
    await page.waitForSelector("#sql-grid tbody tr");
    const text = await page.locator("#sql-grid").innerText();
    check("console-query", /\bn\b/.test(text) && /\b120\b/.test(text), text);
    await shot("console");
    await page.fill("#sql", "select nope from nowhere");
    await page.click("#run-sql");
    await page.waitForFunction(() => !/running/.test(document.getElementById("sql-status").textContent));
    check("console-error", (await page.locator("#sql-status").innerText()).length > 0 &&
      !/row/.test(await page.locator("#sql-status").innerText()), await page.locator("#sql-status").innerText());
  });

  await step("diagram", async () => {
    await page.click('.views button[data-view="diagram"]');
    await page.waitForSelector("#diagram img, #diagram pre");
    const img = page.locator("#diagram img");
    if (await img.count()) {
      await page.waitForFunction(() => {
        const i = document.querySelector("#diagram img");
        return i && i.complete && i.naturalWidth > 0;
      });
    }
    check("diagram-shown", await page.locator("#diagram img, #diagram pre").count() === 1, "");
    await shot("diagram");
  });

  await step("narrow", async () => {
    await page.click('.views button[data-view="grid"]');
    await page.setViewportSize({ width: 480, height: 800 });
    await openTable("users");
    const aside = await page.locator("aside").boundingBox();
    const main = await page.locator("main").boundingBox();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    check("narrow-layout", aside.y + aside.height <= main.y + 1 && wide, JSON.stringify({ aside, main, wide }));
    await shot("narrow");
  });

  check("no-page-errors", errors.length === 0, errors.join(" | "));
} else {
  await step("readonly", async () => {
    await page.waitForSelector('#table-list button[data-table="users"]');
    await openTable("users");
    check("readonly-badge", await page.locator("#readonly").isVisible(), "");
    check("readonly-no-add", await page.locator("#add-row").isHidden(), "");
    check("readonly-no-console", await page.locator("#console-tab").isHidden(), "");
    check("readonly-no-delete", await page.locator('#grid button[aria-label="Delete this row"]').count() === 0, "");
    const res = await page.evaluate(async () => {
      const r = await fetch("/api/apply", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ changes: [{ op: "delete", table: "users", key: { id: 1 } }] }) });
      const s = await fetch("/api/sql", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ sql: "delete from users" }) });
      return [r.status, s.status];
    });
    check("readonly-refuses-writes", res[0] === 403 && res[1] === 403, res.join(","));
  });
}

await step("no-token", async () => {
  const bare = await browser.newContext();
  const r = await bare.request.get(`${origin}/api/schema`);
  const p = await bare.request.get(`${origin}/`);
  check("no-token-401", r.status() === 401 && p.status() === 401, `${r.status()} ${p.status()}`);
  const wrong = await bare.request.get(`${origin}/api/schema?token=00000000000000000000000000000000`);
  check("wrong-token-401", wrong.status() === 401, wrong.status());
  await bare.close();
});

await browser.close();
process.stdout.write(JSON.stringify(checks));
