// AutoForge Learn dashboard: asks for a read token once (kept in this tab's
// sessionStorage), then fetches the server's read routes with it and draws them.
// Plain JS, no build step; data is only ever inserted as text, never as markup.
"use strict";

const KEY = "autoforge.token";
const DEFAULT_METRICS = ["gate_pass_rate", "avg_retries_per_task", "cost_per_project",
                         "human_override_rate"];
const LIMIT = 30;  // findings and suggestions listed (the count says how many there are)
const $ = (id) => document.getElementById(id);
let options = null;     // what /v1/options returned
const generations = {}; // per area of the page: a newer load makes older answers stale
let pending = 0;        // requests under way
let failed = "";        // the last error of this load

class AuthError extends Error {}

// A panel's width changes without a window resize (a scroll bar comes, the grid reflows).
const resizer = new ResizeObserver((entries) => {
  for (const e of entries) {
    if (e.target.isConnected && e.target._fullLayout) Plotly.Plots.resize(e.target);
  }
});

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "text") node.textContent = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k === "className" ? "class" : k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// -- the token and the API ---------------------------------------------------------

async function api(path, params = new URLSearchParams(), raw = false) {
  const query = params.toString();
  const answer = await fetch(path + (query ? "?" + query : ""), {
    headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) },
  });
  if (answer.status === 401 || answer.status === 403) {
    const body = await answer.json().catch(() => ({}));
    throw new AuthError(body.detail || answer.statusText);
  }
  if (answer.status === 404) return null;  // no data for this selection
  if (!answer.ok) {
    const body = await answer.json().catch(() => ({}));
    throw new Error(`${path}: ${answer.status} ${body.detail || answer.statusText}`);
  }
  return raw ? answer.blob() : answer.json();
}

function showLogin(message = "") {
  $("dashboard").hidden = true;
  $("signout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("status").textContent = "A read token is needed.";
  document.body.dataset.state = "login";
  $("token").focus();
}

async function start() {
  try {
    options = await api("/v1/options");
  } catch (err) {
    if (err instanceof AuthError) {
      sessionStorage.removeItem(KEY);
      showLogin(err.message);
      return;
    }
    throw err;
  }
  $("login").hidden = true;
  $("signout").hidden = false;
  $("dashboard").hidden = false;
  fillFilter();
  loadAll();
}

// -- the filter --------------------------------------------------------------------

function fillSelect(select, values, label = (v) => v) {
  const keep = select.value;
  select.replaceChildren(select.options[0]);
  for (const v of values) select.append(el("option", { value: v, text: label(v) }));
  select.value = values.includes(keep) ? keep : "";
}

function fillFilter() {
  fillSelect($("f-role"), options.roles);
  fillVersions();
  fillSelect($("f-recipe"), options.recipes);
  fillSelect($("f-since"), options.months);
  fillSelect($("f-until"), options.months);
  const choices = $("metric-choices");
  choices.replaceChildren();
  for (const m of options.metrics) {
    const box = el("input", { type: "checkbox", value: m.name, name: "metric" });
    box.checked = DEFAULT_METRICS.includes(m.name);
    choices.append(el("label", {}, box, ` ${m.label} (${m.unit})`));
  }
}

function fillVersions() {
  const role = $("f-role").value;
  fillSelect($("f-version"),
             options.prompt_versions.filter((v) => !role || v.startsWith(role + ".v")));
}

function lastDay(month) {  // "2025-06" -> "2025-06-30"
  const [y, m] = month.split("-").map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** The selection as the read routes' query parameters. */
function selection() {
  const p = new URLSearchParams();
  if ($("f-role").value) p.append("role", $("f-role").value);
  if ($("f-version").value) p.append("prompt_version", $("f-version").value);
  if ($("f-recipe").value) p.set("recipe", $("f-recipe").value);
  if ($("f-since").value) p.set("since", $("f-since").value + "-01");
  if ($("f-until").value) p.set("until", lastDay($("f-until").value));
  return p;
}

function chosenMetrics() {
  return [...document.querySelectorAll("#metric-choices input:checked")].map((b) => b.value);
}

// -- loading -----------------------------------------------------------------------

/** Run a request of one area of the page; only the area's latest answer is drawn. */
function track(area, promise, render) {
  const mine = (generations[area] = (generations[area] || 0) + 1);
  pending += 1;
  document.body.dataset.state = "loading";
  $("status").textContent = "Loading…";
  return promise
    .then((data) => { if (mine === generations[area]) render(data); })
    .catch((err) => {
      if (err instanceof AuthError) { sessionStorage.removeItem(KEY); showLogin(err.message); }
      else if (mine === generations[area]) failed = err.message;
    })
    .finally(() => {
      pending -= 1;
      if (pending > 0) return;
      $("status").textContent = failed ? "Error: " + failed
                                       : "Updated " + new Date().toLocaleTimeString();
      document.body.dataset.state = failed ? "error" : "ready";
    });
}

function loadCharts() {
  const charts = $("charts");
  for (const old of charts.children) {
    resizer.unobserve(old);
    if (old._fullLayout) Plotly.purge(old);
  }
  charts.replaceChildren();
  const by = $("f-by").value;
  for (const name of chosenMetrics()) {
    const metric = options.metrics.find((m) => m.name === name);
    const panel = el("div", { className: "panel", id: "chart-" + name,
                              dataset: { metric: name, state: "loading" } });
    charts.append(panel);
    const params = selection();
    params.set("metric", name);
    params.append("by", "month");
    params.append("by", by);
    track("chart-" + name, api("/v1/metrics", params),
          (rows) => drawChart(panel, metric, by, rows || []));
  }
}

function loadAll() {
  failed = "";
  loadCharts();
  const sel = selection();
  const role = $("f-role").value || ($("f-version").value.split(".v")[0] || "");
  track("findings", api("/v1/findings", sel), (rows) => drawFindings(rows || []));
  track("suggestions", api("/v1/suggestions", sel), (rows) => drawSuggestions(rows || []));
  track("experiments", api("/v1/experiments"),
        (rows) => drawTable($("experiments"), rows, role, "No experiments."));
  track("rollouts", api("/v1/rollouts"),
        (rows) => drawTable($("rollouts"), rows, role, "No rollouts."));
  track("reports", api("/v1/reports"), drawReports);
}

// -- charts: one panel per metric, its unit on its own axis --------------------------

function scaleOf(unit, values) {
  if (unit === "share") return { factor: 100, unit: "%" };
  if (unit === "seconds") {
    return Math.max(0, ...values) >= 3600 ? { factor: 1 / 3600, unit: "hours" }
                                          : { factor: 1 / 60, unit: "minutes" };
  }
  return { factor: 1, unit };
}

function drawChart(panel, metric, by, rows) {
  panel.dataset.state = "ready";
  if (!rows.length) {
    panel.append(el("p", { className: "empty", text: `${metric.label}: no data here.` }));
    panel.dataset.points = "0";
    return;
  }
  const scale = scaleOf(metric.unit, rows.map((r) => r.value));
  const series = new Map();
  for (const r of [...rows].sort((a, b) => a.month.localeCompare(b.month))) {
    const key = r[by] ?? "(none)";
    if (!series.has(key)) series.set(key, { x: [], y: [], n: [] });
    const s = series.get(key);
    s.x.push(r.month);
    s.y.push(r.value === null ? null : r.value * scale.factor);
    s.n.push(r.denominator ?? "");
  }
  const traces = [...series.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([name, s]) => ({ type: "scatter", mode: "lines+markers", name: String(name),
                           x: s.x, y: s.y, customdata: s.n,
                           hovertemplate: `%{y:.3~f} ${scale.unit}<extra>%{fullData.name}</extra>` }));
  const better = metric.lower_is_better ? "lower is better" : "higher is better";
  const layout = {
    title: { text: `${metric.label} (${scale.unit})`, font: { size: 14 } },
    margin: { l: 70, r: 10, t: 40, b: 40 }, height: 320,
    xaxis: { type: "date", tickformat: "%b %Y", dtick: "M1" },
    yaxis: { title: { text: `${scale.unit} · ${better}` }, rangemode: "tozero" },
    legend: { orientation: "h", y: -0.2 },
  };
  Plotly.newPlot(panel, traces, layout, { displaylogo: false, responsive: true });
  resizer.observe(panel);
  panel.dataset.points = String(rows.length);
}

// -- findings and suggestions with their evidence -----------------------------------

function pretty(value) { return el("pre", { text: JSON.stringify(value, null, 2) }); }

function counted(node, shown, total) {
  node.textContent = total > shown ? `${total} (the first ${shown} shown)` : `${total}`;
}

function drawFindings(rows) {
  const box = $("findings");
  counted($("findings-count"), Math.min(rows.length, LIMIT), rows.length);
  box.replaceChildren(...rows.slice(0, LIMIT).map((f) => el("details",
    { className: "item finding", dataset: { role: f.agent_role || "", pattern: f.pattern } },
    el("summary", {}, el("span", { className: "badge " + f.severity, text: f.severity }),
       f.title, el("span", { className: "muted",
                             text: ` · ${f.pattern} · ${f.prompt_version || f.agent_role || ""}` })),
    el("p", { className: "muted", text: `${f.metric} = ${f.value}` +
      (f.interval ? ` (95% ${f.interval.join(" to ")})` : "") +
      `, n = ${f.sample_size}, baseline ${f.baseline ?? "n/a"}` +
      (f.thin_evidence ? ", thin evidence" : "") }),
    pretty(f.evidence),
    f.examples && f.examples.length ? pretty(f.examples) : null)));
  if (!rows.length) box.append(el("p", { className: "muted", text: "No findings." }));
}

function drawSuggestions(rows) {
  const box = $("suggestions");
  counted($("suggestions-count"), Math.min(rows.length, LIMIT), rows.length);
  box.replaceChildren(...rows.slice(0, LIMIT).map((s) => {
    const change = s.proposed_change || {};
    return el("details", { className: "item suggestion", dataset: { role: s.agent_role } },
      el("summary", {}, el("span", { className: "badge", text: s.suggestion_type }),
         `${s.suggestion_id}: ${s.agent_role}`,
         el("span", { className: "muted", text: ` · confidence ${s.confidence}` })),
      el("p", { text: change.rationale || "" }),
      el("p", { className: "muted", text: `${change.prompt_file || ""} § ${change.section || ""}` }),
      el("pre", { text: change.new_text || "" }),
      el("p", { className: "muted", text: (s.expected_impact || {}).basis || "" }),
      pretty(s.evidence));
  }));
  if (!rows.length) box.append(el("p", { className: "muted", text: "No suggestions." }));
}

// -- experiments, rollouts and reports ------------------------------------------------

function drawTable(box, rows, role, empty) {
  const shown = rows.filter((r) => !role || r.role === role);
  if (!shown.length) { box.replaceChildren(el("p", { className: "muted", text: empty })); return; }
  const columns = Object.keys(shown[0]);
  const cell = (r, c) => el("td", {}, c === "status"
    ? el("span", { className: "badge " + r[c], text: r[c] }) : String(r[c] ?? ""));
  const body = shown.map((r) => el("tr", { dataset: { role: r.role } },
                                   ...columns.map((c) => cell(r, c))));
  box.replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { text: c })))),
    el("tbody", {}, ...body)));
}

async function openReport(file, download) {
  const blob = await api("/v1/reports/" + file.path.split("/").map(encodeURIComponent).join("/"),
                         undefined, true);
  if (!blob) return;
  const view = $("report-view");
  if (!download && file.type.startsWith("image/")) {
    view.replaceChildren(el("img", { src: URL.createObjectURL(blob), alt: file.path }));
  } else if (!download) {
    view.textContent = await blob.text();
  } else {
    const url = URL.createObjectURL(blob);
    el("a", { href: url, download: file.path.split("/").pop() }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return;
  }
  view.hidden = false;
  view.scrollIntoView();
}

function drawReports(files) {
  const box = $("reports");
  if (!files.length) {
    box.replaceChildren(el("p", { className: "muted",
      text: "No reports yet: `autoforge train` writes them." }));
    return;
  }
  const link = (text, file, download) => el("a", { text, role: "button", tabindex: "0",
    onclick: () => openReport(file, download).catch((e) => { $("status").textContent = e.message; }) });
  box.replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, ...["report", "type", "size", "modified", ""].map(
      (c) => el("th", { text: c })))),
    el("tbody", {}, ...files.map((f) => el("tr", { className: "report" },
      el("td", {}, f.path), el("td", { text: f.type.split(";")[0] }),
      el("td", { text: `${Math.ceil(f.bytes / 1024)} KB` }), el("td", { text: f.modified }),
      el("td", {}, f.type.startsWith("text/html") ? null : link("view", f, false), " ",
         link("download", f, true)))))));
}

// -- start -------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    start();
  });
  $("signout").addEventListener("click", () => { sessionStorage.removeItem(KEY); showLogin(); });
  $("f-role").addEventListener("change", fillVersions);
  $("filter").addEventListener("change", (event) => {
    if (event.target.name === "metric") loadCharts();
    else loadAll();
  });
  if (sessionStorage.getItem(KEY)) start(); else showLogin();
});
