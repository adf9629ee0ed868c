// sleet studio: the page. It talks to the server's JSON API (see
// lua/sleet/studio.lua) and keeps edits staged until they are applied in
// one transaction.

const $ = (id) => document.getElementById(id);
// JSON turns an empty Lua table into {}: lists are read through list()
const asList = (x) => (Array.isArray(x) ? x : []);

const state = {
  schema: null,
  table: null,       // the table's description (from /api/schema)
  sort: null,        // column key
  dir: "asc",
  filters: [],       // { col, op, value }
  cursors: [null],   // the cursor of each page seen (page 0: none)
  page: 0,
  rows: [],
  next: null,
  updates: new Map(), // row index -> { col: value }
  deletes: new Set(), // row indexes
  inserts: [],        // { values: { col: value } }
  errors: new Map(),  // "r:<index>" | "i:<index>" -> message
};

// {===================================================================
// The API
// ====================================================================

async function api(path, options = {}) {
  const res = await fetch(path, { credentials: "same-origin", ...options });
  let body = null;
  const type = res.headers.get("content-type") || "";
  if (type.startsWith("application/json")) body = await res.json();
  if (!res.ok) {
    const err = new Error((body && body.error) || res.statusText);
    err.status = res.status;
    err.body = body || {};
    throw err;
  }
  return body;
}

function post(path, value) {
  return api(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  });
}

// }===================================================================

// {===================================================================
// Cells
// ====================================================================

const NUMERIC = new Set(["int", "bigint", "float", "number"]);

// Fills td with the display of value for column col (null: NULL).
function showValue(td, value, col) {
  td.textContent = "";
  td.className = "";
  if (value === null || value === undefined) {
    td.textContent = "NULL";
    td.classList.add("null");
    return;
  }
  if (typeof value === "object" && value["$bytes"] !== undefined) {
    const n = value["$bytes"];
    td.textContent = `${n} byte${n === 1 ? "" : "s"} ${value.hex}` +
      (n > 64 ? "…" : "");
    td.classList.add("bytes");
    return;
  }
  if (typeof value === "object") {
    td.textContent = JSON.stringify(value, null, 2);
    td.classList.add("json");
    return;
  }
  if (value === "") {
    td.textContent = '""';
    td.classList.add("empty");
    return;
  }
  td.textContent = String(value);
  if (col && NUMERIC.has(col.codec)) td.classList.add("num");
}

// The text an editor starts with.
function editText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value, null, 2);
  return String(value);
}

// }===================================================================

// {===================================================================
// Tables and pages
// ====================================================================

function message(text, bad = false) {
  const m = $("message");
  m.hidden = !text;
  m.textContent = text || "";
  m.classList.toggle("bad", bad);
}

function staged() {
  return state.updates.size + state.deletes.size + state.inserts.length;
}

function clearStaged() {
  state.updates.clear();
  state.deletes.clear();
  state.inserts = [];
  state.errors.clear();
  $("review-sql").hidden = true;
}

async function loadSchema() {
  state.schema = await api("/api/schema");
  for (const t of asList(state.schema.tables)) {
    t.children = asList(t.children);
    t.primaryKey = asList(t.primaryKey);
    t.columns = asList(t.columns);
  }
  state.schema.tables = asList(state.schema.tables);
  $("dialect").textContent = state.schema.dialect;
  $("readonly").hidden = !state.schema.readOnly;
  $("console-tab").hidden = !state.schema.console;
  const ul = $("table-list");
  ul.textContent = "";
  for (const t of state.schema.tables) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.table = t.key;
    const name = document.createElement("span");
    name.textContent = t.key;
    if (t.view) {
      const mark = document.createElement("span");
      mark.className = "view-mark";
      mark.textContent = " view";
      name.append(mark);
    }
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = "…";
    b.append(name, count);
    b.addEventListener("click", () => openTable(t.key));
    li.append(b);
    ul.append(li);
    api(`/api/count?table=${encodeURIComponent(t.key)}`)
      .then((r) => { count.textContent = r.count; })
      .catch(() => { count.textContent = "?"; });
  }
}

function tableOf(key) {
  return state.schema.tables.find((t) => t.key === key);
}

async function openTable(key, filters = []) {
  if (staged() > 0 && !confirm("Discard the staged changes?")) return;
  clearStaged();
  renderStaged();
  showView("grid");
  state.table = tableOf(key);
  state.sort = null;
  state.dir = "asc";
  state.filters = filters;
  state.cursors = [null];
  state.page = 0;
  document.body.dataset.busy = "1";
  for (const b of document.querySelectorAll("#table-list button")) {
    b.classList.toggle("active", b.dataset.table === key);
  }
  $("table-title").textContent = key;
  const sel = $("filter-col");
  sel.textContent = "";
  for (const c of state.table.columns) {
    const o = document.createElement("option");
    o.value = c.key;
    o.textContent = c.key;
    sel.append(o);
  }
  $("filter-op").value = "eq";
  $("filter-value").value = "";
  $("filter-form").hidden = false;
  $("add-row").hidden = state.schema.readOnly || state.table.view;
  await loadPage();
}

// body[data-busy] while a page loads (what tests and styles can wait on)
async function loadPage() {
  document.body.dataset.busy = "1";
  try {
    await fetchPage();
  } finally {
    delete document.body.dataset.busy;
  }
}

async function fetchPage() {
  const t = state.table;
  const q = new URLSearchParams({ table: t.key, dir: state.dir });
  if (state.sort) q.set("sort", state.sort);
  if (state.filters.length) q.set("filters", JSON.stringify(state.filters));
  const cursor = state.cursors[state.page];
  if (cursor) q.set("after", JSON.stringify(cursor));
  try {
    const r = await api(`/api/rows?${q}`);
    state.rows = asList(r.rows);
    state.next = r.next;
    message("");
  } catch (e) {
    state.rows = [];
    state.next = null;
    message(e.message, true);
  }
  renderChips();
  renderGrid();
}

function renderChips() {
  const box = $("chips");
  box.textContent = "";
  state.filters.forEach((f, i) => {
    const chip = document.createElement("span");
    chip.className = "chip";
    const v = f.op === "isNull" || f.op === "isNotNull" ? "" : ` ${f.value}`;
    chip.textContent = `${f.col} ${f.op}${v}`;
    const x = document.createElement("button");
    x.type = "button";
    x.title = "Remove the filter";
    x.textContent = "×";
    x.addEventListener("click", () => {
      state.filters.splice(i, 1);
      state.cursors = [null];
      state.page = 0;
      loadPage();
    });
    chip.append(x);
    box.append(chip);
  });
  $("page-label").textContent = `page ${state.page + 1}`;
  $("prev").disabled = state.page === 0;
  $("next").disabled = !state.next;
}

// }===================================================================

// {===================================================================
// The grid
// ====================================================================

function keyOf(row) {
  const key = {};
  state.table.columns.forEach((c, j) => {
    if (state.table.primaryKey.includes(c.key)) key[c.key] = row[j];
  });
  return key;
}

function editable() {
  return !state.schema.readOnly && !state.table.view &&
    state.table.primaryKey.length > 0;
}

function header(grid, columns, sortable) {
  const tr = document.createElement("tr");
  tr.append(document.createElement("th"));
  for (const c of columns) {
    const th = document.createElement("th");
    th.textContent = c.key;
    th.dataset.col = c.key;
    if (c.type) {
      const ty = document.createElement("span");
      ty.className = "type";
      ty.textContent = c.type + (c.primary ? " · pk" : "") +
        (c.notNull ? " · not null" : "") + (c.ref ? ` → ${c.ref.table}` : "");
      th.append(ty);
    }
    if (sortable) {
      if (state.sort === c.key) {
        th.classList.add("sorted");
        if (state.dir === "desc") th.classList.add("desc");
      }
      th.title = "Sort";
      th.addEventListener("click", () => {
        if (state.sort === c.key) {
          state.dir = state.dir === "asc" ? "desc" : "asc";
        } else {
          state.sort = c.key;
          state.dir = "asc";
        }
        state.cursors = [null];
        state.page = 0;
        loadPage();
      });
    }
    tr.append(th);
  }
  const thead = document.createElement("thead");
  thead.append(tr);
  grid.append(thead);
}

function renderGrid() {
  const grid = $("grid");
  grid.textContent = "";
  const t = state.table;
  header(grid, t.columns, true);
  const tbody = document.createElement("tbody");
  state.inserts.forEach((ins, i) => {
    const tr = document.createElement("tr");
    tr.className = "new";
    tr.dataset.insert = i;
    const act = document.createElement("td");
    act.className = "actions";
    const rm = button("✕", "Drop this new row", () => {
      state.inserts.splice(i, 1);
      renderGrid();
      renderStaged();
    });
    act.append(rm);
    tr.append(act);
    t.columns.forEach((c, j) => {
      const td = document.createElement("td");
      td.tabIndex = 0;
      td.dataset.r = `i${i}`;
      td.dataset.c = j;
      if (c.key in ins.values) showValue(td, ins.values[c.key], c);
      else {
        td.textContent = c.default ? `default` : "";
        td.classList.add("empty");
      }
      tr.append(td);
    });
    tbody.append(tr);
    errorRow(tbody, `i:${i}`, t.columns.length + 1);
  });
  state.rows.forEach((row, r) => {
    const tr = document.createElement("tr");
    tr.dataset.row = r;
    if (state.deletes.has(r)) tr.classList.add("gone");
    const act = document.createElement("td");
    act.className = "actions";
    if (editable()) {
      act.append(button(state.deletes.has(r) ? "↺" : "✕",
        state.deletes.has(r) ? "Keep this row" : "Delete this row",
        () => toggleDelete(r)));
    }
    if (t.children.length > 0) {
      act.append(button("▸", "Rows that reference this one",
        (ev) => childrenMenu(ev.target, row)));
    }
    tr.append(act);
    const upd = state.updates.get(r) || {};
    t.columns.forEach((c, j) => {
      const td = document.createElement("td");
      td.tabIndex = 0;
      td.dataset.r = r;
      td.dataset.c = j;
      const changed = c.key in upd;
      showValue(td, changed ? upd[c.key] : row[j], c);
      if (changed) td.classList.add("changed");
      if (c.ref && row[j] !== null && !changed) {
        const a = document.createElement("a");
        a.className = "ref";
        a.href = "#";
        a.textContent = "↗";
        a.title = `Open ${c.ref.table} where ${c.ref.column} = ${row[j]}`;
        a.addEventListener("click", (ev) => {
          ev.preventDefault();
          openTable(c.ref.table,
            [{ col: c.ref.column, op: "eq", value: String(row[j]) }]);
        });
        td.append(" ", a);
      }
      tr.append(td);
    });
    tbody.append(tr);
    errorRow(tbody, `r:${r}`, t.columns.length + 1);
  });
  grid.append(tbody);
  if (state.rows.length === 0 && state.inserts.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = t.columns.length + 1;
    td.textContent = "No rows";
    td.className = "empty";
    tr.append(td);
    tbody.append(tr);
  }
}

function errorRow(tbody, id, span) {
  const text = state.errors.get(id);
  if (!text) return;
  tbody.lastChild.classList.add("failed");
  const tr = document.createElement("tr");
  tr.className = "error";
  const td = document.createElement("td");
  td.colSpan = span;
  td.className = "error-cell";
  td.textContent = text;
  tr.append(td);
  tbody.append(tr);
}

function button(text, title, fn) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", fn);
  return b;
}

function childrenMenu(anchor, row) {
  closeMenu();
  const menu = document.createElement("div");
  menu.className = "menu";
  menu.id = "menu";
  for (const ch of state.table.children) {
    const j = state.table.columns.findIndex((c) => c.key === ch.to);
    const value = row[j];
    menu.append(button(`${ch.table}.${ch.column}`,
      `Open ${ch.table} where ${ch.column} = ${value}`, () => {
        closeMenu();
        openTable(ch.table,
          [{ col: ch.column, op: "eq", value: String(value) }]);
      }));
  }
  const r = anchor.getBoundingClientRect();
  menu.style.left = `${r.left + window.scrollX}px`;
  menu.style.top = `${r.bottom + window.scrollY}px`;
  document.body.append(menu);
}

function closeMenu() {
  const m = $("menu");
  if (m) m.remove();
}

function toggleDelete(r) {
  if (state.deletes.has(r)) state.deletes.delete(r);
  else state.deletes.add(r);
  renderGrid();
  renderStaged();
}

// Edits the cell td in place: Enter keeps the value (staged), Escape
// drops it; the NULL box writes NULL.
function editCell(td) {
  if (!editable() && !td.dataset.r.startsWith("i")) return;
  if (td.querySelector("input, textarea")) return;
  const j = Number(td.dataset.c);
  const col = state.table.columns[j];
  if (col.codec === "blob") {
    message(`${col.key}: bytes cannot be edited here`, true);
    return;
  }
  const isInsert = td.dataset.r.startsWith("i");
  const r = isInsert ? Number(td.dataset.r.slice(1)) : Number(td.dataset.r);
  let current;
  if (isInsert) current = state.inserts[r].values[col.key];
  else {
    const upd = state.updates.get(r);
    current = upd && col.key in upd ? upd[col.key] : state.rows[r][j];
  }
  const multi = col.codec === "json" || (typeof current === "object" &&
    current !== null);
  const input = document.createElement(multi ? "textarea" : "input");
  input.value = editText(current);
  input.setAttribute("aria-label", `${col.key} value`);
  const nullBox = document.createElement("input");
  nullBox.type = "checkbox";
  nullBox.checked = current === null && !isInsert;
  const label = document.createElement("label");
  label.append(nullBox, " NULL");
  td.textContent = "";
  td.className = "editing";
  td.append(input, label);
  input.focus();
  input.select();
  const done = (keep) => {
    if (keep) {
      const value = nullBox.checked ? null : input.value;
      if (isInsert) state.inserts[r].values[col.key] = value;
      else {
        const upd = state.updates.get(r) || {};
        upd[col.key] = value;
        state.updates.set(r, upd);
      }
    }
    renderGrid();
    renderStaged();
    const again = document.querySelector(
      `#grid td[data-r="${td.dataset.r}"][data-c="${j}"]`);
    if (again) again.focus();
  };
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (!multi || ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      done(true);
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      done(false);
    }
    ev.stopPropagation();
  });
  nullBox.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); done(true); }
    if (ev.key === "Escape") { ev.preventDefault(); done(false); }
    ev.stopPropagation();
  });
}

// Arrow keys move between cells, Enter edits, Delete marks the row.
function gridKeys(ev) {
  const td = ev.target.closest("td[data-c]");
  if (!td || ev.target !== td) return;
  const rows = [...document.querySelectorAll("#grid tbody tr")]
    .filter((tr) => tr.querySelector("td[data-c]"));
  const tr = td.parentElement;
  const ri = rows.indexOf(tr);
  const c = Number(td.dataset.c);
  const move = (dr, dc) => {
    const row = rows[ri + dr];
    if (!row) return;
    const next = row.querySelector(`td[data-c="${c + dc}"]`);
    if (next) { ev.preventDefault(); next.focus(); }
  };
  switch (ev.key) {
  case "ArrowUp": move(-1, 0); break;
  case "ArrowDown": move(1, 0); break;
  case "ArrowLeft": move(0, -1); break;
  case "ArrowRight": move(0, 1); break;
  case "Enter": ev.preventDefault(); editCell(td); break;
  case "Delete":
    if (editable() && !td.dataset.r.startsWith("i")) {
      ev.preventDefault();
      toggleDelete(Number(td.dataset.r));
    }
    break;
  default:
  }
}

// }===================================================================

// {===================================================================
// Staged changes
// ====================================================================

// The changes in the order they run, each with the id of its row.
function changes() {
  const t = state.table;
  const list = [];
  state.inserts.forEach((ins, i) => {
    list.push({ id: `i:${i}`, change: { op: "insert", table: t.key,
      values: ins.values } });
  });
  for (const [r, set] of state.updates) {
    if (state.deletes.has(r)) continue;
    list.push({ id: `r:${r}`, change: { op: "update", table: t.key,
      key: keyOf(state.rows[r]), set } });
  }
  for (const r of state.deletes) {
    list.push({ id: `r:${r}`, change: { op: "delete", table: t.key,
      key: keyOf(state.rows[r]) } });
  }
  return list;
}

function renderStaged() {
  const n = staged();
  $("staged").hidden = n === 0;
  $("staged-count").textContent =
    `${n} staged change${n === 1 ? "" : "s"}`;
}

async function review() {
  const list = changes();
  try {
    const r = await post("/api/apply",
      { changes: list.map((x) => x.change), dryRun: true });
    $("review-sql").textContent = asList(r.statements).map((s) =>
      s.sql + (asList(s.params).length ? `\n  -- params: ${JSON.stringify(s.params)}`
        : "") + ";").join("\n");
    $("review-sql").hidden = false;
  } catch (e) {
    message(e.message, true);
  }
}

async function apply() {
  const list = changes();
  state.errors.clear();
  try {
    const r = await post("/api/apply", { changes: list.map((x) => x.change) });
    clearStaged();
    renderStaged();
    await loadPage();
    message(`Applied ${r.applied} change${r.applied === 1 ? "" : "s"}`);
  } catch (e) {
    const d = (e.body && e.body.detail) || {};
    const text = e.message + (d.constraint ? ` (constraint ${d.constraint})`
      : "");
    const at = e.body && e.body.index;
    if (at && list[at - 1]) state.errors.set(list[at - 1].id, text);
    renderGrid();
    message(`Nothing was applied: ${text}`, true);
  }
}

// }===================================================================

// {===================================================================
// Console and diagram
// ====================================================================

async function runSQL() {
  const grid = $("sql-grid");
  grid.textContent = "";
  $("sql-status").textContent = "running…";
  try {
    const r = await post("/api/sql", { sql: $("sql").value });
    const cols = asList(r.columns).map((name) => ({ key: name }));
    header(grid, cols, false);
    const tbody = document.createElement("tbody");
    for (const row of asList(r.rows)) {
      const tr = document.createElement("tr");
      tr.append(document.createElement("td"));
      row.forEach((v) => {
        const td = document.createElement("td");
        showValue(td, v, null);
        tr.append(td);
      });
      tbody.append(tr);
    }
    grid.append(tbody);
    $("sql-status").textContent = `${r.total} row${r.total === 1 ? "" : "s"}` +
      (r.truncated ? ` (the first ${asList(r.rows).length} shown)` : "");
  } catch (e) {
    $("sql-status").textContent = e.message;
  }
}

async function showDiagram() {
  const box = $("diagram");
  if (box.dataset.loaded) return;
  box.dataset.loaded = "1";
  const res = await fetch("/api/diagram", { credentials: "same-origin" });
  if ((res.headers.get("content-type") || "").startsWith("image/svg")) {
    const img = document.createElement("img");
    img.alt = "The schema's tables and foreign keys";
    img.src = "/api/diagram";
    box.append(img);
  } else {
    const body = await res.json().catch(() => ({}));
    const pre = document.createElement("pre");
    pre.textContent = body.dot || body.error || "no diagram";
    box.append(pre);
  }
}

function showView(name) {
  for (const v of ["grid", "console", "diagram"]) {
    $(`${v}-view`).hidden = v !== name;
  }
  for (const b of document.querySelectorAll(".views button")) {
    b.classList.toggle("active", b.dataset.view === name);
  }
  if (name === "diagram") showDiagram();
}

// }===================================================================

function wire() {
  for (const b of document.querySelectorAll(".views button")) {
    b.addEventListener("click", () => showView(b.dataset.view));
  }
  $("filter-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const op = $("filter-op").value;
    const f = { col: $("filter-col").value, op };
    if (op !== "isNull" && op !== "isNotNull") f.value = $("filter-value").value;
    state.filters.push(f);
    state.cursors = [null];
    state.page = 0;
    loadPage();
  });
  $("prev").addEventListener("click", () => {
    if (state.page > 0) { state.page -= 1; loadPage(); }
  });
  $("next").addEventListener("click", () => {
    if (!state.next) return;
    state.cursors[state.page + 1] = state.next;
    state.page += 1;
    loadPage();
  });
  $("add-row").addEventListener("click", () => {
    state.inserts.push({ values: {} });
    renderGrid();
    renderStaged();
    const td = document.querySelector('#grid td[data-r="i' +
      (state.inserts.length - 1) + '"]');
    if (td) td.focus();
  });
  $("review").addEventListener("click", review);
  $("apply").addEventListener("click", apply);
  $("discard").addEventListener("click", () => {
    clearStaged();
    renderGrid();
    renderStaged();
  });
  const grid = $("grid");
  grid.addEventListener("dblclick", (ev) => {
    const td = ev.target.closest("td[data-c]");
    if (td) editCell(td);
  });
  grid.addEventListener("keydown", gridKeys);
  document.addEventListener("click", (ev) => {
    if (!ev.target.closest("#menu") && ev.target.textContent !== "▸") {
      closeMenu();
    }
  });
  $("run-sql").addEventListener("click", runSQL);
  $("sql").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      runSQL();
    }
  });
}

wire();
loadSchema().catch((e) => message(e.message, true));
