// litx review page. Every piece of document text reaches the DOM through textContent or
// createTextNode, never innerHTML: a document containing <script> shows as text.
"use strict";

const TOKEN = document.querySelector('meta[name="csrf-token"]').content;
const LABELS = {accept_a: "accept A", accept_b: "accept B", both_valid: "both valid",
                neither: "neither"};
const state = {conflicts: [], selected: null, detail: null, sticky: new Set()};
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  return {ok: response.ok, status: response.status, body};
}

const isOpen = (c) => c.status === "open" || c.status === "reopened";

// Does conflict c pass the filters, leaving out filter `skip`? Rows decided in this view stay
// listed (sticky) until the filters change; counts ignore that and count real statuses.
function matches(c, skip, sticky = true) {
  const status = $("f-status").value;
  const kept = sticky && state.sticky.has(c.conflict_id);
  if (skip !== "status" && status !== "all" && !kept
      && (status === "open") !== isOpen(c)) return false;
  if (skip !== "kind" && $("f-kind").value && c.kind !== $("f-kind").value) return false;
  if (skip !== "study" && $("f-study").value && c.study_key !== $("f-study").value) return false;
  return true;
}

// Options with counts that follow the other filters, so each number is what picking it shows.
function fillFacet(select, field, allLabel) {
  const previous = select.value;
  const counts = new Map();
  const skip = field === "kind" ? "kind" : "study";
  for (const c of state.conflicts.filter((c) => matches(c, skip, false))) {
    counts.set(c[field], (counts.get(c[field]) || 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  select.replaceChildren(el("option", {value: "", text: `${allLabel} (${total})`}));
  for (const key of [...counts.keys()].sort()) {
    select.append(el("option", {value: key, text: `${key || "(none)"} (${counts.get(key)})`}));
  }
  if (previous && !counts.has(previous)) {
    select.append(el("option", {value: previous, text: `${previous} (0)`}));
  }
  select.value = previous;
}

function renderList() {
  fillFacet($("f-kind"), "kind", "all kinds");
  fillFacet($("f-study"), "study_key", "all studies");
  const open = state.conflicts.filter(isOpen).length;
  $("counts").textContent = `${open} open · ${state.conflicts.length - open} decided`;
  const shown = state.conflicts.filter((c) => matches(c));
  $("list").replaceChildren(...shown.map(listItem));
  $("empty").hidden = shown.length > 0;
}

function listItem(c) {
  const badge = isOpen(c) ? c.status : LABELS[c.decision] || c.status;
  const button = el("button", {type: "button", class: "item", dataset: {id: c.conflict_id}},
    el("span", {class: `badge ${isOpen(c) ? c.status : "resolved"}`, text: badge}),
    el("span", {class: "kind", text: c.kind}),
    el("span", {class: "study", text: c.study_key || "(no study)"}),
    el("span", {class: "values", text: `A ${c.value_a}  ·  B ${c.value_b}`}));
  if (c.conflict_id === state.selected) button.setAttribute("aria-current", "true");
  button.addEventListener("click", () => select(c.conflict_id));
  return el("li", {}, button);
}

async function loadList() {
  const {ok, body} = await api("/api/conflicts");
  if (!ok) return;
  state.conflicts = body.conflicts;
  renderList();
}

function highlighted(tag, snippet) {
  return el(tag, {class: "snippet"}, snippet.before, el("mark", {text: snippet.span}),
            snippet.after);
}

function position(side) {
  if (!side.found) return `mention ${side.mention_id} is not in mentions.csv`;
  const parts = [side.source, `chars ${side.start}–${side.end}`];
  if (side.page) parts.push(`page ${side.page}`);
  if (!side.offsets_ok) parts.push("⚠ these offsets do not select the mention's text");
  return parts.join(" · ");
}

function renderSide(side) {
  const box = el("article", {class: "side", id: `side-${side.side}`},
    el("h3", {}, `${side.side.toUpperCase()}  `, el("strong", {text: side.value})),
    highlighted("p", side.sentence),
    el("p", {class: "position", text: position(side)}));
  if (side.has_paragraph) {
    const toggle = el("button", {type: "button", class: "paragraph-toggle",
                                 text: "Show paragraph"});
    toggle.addEventListener("click", () => toggleParagraph(box, side, toggle));
    box.append(toggle);
  }
  if (side.has_image) {
    box.append(el("img", {class: "page-image", alt: `page ${side.page}, span outlined`,
                          src: `/api/mentions/${encodeURIComponent(side.mention_id)}/page.png`}));
  }
  return box;
}

async function toggleParagraph(box, side, toggle) {
  const shown = box.querySelector(".paragraph");
  if (shown) {
    shown.remove();
    toggle.textContent = "Show paragraph";
    return;
  }
  const {ok, body} = await api(`/api/mentions/${encodeURIComponent(side.mention_id)}/paragraph`);
  if (!ok || box.querySelector(".paragraph")) return;
  const quote = highlighted("blockquote", body);
  quote.classList.add("paragraph");
  toggle.after(quote);
  toggle.textContent = "Hide paragraph";
  // Long paragraphs scroll inside their box: bring the span to the middle of it.
  const mark = quote.querySelector("mark");
  quote.scrollTop = Math.max(0, mark.offsetTop - quote.clientHeight / 2);
}

function statusLine(c) {
  if (c.status === "resolved") {
    const who = c.decided_by ? ` by ${c.decided_by}` : "";
    const value = c.decision === "neither" && c.value ? ` → ${c.value}` : "";
    const note = c.comment ? ` — “${c.comment}”` : "";
    return `Decided: ${LABELS[c.decision] || c.decision}${value}${who} at ${c.decided_at}${note}`;
  }
  if (c.status === "reopened") return "Reopened: the evidence changed since it was decided.";
  return "Open";
}

function renderDetail() {
  const d = state.detail;
  $("placeholder").hidden = Boolean(d);
  $("conflict").hidden = !d;
  if (!d) return;
  const c = d.conflict;
  $("c-title").textContent = `${c.kind} · ${c.study_key || "(no study)"} · ${c.label}`;
  $("c-status").textContent = statusLine(c);
  $("c-status").className = `status ${c.status}`;
  $("sides").replaceChildren(...d.sides.map(renderSide));
}

async function select(id) {
  state.selected = id;
  for (const item of document.querySelectorAll("#list .item")) {
    item.toggleAttribute("aria-current", item.dataset.id === id);
  }
  document.querySelector(`#list .item[aria-current]`)?.scrollIntoView({block: "nearest"});
  const {ok, body} = await api(`/api/conflicts/${encodeURIComponent(id)}`);
  if (state.selected !== id) return;  // the curator moved on while this loaded
  state.detail = ok ? body : null;
  $("value").value = "";
  $("comment").value = "";
  $("message").textContent = ok ? "" : "This conflict is gone (re-run?).";
  renderDetail();
}

function move(step) {
  const ids = [...document.querySelectorAll("#list .item")].map((b) => b.dataset.id);
  if (!ids.length) return;
  const at = ids.indexOf(state.selected);
  const next = at < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, at + step));
  select(ids[next]);
}

function replaceSummary(c) {
  const at = state.conflicts.findIndex((x) => x.conflict_id === c.conflict_id);
  if (at >= 0) state.conflicts[at] = {...state.conflicts[at], ...c};
}

async function decide(decision) {
  const d = state.detail;
  if (!d) return;
  if (d.conflict.conflict_id !== state.selected) {
    // j/k moved on and the next conflict is still loading: never decide the previous one.
    $("message").textContent = "Still loading this conflict; try again.";
    return;
  }
  const value = $("value").value.trim();
  if (decision === "neither" && !value) {
    $("message").textContent = "Type the corrected value, then press Enter.";
    $("value").focus();
    return;
  }
  const payload = {conflict_id: d.conflict.conflict_id, decision, value,
                   comment: $("comment").value, curator: $("curator").value,
                   expected: d.conflict.decided_at || ""};
  const {ok, status, body} = await api("/api/decisions", {
    method: "POST", body: JSON.stringify(payload),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": TOKEN}});
  if (status === 409) {
    d.conflict = body.conflict;
    replaceSummary(body.conflict);
    renderList();
    renderDetail();
    $("message").textContent = "Decided meanwhile (another tab?). Decide again to replace it.";
    return;
  }
  if (!ok) {
    $("message").textContent = `Not saved: ${body.error || status}`;
    return;
  }
  d.conflict = body.conflict;
  state.sticky.add(body.conflict.conflict_id);  // keep it in view until the filters change
  replaceSummary(body.conflict);
  renderList();
  renderDetail();
  $("message").textContent = `Saved: ${LABELS[decision]}.`;
  document.activeElement?.blur?.();
}

const KEYS = {j: () => move(1), ArrowDown: () => move(1), k: () => move(-1),
              ArrowUp: () => move(-1), a: () => decide("accept_a"), b: () => decide("accept_b"),
              v: () => decide("both_valid"), n: () => decide("neither"),
              p: () => document.querySelectorAll(".paragraph-toggle").forEach((t) => t.click())};

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = event.target.closest("input, textarea, select");
  if (typing) {
    if (event.key === "Escape") event.target.blur();
    if (event.key === "Enter" && event.target.id === "value") {
      event.preventDefault();
      decide("neither");
    }
    return;
  }
  const action = KEYS[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
}

function init() {
  $("curator").value = localStorage.getItem("litx-curator") || "";
  $("curator").addEventListener("input", () =>
    localStorage.setItem("litx-curator", $("curator").value));
  for (const id of ["f-status", "f-kind", "f-study"]) {
    $(id).addEventListener("change", () => { state.sticky.clear(); renderList(); });
  }
  for (const button of document.querySelectorAll("[data-decision]")) {
    button.addEventListener("click", () => decide(button.dataset.decision));
  }
  document.addEventListener("keydown", onKey);
  // Another tab (or a re-run) may have changed things while this one was in the background.
  window.addEventListener("focus", loadList);
  loadList();
}

init();
