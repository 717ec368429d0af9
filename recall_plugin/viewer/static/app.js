/* claude-recall viewer: plain JavaScript, no build step, no third-party code.
   Every piece of stored text is put on the page with textContent, never as HTML. */
"use strict";

(() => {
  const PROVIDER_COLORS = { claude: "#d97757", gemini: "#4285f4", openrouter: "#6e56cf" };
  const SUMMARY_PARTS = [["request", "Request"], ["investigated", "Investigated"], ["learned", "Learned"],
    ["completed", "Completed"], ["next_steps", "Next steps"], ["notes", "Notes"]];

  const state = {
    mode: "feed", filters: {}, items: new Map(), next: { obs: null, sum: null },
    cursor: null, stream: null, unseen: 0, status: null, projects: new Set(), view: "memory",
  };

  // ---------------------------------------------------------------- small helpers
  const $ = (sel, root = document) => root.querySelector(sel);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function svg(tag, attrs, ...children) {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
    for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return el;
  }

  async function request(method, path, body) {
    const options = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401) {
      throw new Error("This page's access key is missing or out of date (the viewer was restarted?): run claude-recall viewer to open it again.");
    }
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok && !(data && (data.errors || data.error))) {
      throw new Error(`${response.status} ${response.statusText}`);
    }
    return { ok: response.ok, status: response.status, data };
  }

  async function getJSON(path, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") query.set(key, value);
    }
    const { ok, data } = await request("GET", query.toString() ? `${path}?${query}` : path);
    if (!ok) throw new Error((data && data.error) || "request failed");
    return data;
  }

  const postJSON = (path, body) => request("POST", path, body);

  function parseTime(stamp) {
    if (!stamp) return null;
    const date = new Date(String(stamp).replace(" ", "T"));
    return Number.isNaN(date.getTime()) ? null : date;
  }

  function ago(stamp) {
    const date = parseTime(stamp);
    if (!date) return "never";
    const seconds = Math.round((Date.now() - date.getTime()) / 1000);
    if (seconds < 45) return "just now";
    if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
    if (seconds < 86400 * 30) return `${Math.round(seconds / 86400)} d ago`;
    return date.toLocaleDateString();
  }

  const when = (stamp) => {
    const date = parseTime(stamp);
    return date ? date.toLocaleString() : String(stamp || "");
  };
  const fmtInt = (n) => Number(n || 0).toLocaleString();
  const fmtCost = (n) => `$${Number(n || 0).toFixed(Number(n || 0) >= 1 ? 2 : 4)}`;
  const costShort = (n) => (n >= 0.01 ? `$${n.toFixed(2)}` : "<$0.01");
  const fmtShort = (n) => {
    const v = Number(n || 0);
    if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
    return String(v);
  };
  const plural = (n, word) => `${fmtInt(n)} ${word}${Number(n) === 1 ? "" : "s"}`;
  const basename = (path) => String(path).split("/").filter(Boolean).pop() || String(path);

  let toastTimer = null;
  function toast(message, kind = "ok") {
    const el = $("#toast");
    el.textContent = message;
    el.dataset.kind = kind;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  // ---------------------------------------------------------------- cards
  function badge(type) {
    return h("span", { class: `badge t-${type}`, text: type });
  }

  function refOf(record) {
    return `${record.kind === "summary" ? "sum" : "obs"}:${record.id}`;
  }

  function evidenceText(record) {
    // which leg found the record and how strongly: "fts 100% · vector 0.62"
    const ev = record.evidence || {};
    const parts = [];
    if (ev.fts) parts.push(`fts ${Math.round(ev.fts * 100)}%`);
    if (ev.vector) parts.push(`vector ${Number(ev.vector).toFixed(2)}`);
    return parts.length ? parts.join(" \u00b7 ") : (record.matched || []).join("+");
  }

  function cardFooter(record) {
    const session = record.session_id
      ? h("a", { class: "meta-link", href: `#/session/${encodeURIComponent(record.session_id)}`,
        title: `Session ${record.session_id}`, text: "session" }) : null;
    const project = h("button", { type: "button", class: "chip project", title: "Show only this project",
      text: record.project, onclick: () => setFilter({ project: record.project }) });
    const stamp = record.updated_at || record.created_at;
    return h("footer", { class: "card-foot" },
      project, session,
      h("time", { datetime: stamp, title: when(stamp), text: ago(stamp) }),
      h("span", { class: "ref", text: `#${record.kind === "summary" ? "sum:" : ""}${record.id}` }),
      record.score ? h("span", { class: "score", title: `matched by ${(record.matched || []).join(" + ")}`,
        text: evidenceText(record) }) : null,
      h("button", { type: "button", class: "forget-btn", title: "Forget this memory", "aria-label": "Forget",
        onclick: () => openForget({ ids: [refOf(record)] }, record.title || record.request || "this memory") },
      "Forget"));
  }

  function fileChips(record) {
    const modified = record.files_modified || [];
    const read = (record.files_read || []).filter((f) => !modified.includes(f));
    if (!modified.length && !read.length) return null;
    return h("div", { class: "files" },
      modified.map((f) => h("span", { class: "file modified", title: `modified: ${f}` }, h("b", { text: "M" }), basename(f))),
      read.map((f) => h("span", { class: "file read", title: `read: ${f}` }, h("b", { text: "R" }), basename(f))));
  }

  function narrativeBlock(text) {
    if (!text) return null;
    const para = h("p", { class: "narrative", text });
    if (text.length < 320) return para;
    para.classList.add("clamped");
    const toggle = h("button", { type: "button", class: "link-btn", text: "Show more",
      onclick: () => { toggle.textContent = para.classList.toggle("clamped") ? "Show more" : "Show less"; } });
    return h("div", {}, para, toggle);
  }

  // A record that reads as instructions to the agent: shown, labelled, never injected.
  const flagBadge = (r) => (r.flagged ? h("span", { class: "flag-badge",
    title: `Reads as instructions to the agent (${r.flagged}): kept as data, never injected`, text: "flagged" }) : null);

  function observationCard(o) {
    return h("article", { class: `card t-${o.type}`, dataset: { ref: refOf(o) } },
      h("header", { class: "card-head" }, badge(o.type), flagBadge(o), h("h3", { class: "title", text: o.title })),
      o.subtitle ? h("p", { class: "subtitle", text: o.subtitle }) : null,
      (o.facts || []).length ? h("ul", { class: "facts" }, o.facts.map((f) => h("li", { text: f }))) : null,
      narrativeBlock(o.narrative),
      fileChips(o),
      (o.concepts || []).length ? h("div", { class: "concepts" }, o.concepts.map((c) => h("span", { class: "tag", text: c }))) : null,
      cardFooter(o));
  }

  function summaryCard(s) {
    return h("article", { class: "card t-summary", dataset: { ref: refOf(s) } },
      h("header", { class: "card-head" }, badge("summary"), flagBadge(s), h("h3", { class: "title", text: s.request || "Session summary" })),
      h("dl", { class: "summary-parts" }, SUMMARY_PARTS.filter(([key]) => key !== "request" && s[key])
        .map(([key, label]) => [h("dt", { text: label }), h("dd", { text: s[key] })])),
      cardFooter(s));
  }

  const cardFor = (record) => (record.kind === "summary" ? summaryCard(record) : observationCard(record));

  // ---------------------------------------------------------------- memory feed and search
  function readFilters() {
    return {
      q: $("#q").value.trim(), project: $("#f-project").value, type: $("#f-type").value,
      since: $("#f-since").value, until: $("#f-until").value,
    };
  }

  function setFilter(changes) {
    if ("project" in changes) {
      ensureProject(changes.project);
      $("#f-project").value = changes.project;
    }
    location.hash = "#/";
    loadMemory();
  }

  function dayAfter(day) {
    const date = new Date(`${day}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + 1);
    return date.toISOString().slice(0, 10);
  }

  function matchesFeed(record) {
    const f = state.filters;
    if (f.project && record.project !== f.project) return false;
    if (!f.type) return true;
    return f.type === "summary" ? record.kind === "summary" : record.type === f.type && record.kind !== "summary";
  }

  function renderCards() {
    const list = $("#cards");
    const records = [...state.items.values()];
    if (state.mode === "feed") {
      records.sort((a, b) => String(b.updated_at || b.created_at).localeCompare(String(a.updated_at || a.created_at)));
    }
    list.replaceChildren(...records.map(cardFor));
    if (!records.length) {
      list.append(h("div", { class: "empty" },
        h("h3", { text: state.mode === "feed" ? "No memories yet" : "Nothing matches" }),
        h("p", { class: "muted", text: state.mode === "feed"
          ? "Observations appear here the moment the extractor stores them."
          : "Try other words, or clear the filters." })));
    }
    $("#more").hidden = state.mode !== "feed" || (state.next.obs === null && state.next.sum === null);
  }

  function renderFeedInfo(extra) {
    const info = $("#feed-info");
    const f = state.filters;
    const bits = [];
    if (state.mode === "search") bits.push(f.q ? `Results for \u201c${f.q}\u201d` : "Filtered memories");
    else bits.push("Latest memories");
    if (f.project) bits.push(`in ${f.project}`);
    if (f.type) bits.push(`of type ${f.type}`);
    const parts = [h("span", { text: bits.join(" ") }), extra];
    if (state.unseen && state.mode === "search") {
      parts.push(h("button", { type: "button", class: "chip new", text: `${state.unseen} new \u2014 show latest`, onclick: clearSearch }));
    }
    info.replaceChildren(...parts.filter(Boolean));
  }

  async function loadMemory() {
    state.filters = readFilters();
    const f = state.filters;
    state.mode = f.q || f.since || f.until ? "search" : "feed";
    $("#clear-search").hidden = !(f.q || f.project || f.type || f.since || f.until);
    state.items = new Map();
    state.unseen = 0;
    try {
      if (state.mode === "search") await runSearch(f);
      else await loadFeedPage(true);
    } catch (error) {
      toast(`Could not load memories: ${error.message}`, "error");
    }
    renderCards();
  }

  async function runSearch(f) {
    const data = await getJSON("/api/search", {
      q: f.q, project: f.project, type: f.type, since: f.since, until: f.until ? dayAfter(f.until) : "", limit: 50,
    });
    for (const record of data.items) state.items.set(refOf(record), record);
    renderFeedInfo(h("span", { class: "muted", text: ` \u00b7 ${data.items.length || !data.query ? data.items.length + " found" : "no relevant memory"}${data.vectors ? " \u00b7 text + meaning" : ""}` }));
  }

  async function loadFeedPage(first) {
    const f = state.filters;
    const wantObs = f.type !== "summary" && (first || state.next.obs !== null);
    const wantSum = (!f.type || f.type === "summary") && (first || state.next.sum !== null);
    const [obs, sums] = await Promise.all([
      wantObs ? getJSON("/api/observations", { project: f.project, type: f.type, limit: 40, before: first ? "" : state.next.obs }) : null,
      wantSum ? getJSON("/api/summaries", { project: f.project, limit: 10, before: first ? "" : state.next.sum }) : null,
    ]);
    state.next = { obs: obs ? obs.next_before : (first ? null : state.next.obs), sum: sums ? sums.next_before : (first ? null : state.next.sum) };
    if (!wantObs) state.next.obs = null;
    if (!wantSum) state.next.sum = null;
    for (const page of [obs, sums]) {
      if (!page) continue;
      for (const record of page.items) state.items.set(refOf(record), record);
      if (first && !state.stream) connectStream(page.cursor);
    }
    renderFeedInfo();
  }

  function clearSearch() {
    $("#search-form").reset();
    loadMemory();
  }

  // ---------------------------------------------------------------- live stream
  function connectStream(cursor) {
    if (state.stream || !cursor) return;
    const url = `/api/stream?after=${encodeURIComponent(cursor.obs)}&since=${encodeURIComponent(cursor.sum)}`;
    const source = new EventSource(url);
    state.stream = source;
    const live = $("#live");
    const setLive = (name, text) => { live.dataset.state = name; $(".live-text", live).textContent = text; };
    source.addEventListener("open", () => setLive("on", "Live"));
    source.addEventListener("error", () => setLive("off", "Reconnecting"));
    source.addEventListener("observation", (event) => onRecord(JSON.parse(event.data)));
    source.addEventListener("summary", (event) => onRecord(JSON.parse(event.data)));
    source.addEventListener("status", (event) => renderStatus(JSON.parse(event.data)));
  }

  function onRecord(record) {
    ensureProject(record.project);
    if (state.view === "session" && state.sessionId === record.session_id) loadSession(record.session_id);
    if (state.mode !== "feed") {
      state.unseen += 1;
      renderFeedInfo();
      return;
    }
    if (!matchesFeed(record)) return;
    const ref = refOf(record);
    state.items.set(ref, record);
    const old = $(`#cards [data-ref="${ref}"]`);
    const card = cardFor(record);
    card.classList.add("fresh");
    if (old) old.replaceWith(card);
    else {
      $("#cards .empty")?.remove();
      $("#cards").prepend(card);
    }
  }

  // ---------------------------------------------------------------- status
  function ensureProject(name) {
    if (!name || state.projects.has(name)) return;
    state.projects.add(name);
    $("#f-project").append(h("option", { value: name, text: name }));
  }

  async function loadTypes() {  // the words come from recall_plugin/vocab.py, never retyped here
    try {
      const data = await getJSON("/api/vocab");
      $("#f-type").append(...data.record_types.map((t) => h("option", { value: t, text: t[0].toUpperCase() + t.slice(1) })));
    } catch (_) { /* the filter keeps "All types" only */ }
  }

  async function loadProjects() {
    try {
      const data = await getJSON("/api/projects");
      data.items.forEach((p) => ensureProject(p.project));
    } catch (_) { /* the filter simply stays short */ }
  }

  const DISMISSED_ERROR = "claude-recall.dismissed-provider-error";

  function renderAlerts(st) {
    const alerts = [];
    const failure = st.provider_error; // null once a later provider call succeeded
    const failureKey = failure ? `${failure.at} ${failure.text}` : "";
    if (failure && localStorage.getItem(DISMISSED_ERROR) !== failureKey) {
      alerts.push(["error", `Last provider error${failure.at ? ` (${ago(failure.at)})` : ""}`, failure.text, false, failureKey]);
    }
    for (const pause of st.paused || []) {
      alerts.push(["warn", `Paused (${pause.scope})`, pause.reason + (pause.setting ? ` \u2014 check ${pause.setting}` : ""), Boolean(pause.setting)]);
    }
    for (const note of st.notes || []) alerts.push(["info", "Note", note, false]);
    $("#alerts").replaceChildren(...alerts.map(([kind, title, text, fix, dismissKey]) =>
      h("div", { class: `alert ${kind}` }, h("strong", { text: title }), h("span", { text }),
        fix ? h("button", { type: "button", class: "link-btn alert-action", text: "Open settings", onclick: openSettings }) : null,
        dismissKey ? h("button", { type: "button", class: "link-btn alert-dismiss", text: "Dismiss", "aria-label": "Dismiss this error",
          onclick: () => { localStorage.setItem(DISMISSED_ERROR, dismissKey); renderAlerts(st); } }) : null)));
  }

  function renderStatus(st) {
    state.status = st;
    const q = st.queue || {};
    $("#provider-pill").replaceChildren(h("span", { class: "prov-dot", dataset: { provider: st.provider } }),
      h("b", { text: st.provider }), h("span", { class: "muted", text: st.model ? ` \u00b7 ${st.model}` : "" }));
    const cells = [["pending", "Pending"], ["processing", "Working"], ["failed", "Failed"], ["dead", "Dead"]];
    $("#queue").replaceChildren(...cells.map(([key, label]) =>
      h("div", { class: `q q-${key}${q[key] ? " nonzero" : ""}`, dataset: { key } },
        h("span", { class: "q-n", text: fmtInt(q[key]) }), h("span", { class: "q-label", text: label }))));
    const call = st.last_call;
    const rows = [
      ["Last run", ago(st.last_extractor_run), when(st.last_extractor_run)],
      ["Last call", call ? `${call.provider} \u00b7 ${call.status} \u00b7 ${ago(call.created_at)}` : "none yet", call ? `${call.model}` : ""],
      ["Fallback", st.fallback || "none", ""],
      ["Spooled", fmtInt(q.spooled), "captured events not ingested yet"],
    ];
    $("#activity").replaceChildren(...rows.flatMap(([k, v, title]) => [h("dt", { text: k }), h("dd", { text: v, title })]));
    const today = st.usage_today || {};
    $("#today").replaceChildren(
      h("div", { class: "stat" }, h("b", { text: fmtShort(Number(today.input_tokens || 0) + Number(today.output_tokens || 0)) }), h("span", { text: "tokens" })),
      h("div", { class: "stat" }, h("b", { text: fmtCost(today.cost_usd) }), h("span", { text: "est. cost" })),
      h("div", { class: "stat" }, h("b", { text: fmtInt(today.calls) }), h("span", { text: "calls" })));
    renderMiniChart(st.usage_by_day || []);
    const counts = [["observations", "Observations"], ["summaries", "Summaries"], ["sessions", "Sessions"], ["prompts", "Prompts"]];
    $("#counts").replaceChildren(...counts.map(([key, label]) =>
      h("div", { class: "stat" }, h("b", { text: fmtInt(st[key]) }), h("span", { text: label }))));
    renderAlerts(st);
  }

  async function loadStatus() {
    try { renderStatus(await getJSON("/api/status")); } catch (error) { toast(`Status: ${error.message}`, "error"); }
  }

  // ---------------------------------------------------------------- charts (inline SVG)
  function lastDays(count) {
    const days = [];
    const today = new Date();
    for (let i = count - 1; i >= 0; i -= 1) {
      const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
      days.push(d.toISOString().slice(0, 10));
    }
    return days;
  }

  function renderMiniChart(byDay) {
    const days = lastDays(7);
    const values = days.map((day) => Number((byDay.find((r) => r.day === day) || {}).total_tokens || 0));
    const max = Math.max(1, ...values);
    const chart = svg("svg", { viewBox: "0 0 140 40", class: "mini", role: "img", "aria-label": "Tokens, last 7 days" });
    values.forEach((v, i) => {
      const height = v ? Math.max(2, (v / max) * 34) : 1;
      chart.append(svg("rect", { x: i * 20 + 2, y: 38 - height, width: 16, height, rx: 2, class: v ? "bar" : "bar zero" },
        svg("title", {}, `${days[i]}: ${fmtInt(v)} tokens`)));
    });
    $("#mini-chart").replaceChildren(chart, h("span", { class: "muted small", text: "tokens, last 7 days" }));
  }

  function stackedChart(usage) {
    const days = lastDays(usage.days);
    const providers = [...new Set(usage.by_day.map((r) => r.provider))].sort();
    const value = (day, provider) => Number((usage.by_day.find((r) => r.day === day && r.provider === provider) || {}).total_tokens || 0);
    const totals = days.map((day) => providers.reduce((sum, p) => sum + value(day, p), 0));
    const max = Math.max(1, ...totals);
    const W = 720; const H = 230; const left = 48; const bottom = 24; const top = 22;
    const slot = (W - left) / days.length; const barW = Math.max(4, slot * 0.62);
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "stacked", role: "img", "aria-label": "Tokens per day by provider" });
    for (let i = 0; i <= 4; i += 1) {
      const y = top + (H - top - bottom) * (1 - i / 4);
      chart.append(svg("line", { x1: left, x2: W, y1: y, y2: y, class: "grid" }));
      chart.append(svg("text", { x: left - 8, y: y + 4, class: "axis", "text-anchor": "end" }, fmtShort((max * i) / 4)));
    }
    days.forEach((day, i) => {
      let y = H - bottom;
      const x = left + i * slot + (slot - barW) / 2;
      for (const provider of providers) {
        const v = value(day, provider);
        if (!v) continue;
        const height = (v / max) * (H - top - bottom);
        y -= height;
        const cost = Number((usage.by_day.find((r) => r.day === day && r.provider === provider) || {}).cost_usd || 0);
        chart.append(svg("rect", { x, y, width: barW, height, rx: 2, fill: PROVIDER_COLORS[provider] || "#888" },
          svg("title", {}, `${day} \u00b7 ${provider}: ${fmtInt(v)} tokens, ${fmtCost(cost)}`)));
      }
      const dayCost = usage.by_day.filter((r) => r.day === day).reduce((sum, r) => sum + Number(r.cost_usd || 0), 0);
      if (dayCost > 0) {
        chart.append(svg("text", { x: x + barW / 2, y: y - 5, class: "axis cost", "text-anchor": "middle" }, costShort(dayCost)));
      }
      if (days.length <= 16 || i % Math.ceil(days.length / 12) === 0) {
        chart.append(svg("text", { x: x + barW / 2, y: H - 6, class: "axis", "text-anchor": "middle" }, day.slice(5)));
      }
    });
    $("#usage-legend").replaceChildren(...providers.map((p) =>
      h("span", { class: "legend-item" }, h("span", { class: "swatch", dataset: { provider: p } }), p)));
    return chart;
  }

  function usageTable(rows, keys) {
    if (!rows.length) return h("p", { class: "muted", text: "No provider calls recorded yet." });
    return h("div", { class: "table-wrap" }, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, keys.map(([, label]) => h("th", { text: label })))),
      h("tbody", {}, rows.map((row) => h("tr", {}, keys.map(([key, , fmt]) => h("td", { text: fmt ? fmt(row[key]) : row[key] })))))));
  }

  async function loadUsage() {
    const usage = await getJSON("/api/usage", { days: 14 });
    const t = usage.totals; const d = usage.today;
    const tiles = [["Tokens (all time)", fmtShort(t.total_tokens)], ["Est. cost (all time)", fmtCost(t.cost_usd)],
      ["Calls (all time)", fmtInt(t.calls)], ["Tokens today", fmtShort(d.total_tokens)], ["Est. cost today", fmtCost(d.cost_usd)]];
    $("#usage-tiles").replaceChildren(...tiles.map(([label, v]) => h("div", { class: "tile" }, h("b", { text: v }), h("span", { text: label }))),
      ...(usage.billing ? [h("p", { class: "muted billing", text: usage.billing })] : []));
    $("#usage-chart").replaceChildren(stackedChart(usage));
    const cols = [["calls", "Calls", fmtInt], ["input_tokens", "Input", fmtInt], ["output_tokens", "Output", fmtInt],
      ["total_tokens", "Total", fmtInt], ["cost_usd", "Est. cost", fmtCost]];
    $("#usage-providers").replaceChildren(usageTable(usage.by_provider, [["provider", "Provider"], ...cols]));
    $("#usage-models").replaceChildren(usageTable(usage.by_model, [["model", "Model"], ...cols]));
  }

  // ---------------------------------------------------------------- sessions
  async function loadSessions() {
    const data = await getJSON("/api/sessions", { limit: 100 });
    const list = $("#sessions-list");
    if (!data.items.length) {
      list.replaceChildren(h("div", { class: "empty" }, h("h3", { text: "No sessions yet" })));
      return;
    }
    list.replaceChildren(...data.items.map((s) => h("a", { class: "session-row", href: `#/session/${encodeURIComponent(s.session_id)}` },
      h("div", { class: "session-main" }, h("b", { text: s.request || s.first_prompt || "Untitled session" }),
        h("span", { class: "muted small", text: `${s.project} \u00b7 ${s.session_id}` })),
      h("div", { class: "session-meta" }, h("span", { class: "chip", text: plural(s.prompts, "prompt") }),
        h("span", { class: "chip", text: plural(s.observations, "observation") }),
        h("time", { title: when(s.last_at), text: ago(s.last_at) })))));
  }

  async function loadSession(sessionId) {
    let data;
    try { data = await getJSON(`/api/sessions/${encodeURIComponent(sessionId)}`); } catch (error) {
      $("#session-head").replaceChildren(h("h1", { text: "Session not found" }), h("p", { class: "muted", text: error.message }));
      $("#session-body").replaceChildren();
      return;
    }
    $("#session-head").replaceChildren(
      h("div", { class: "session-title" }, h("h1", { text: (data.summary && data.summary.request) || "Session" }),
        h("button", { type: "button", class: "btn danger-ghost", text: "Forget session",
          onclick: () => openForget({ session_id: sessionId }, `the whole session ${sessionId}`) })),
      h("p", { class: "muted", text: `${data.project} \u00b7 ${sessionId} \u00b7 ${plural(data.counts.prompts, "prompt")} \u00b7 ${plural(data.counts.observations, "observation")}` }));
    const body = data.items.map((item) => (item.kind === "prompt"
      ? h("div", { class: "prompt" }, h("span", { class: "prompt-n", text: `#${item.prompt_number}` }),
        h("p", { text: item.private ? "(private prompt)" : item.text }), h("time", { title: when(item.created_at), text: ago(item.created_at) }))
      : observationCard(item)));
    if (data.summary) body.push(summaryCard(data.summary));
    $("#session-body").replaceChildren(...body);
  }

  // ---------------------------------------------------------------- forget
  let forgetTarget = null;
  const NOUNS = { observations: ["observation", "observations"], summaries: ["summary", "summaries"],
    prompts: ["prompt", "prompts"], events: ["captured event", "captured events"], turns: ["conversation turn", "conversation turns"] };

  function countText(counts) {
    const parts = Object.entries(counts).filter(([, n]) => n)
      .map(([table, n]) => `${n} ${(NOUNS[table] || [table, table])[n === 1 ? 0 : 1]}`);
    return parts.join(", ") || "nothing";
  }

  async function openForget(selector, label) {
    const dialog = $("#forget-dialog");
    forgetTarget = selector;
    $("#forget-title").textContent = selector.session_id ? "Forget this session?" : "Forget this memory?";
    $("#forget-what").textContent = `Checking what \u201c${label}\u201d covers\u2026`;
    $("#forget-items").replaceChildren();
    $("#forget-reason").value = "";
    $("#forget-error").textContent = "";
    $("#forget-confirm").disabled = true;
    dialog.showModal();
    const { ok, data } = await postJSON("/api/forget", { ...selector, dry_run: true });
    if (!ok) {
      $("#forget-what").textContent = "";
      $("#forget-error").textContent = data.error;
      return;
    }
    $("#forget-what").textContent = `This permanently removes ${countText(data.counts)} from memory (SQLite, the full-text index and the vector index).`;
    $("#forget-items").replaceChildren(...data.items.slice(0, 8).map((item) =>
      h("li", {}, h("code", { text: item.ref }), ` ${item.title}`)));
    $("#forget-reason").focus();
  }

  async function confirmForget(event) {
    event.preventDefault();
    const reason = $("#forget-reason").value.trim();
    if (!reason) {
      $("#forget-error").textContent = "A reason is required.";
      return;
    }
    const { ok, data } = await postJSON("/api/forget", { ...forgetTarget, reason });
    if (!ok) {
      $("#forget-error").textContent = data.error;
      return;
    }
    $("#forget-dialog").close();
    const r = data.report;
    toast(`Forgotten: ${countText({ observations: r.observations, summaries: r.summaries, prompts: r.prompts })}${r.verified ? "" : " (some traces remain: see the log)"}`);
    for (const ref of forgetTarget.ids || []) {
      state.items.delete(ref);
      $(`[data-ref="${ref}"]`)?.remove();
    }
    if (forgetTarget.session_id) location.hash = "#/sessions";
    loadStatus();
  }

  // ---------------------------------------------------------------- settings
  const drawer = { dirtyClear: new Set(), data: null };

  function sourceText(s) {
    if (s.source === "file") return "set in settings.json";
    if (s.source.startsWith("env:")) return `from environment variable ${s.source.slice(4)}`;
    return "default";
  }

  function controlFor(s) {
    const id = `set-${s.name}`;
    const common = { id, name: s.name, dataset: { name: s.name, original: s.value, kind: s.kind } };
    if (s.kind === "choice") {
      return h("select", common, s.choices.map((c) => h("option", { value: c, text: c, selected: c === s.value })));
    }
    if (s.kind === "bool") {
      return h("label", { class: "switch" }, h("input", { ...common, type: "checkbox", checked: s.value === "true" }), h("span", { class: "slider" }));
    }
    if (s.kind === "secret") {
      return h("input", { ...common, type: "password", autocomplete: "new-password", spellcheck: "false",
        placeholder: s.is_set ? "Enter a new key to replace it" : "Paste your key", dataset: { ...common.dataset, original: "" } });
    }
    if (s.suggestions && s.suggestions.length) return modelPicker(s, common);
    return h("input", { ...common, type: s.kind === "int" ? "number" : "text", min: s.minimum ?? null, step: s.kind === "int" ? 1 : null,
      placeholder: s.default !== "" ? String(s.default) : "", value: s.value, spellcheck: "false" });
  }

  function modelPicker(s, common) {
    const known = s.suggestions.includes(s.value);
    const custom = h("input", { type: "text", class: "custom-model", "aria-label": `${s.label} (custom)`, id: `${common.id}-custom`,
      placeholder: "provider/model-id", value: known ? "" : s.value, hidden: known, spellcheck: "false" });
    const select = h("select", { ...common, dataset: { ...common.dataset, picker: "1" } },
      s.suggestions.map((m) => h("option", { value: m, text: m, selected: m === s.value })),
      h("option", { value: "__custom__", text: "Other model\u2026", selected: !known }));
    select.addEventListener("change", () => {
      custom.hidden = select.value !== "__custom__";
      if (!custom.hidden) custom.focus();
    });
    return h("div", { class: "picker" }, select, custom);
  }

  function secretStatus(s) {
    if (!s.is_set) return h("span", { class: "key-state unset", text: "Not set" });
    const clear = h("button", { type: "button", class: "link-btn danger-text", text: "Remove key" });
    const status = h("span", { class: "key-state set" }, h("b", { text: s.value }), ` \u00b7 ${sourceText(s)} `, s.source === "file" ? clear : null);
    clear.addEventListener("click", () => {
      const marked = drawer.dirtyClear.has(s.name);
      if (marked) drawer.dirtyClear.delete(s.name); else drawer.dirtyClear.add(s.name);
      status.classList.toggle("clearing", !marked);
      clear.textContent = marked ? "Remove key" : "Undo (will be removed on save)";
    });
    return status;
  }

  function lockedField(s) {
    return h("div", { class: "field locked", dataset: { field: s.name } },
      h("span", { class: "field-label" }, s.label, h("span", { class: "locked-tag", text: "read-only here" })),
      h("p", { class: "locked-value" }, h("code", { text: s.value === "" ? "(empty)" : s.value }),
        h("span", { class: "source", text: ` \u00b7 ${sourceText(s)}` })),
      h("p", { class: "help" }, s.help),
      h("p", { class: "locked-note" }, "Names a program to run or a place to send data, so it changes only in a terminal: ",
        h("code", { class: "locked-command", text: s.command })));
  }

  function fieldFor(s) {
    if (s.cli_only) return lockedField(s);
    return h("div", { class: "field", dataset: { field: s.name } },
      h("label", { class: "field-label", for: `set-${s.name}`, text: s.label }),
      s.kind === "secret" ? secretStatus(s) : null,
      controlFor(s),
      h("p", { class: "help" }, s.help, s.kind !== "secret" && s.source !== "default" ? h("span", { class: "source", text: ` (${sourceText(s)})` }) : null),
      h("p", { class: "field-error", role: "alert" }));
  }

  function renderSettings(data) {
    drawer.data = data;
    drawer.dirtyClear = new Set();
    const provider = (data.groups[0].settings.find((s) => s.name === "CLAUDE_RECALL_PROVIDER") || {}).value;
    const groups = data.groups.map((g) => {
      const open = g.name === "provider" || g.name === provider;
      return h("details", { class: "group", open, dataset: { group: g.name } },
        h("summary", {}, h("span", { text: g.label }), h("span", { class: "count", text: `${g.settings.length}` })),
        h("div", { class: "group-body" }, g.settings.map(fieldFor)));
    });
    const problems = (data.problems || []).map((p) => h("div", { class: "alert warn" }, h("strong", { text: "settings.json" }), h("span", { text: p })));
    $("#settings-groups").replaceChildren(...problems, ...groups);
    const select = $("#set-CLAUDE_RECALL_PROVIDER");
    if (select) {
      select.addEventListener("change", () => {
        const target = $(`details[data-group="${select.value}"]`);
        if (target) { target.open = true; target.scrollIntoView({ behavior: "smooth", block: "nearest" }); }
      });
    }
  }

  async function openSettings() {
    $("#backdrop").hidden = false;
    $("#settings").hidden = false;
    $("#settings-msg").textContent = "";
    requestAnimationFrame(() => $("#settings").classList.add("open"));
    try { renderSettings(await getJSON("/api/settings")); } catch (error) {
      $("#settings-groups").replaceChildren(h("p", { class: "field-error", text: error.message }));
    }
  }

  function closeSettings() {
    $("#settings").classList.remove("open");
    $("#backdrop").hidden = true;
    $("#settings").hidden = true;
  }

  function collectSettings() {
    const values = {};
    for (const el of document.querySelectorAll("#settings-groups [data-name]")) {
      let value = el.type === "checkbox" ? String(el.checked) : el.value;
      if (el.dataset.picker && value === "__custom__") {
        value = $(`#${CSS.escape(el.id)}-custom`).value.trim();
        if (!value) continue; // "Other model" chosen but nothing typed yet: keep the current one
      }
      if (el.dataset.kind === "secret") {
        if (value.trim()) values[el.dataset.name] = value.trim();
      } else if (value !== el.dataset.original) {
        values[el.dataset.name] = value;
      }
    }
    return { values, clear: [...drawer.dirtyClear] };
  }

  async function saveSettings(event) {
    event.preventDefault();
    for (const el of document.querySelectorAll("#settings-groups .field-error")) el.textContent = "";
    document.querySelectorAll("#settings-groups .field.invalid").forEach((el) => el.classList.remove("invalid"));
    const body = collectSettings();
    const msg = $("#settings-msg");
    if (!Object.keys(body.values).length && !body.clear.length) {
      msg.textContent = "Nothing changed.";
      msg.dataset.kind = "info";
      return;
    }
    $("#settings-save").disabled = true;
    try {
      const { ok, data } = await postJSON("/api/settings", body);
      if (!ok) return showSettingErrors(data.errors || { "": data.error });
      renderSettings(data.settings);
      msg.textContent = `Saved ${data.changed.length} setting${data.changed.length === 1 ? "" : "s"} \u2014 the next extraction uses ${data.changed.length === 1 ? "it" : "them"}.`;
      msg.dataset.kind = "ok";
      loadStatus();
    } catch (error) {
      msg.textContent = error.message;
      msg.dataset.kind = "error";
    } finally {
      $("#settings-save").disabled = false;
    }
  }

  function showSettingErrors(errors) {
    const general = [];
    for (const [name, message] of Object.entries(errors)) {
      const field = name && $(`#settings-groups [data-field="${CSS.escape(name)}"]`);
      if (!field) { general.push(message); continue; }
      field.classList.add("invalid");
      const label = $(".field-label", field)?.textContent || name;
      $(".field-error", field).textContent = message.startsWith(`${name} `) ? label + message.slice(name.length) : message;
      const group = field.closest("details");
      if (group) group.open = true;
    }
    const first = $("#settings-groups .field.invalid");
    if (first) first.scrollIntoView({ block: "center" });
    const msg = $("#settings-msg");
    msg.textContent = general.length ? general.join(" ") : "Not saved: fix the highlighted fields.";
    msg.dataset.kind = "error";
  }

  // ---------------------------------------------------------------- routing
  function route() {
    const hash = location.hash || "#/";
    let view = "memory";
    if (hash.startsWith("#/sessions")) view = "sessions";
    else if (hash.startsWith("#/session/")) view = "session";
    else if (hash.startsWith("#/usage")) view = "usage";
    state.view = view;
    for (const section of document.querySelectorAll("main .view")) section.hidden = section.id !== `view-${view}`;
    for (const tab of document.querySelectorAll(".tab")) {
      const active = tab.dataset.tab === (view === "session" ? "sessions" : view);
      tab.classList.toggle("active", active);
      if (active) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    }
    const fail = (error) => toast(error.message, "error");
    if (view === "sessions") loadSessions().catch(fail);
    if (view === "usage") loadUsage().catch(fail);
    if (view === "session") {
      state.sessionId = decodeURIComponent(hash.slice("#/session/".length));
      loadSession(state.sessionId);
    }
  }

  function bind() {
    $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); loadMemory(); });
    $("#clear-search").addEventListener("click", clearSearch);
    for (const id of ["#f-project", "#f-type", "#f-since", "#f-until"]) $(id).addEventListener("change", loadMemory);
    $("#more").addEventListener("click", async () => {
      try { await loadFeedPage(false); } catch (error) { toast(error.message, "error"); }
      renderCards();
    });
    $("#gear").addEventListener("click", openSettings);
    $("#settings-close").addEventListener("click", closeSettings);
    $("#settings-cancel").addEventListener("click", closeSettings);
    $("#backdrop").addEventListener("click", closeSettings);
    $("#settings-form").addEventListener("submit", saveSettings);
    $("#settings-form").addEventListener("input", (event) => {
      const fieldEl = event.target.closest(".field");
      if (!fieldEl) return;
      fieldEl.classList.remove("invalid");
      $(".field-error", fieldEl).textContent = "";
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !$("#settings").hidden) closeSettings();
      if (event.key === "/" && document.activeElement === document.body) { event.preventDefault(); $("#q").focus(); }
    });
    $("#forget-reason").addEventListener("input", () => { $("#forget-confirm").disabled = !$("#forget-reason").value.trim(); });
    $("#forget-form").addEventListener("submit", confirmForget);
    $("#forget-cancel").addEventListener("click", () => $("#forget-dialog").close());
    window.addEventListener("hashchange", route);
    setInterval(() => { for (const t of document.querySelectorAll("time[datetime]")) t.textContent = ago(t.getAttribute("datetime")); }, 30000);
  }

  bind();
  route();
  loadTypes();
  loadProjects();
  loadStatus();
  loadMemory();
})();
