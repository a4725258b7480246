// The attention explorer's script: three views of the dump's attention maps, drawn as SVG
// from the JSON that `./workbook view` wrote into the page. No library, no network.
//
// data = { title, ramp: 9 colours for weights 0, 1/8, …, 1 (the workbook's heatmap ramp),
//          frames: [ { name: "step 100" or "", maps: [ map, … ] }, … ] }
// map  = { name, file, queries: (L) labels, keys: (S) labels,
//          weights: (H, L, S), null where NaN (a fully masked row),
//          blocked: (H, L, S) 1 = a mask blocks the key, or null when the dump has no mask,
//          q: (H, L, d_head), k: (H, S, d_head) or null, with qk_source or qk_missing }
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("explorer-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  // One colour per head: Okabe and Ito's palette, chosen to stay distinct for the common
  // kinds of colour blindness; yellow last (faint on white). Heads 8 and on repeat the
  // colours with dashed lines.
  const HEAD_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442"];
  // Large dumps: beyond this many lines the head view draws only a selected token's; beyond
  // this many cells a model-view tile is a canvas instead of one SVG rectangle per cell.
  const MAX_LINES = 12000, MAX_SVG_CELLS = 1600;

  const state = {
    frame: data.frames.length - 1,  // the last checkpoint (or the only frame)
    map: 0,
    shown: null,      // Set of the heads drawn in the head view (null: all)
    locked: null,     // {side: "q" | "k", index} kept by a click or Enter
    hover: null,      // the same, while the pointer or focus is on a token
    why: { head: 0, query: 0, key: 0 },
  };

  // ---- the data ---------------------------------------------------------------------------
  const frameOf = () => data.frames[state.frame];
  const mapOf = () => frameOf().maps[Math.min(state.map, frameOf().maps.length - 1)];
  const headsOf = (m) => m.weights.length;
  const isBlocked = (m, h, i, j) => m.blocked !== null && m.blocked[h][i][j] === 1;
  const headColour = (h) => HEAD_COLOURS[h % HEAD_COLOURS.length];
  const fmt = (x, digits) => (x === null ? "NaN" : x.toFixed(digits === undefined ? 4 : digits));
  const shownHeads = (m) => {
    const all = [...Array(headsOf(m)).keys()];
    return state.shown === null ? all : all.filter((h) => state.shown.has(h));
  };
  // A row whose every key is blocked, or whose weights are all NaN: softmax has nothing to share.
  const fullyMasked = (m, h, i) =>
    m.weights[h][i].every((w, j) => w === null || isBlocked(m, h, i, j));

  // The colour of a weight in [0, 1], interpolated in the ramp's 8 steps.
  function weightColour(w) {
    const t = Math.min(Math.max(w, 0), 1) * 8, i = Math.min(7, Math.floor(t)), f = t - i;
    const a = hexRgb(data.ramp[i]), b = hexRgb(data.ramp[i + 1]);
    return "rgb(" + a.map((c, k) => Math.round(c + f * (b[k] - c))).join(",") + ")";
  }
  function hexRgb(hex) {
    return [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  }

  // ---- small DOM helpers ------------------------------------------------------------------
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fillSelect(select, labels, value) {
    select.replaceChildren(...labels.map((label, i) => el("option", { value: String(i) }, label)));
    select.value = String(Math.min(value, labels.length - 1));
  }
  const tokenLabel = (tokens, i) => i + ": " + tokens[i];
  // "query 2 (sat)", or "query 2" when the token is only its number
  const named = (what, tokens, i) => what + " " + i + (tokens[i] === String(i) ? "" : " (" + tokens[i] + ")");
  const tooltip = document.getElementById("tooltip");
  function showTip(text, event) {
    tooltip.textContent = text;
    tooltip.hidden = false;
    const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
    tooltip.style.left = Math.max(4, x) + "px";
    tooltip.style.top = event.clientY + 14 + "px";
  }
  const hideTip = () => { tooltip.hidden = true; };

  // ---- the header: summary, training slider, tabs -----------------------------------------
  function drawSummary() {
    const maps = frameOf().maps, m = mapOf();
    const heads = (x) => headsOf(x) + (headsOf(x) === 1 ? " head" : " heads");
    const same = maps.every((x) => headsOf(x) === headsOf(maps[0]));
    document.getElementById("summary").textContent = (same
      ? maps.length + (maps.length === 1 ? " map" : " maps") + " of " + heads(maps[0])
      : maps.map((x) => x.name + " (" + heads(x) + ")").join(", ")) +
      "; " + m.name + ": L = " + m.queries.length + " queries, S = " + m.keys.length + " keys.";
  }

  function setUpTraining() {
    const box = document.getElementById("training"), slider = document.getElementById("step");
    if (data.frames.length < 2) return;
    box.hidden = false;
    slider.max = String(data.frames.length - 1);
    slider.value = String(state.frame);
    slider.setAttribute("aria-valuetext", frameOf().name);
    document.getElementById("step-name").textContent = frameOf().name;
    slider.addEventListener("input", () => {
      state.frame = Number(slider.value);
      slider.setAttribute("aria-valuetext", frameOf().name);
      document.getElementById("step-name").textContent = frameOf().name;
      drawAll();
    });
  }

  const TABS = [["tab-head", "head-view"], ["tab-model", "model-view"], ["tab-why", "why-view"]];
  function showTab(id) {
    hideTip();
    for (const [tab, panel] of TABS) {
      const on = tab === id;
      const button = document.getElementById(tab);
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      document.getElementById(panel).hidden = !on;
    }
    if (id === "tab-head") drawHeadView();  // its width depends on the panel being shown
  }
  function setUpTabs() {
    TABS.forEach(([tab], k) => {
      const button = document.getElementById(tab);
      button.addEventListener("click", () => showTab(tab));
      button.addEventListener("keydown", (e) => {  // arrow keys move between tabs
        const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        const next = TABS[(k + step + TABS.length) % TABS.length][0];
        showTab(next);
        document.getElementById(next).focus();
      });
    });
  }

  // ---- head view --------------------------------------------------------------------------
  // Tokens in two columns, a line per (head, query, key) whose opacity is the weight.
  function drawHeadView() {
    const m = mapOf(), L = m.queries.length, S = m.keys.length;
    state.hover = null;  // the tokens are drawn anew: none is under the pointer yet
    fillSelect(document.getElementById("head-map"), frameOf().maps.map((x) => x.name), state.map);
    drawHeadToggles(m);
    const figure = document.getElementById("head-figure");
    const width = Math.max(300, Math.min(figure.clientWidth || 760, 760));
    const column = Math.max(90, Math.min(220, Math.round(width * 0.3)));  // each token column
    const rowH = 26, top = 34, height = top + Math.max(L, S) * rowH + 10;
    const chars = Math.floor((column - 14) / 8.5);  // characters that fit in a column
    const svg = svgEl("svg", { id: "head-svg", width, height, viewBox: "0 0 " + width + " " + height,
                               role: "group", "aria-label": "Attention lines of " + m.name });
    svg.append(svgEl("text", { x: column - 8, y: 16, "text-anchor": "end", class: "column-title" }, "queries"),
               svgEl("text", { x: width - column + 8, y: 16, class: "column-title" }, "keys"));
    svg.append(svgEl("g", { id: "head-lines" }));
    const addTokens = (tokens, side, x, anchor) => {
      tokens.forEach((token, i) => {
        const y = top + i * rowH + rowH / 2;
        const short = token.length > chars ? token.slice(0, Math.max(1, chars - 1)) + "…" : token;
        const bg = svgEl("rect", { x: side === "q" ? 2 : width - column + 2, y: y - rowH / 2 + 2,
                                   width: column - 4, height: rowH - 4, rx: 4, fill: "transparent",
                                   class: "token-bg", "data-side": side, "data-index": i });
        const t = svgEl("text", { x, y: y + 5, "text-anchor": anchor, class: "token", tabindex: 0,
                                  role: "button", "data-side": side, "data-index": i,
                                  "aria-pressed": "false",
                                  "aria-label": (side === "q" ? "query " : "key ") + i + ": " + token }, short);
        wireToken(t, side, i);
        svg.append(bg, t);
      });
    };
    addTokens(m.queries, "q", column - 8, "end");
    addTokens(m.keys, "k", width - column + 8, "start");
    svg.dataset.left = String(column);
    svg.dataset.right = String(width - column);
    svg.dataset.top = String(top);
    svg.dataset.row = String(rowH);
    figure.replaceChildren(svg);
    drawLines();
  }

  function drawHeadToggles(m) {
    const box = document.getElementById("head-toggles");
    const buttons = [...Array(headsOf(m)).keys()].map((h) => {
      const on = state.shown === null || state.shown.has(h);
      const b = el("button", { type: "button", class: "head-toggle", "data-head": h,
                               "aria-pressed": on ? "true" : "false", style: "--hc:" + headColour(h) });
      b.append(el("span", { class: "swatch" }), document.createTextNode("head " + h));
      b.addEventListener("click", () => {
        const set = state.shown === null ? new Set(Array(headsOf(m)).keys()) : new Set(state.shown);
        if (set.has(h)) set.delete(h); else set.add(h);
        state.shown = set;
        drawHeadToggles(m);
        drawLines();
        box.querySelector('[data-head="' + h + '"]').focus();
      });
      return b;
    });
    const all = el("button", { type: "button", class: "head-toggle head-all", style: "--hc:#888888" }, "all heads");
    all.addEventListener("click", () => {
      state.shown = null;
      drawHeadToggles(m);  // (new buttons: focus the new one)
      drawLines();
      box.querySelector(".head-all").focus();
    });
    box.replaceChildren(...buttons, all);
  }

  function wireToken(t, side, i) {
    const enter = () => { state.hover = { side, index: i }; drawLines(); };
    const leave = () => { state.hover = null; drawLines(); };
    const toggle = () => {
      const same = state.locked && state.locked.side === side && state.locked.index === i;
      state.locked = same ? null : { side, index: i };
      drawLines();
    };
    t.addEventListener("mouseenter", enter);
    t.addEventListener("mouseleave", leave);
    t.addEventListener("focus", enter);
    t.addEventListener("blur", leave);
    t.addEventListener("click", toggle);
    t.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); }
    });
  }

  // Each head's lines a pixel or two apart from the next head's, so that heads giving the
  // same weight to the same key stay visible side by side (at most ±5 px in all).
  const spread = (h, H) => (h - (H - 1) / 2) * Math.min(2, 10 / Math.max(1, H - 1));

  // The lines of the shown heads: all of them, or only the selected token's row (a query) or
  // column (a key). Blocked cells get no line; a selected row marks its blocked keys.
  function drawLines() {
    const svg = document.getElementById("head-svg");
    if (!svg) return;
    const m = mapOf(), sel = state.hover || state.locked, heads = shownHeads(m);
    const left = Number(svg.dataset.left), right = Number(svg.dataset.right);
    const top = Number(svg.dataset.top), rowH = Number(svg.dataset.row);
    const y = (i) => top + i * rowH + rowH / 2;
    const g = svgEl("g", { id: "head-lines" });
    const rows = sel && sel.side === "q" ? [sel.index] : [...m.queries.keys()];
    const cols = sel && sel.side === "k" ? [sel.index] : [...m.keys.keys()];
    const tooMany = heads.length * rows.length * cols.length > MAX_LINES;
    if (tooMany) {
      g.append(svgEl("text", { x: (left + right) / 2, y: top - 8, "text-anchor": "middle", class: "mark",
                               id: "too-many" }, heads.length * rows.length * cols.length +
                               " lines: too many to draw at once; point at a token"));
    }
    for (const h of tooMany ? [] : heads) {
      for (const i of rows) {
        for (const j of cols) {
          const w = m.weights[h][i][j];
          if (isBlocked(m, h, i, j) || w === null) {
            if (sel) g.append(svgEl("line", { class: "blocked", x1: left, y1: y(i), x2: right, y2: y(j),
                                              "data-head": h, "data-query": i, "data-key": j }));
            continue;
          }
          const dy = spread(h, headsOf(m));
          const line = svgEl("line", { class: "attn", x1: left, y1: y(i) + dy, x2: right, y2: y(j) + dy,
                                       stroke: headColour(h), "stroke-opacity": w,
                                       "data-head": h, "data-query": i, "data-key": j, "data-weight": w });
          if (h >= HEAD_COLOURS.length) line.setAttribute("stroke-dasharray", "6 3");
          line.addEventListener("mousemove", (e) => showTip("head " + h + ": " + m.queries[i] + " → " +
                                                            m.keys[j] + "  " + fmt(w), e));
          line.addEventListener("mouseleave", hideTip);
          g.append(line);
        }
      }
    }
    svg.querySelector("#head-lines").replaceWith(g);
    // token states: selected, dimmed, a key blocked for every shown head of the selected row
    for (const t of svg.querySelectorAll(".token, .token-bg")) {
      const side = t.dataset.side, i = Number(t.dataset.index);
      const chosen = !!sel && sel.side === side && sel.index === i;
      t.classList.toggle("selected", chosen);
      if (t.classList.contains("token")) {
        const locked = !!state.locked && state.locked.side === side && state.locked.index === i;
        t.setAttribute("aria-pressed", locked ? "true" : "false");
        t.classList.toggle("dim", !!sel && sel.side === side && !chosen);
        const blockedKey = !!sel && sel.side === "q" && side === "k" && heads.length > 0 &&
          heads.every((h) => isBlocked(m, h, sel.index, i) || m.weights[h][sel.index][i] === null);
        t.classList.toggle("blocked-key", blockedKey);
      }
    }
    drawNumbers(m, sel, heads);
  }

  // The numbers of the selected row or column, one table row per shown head.
  function drawNumbers(m, sel, heads) {
    const box = document.getElementById("row-numbers");
    if (!sel) {
      box.replaceChildren(el("p", { class: "help" }, "Hover over or click a token: its weights appear here."));
      return;
    }
    const isQuery = sel.side === "q";
    const others = isQuery ? m.keys : m.queries;
    const caption = isQuery
      ? named("Query", m.queries, sel.index) + ": how much it attends to each key"
      : named("Key", m.keys, sel.index) + ": how much each query attends to it";
    const table = el("table", { class: "numbers", id: "numbers-table" });
    table.append(el("caption", {}, caption));
    const head = el("tr");
    head.append(el("th", {}, ""), ...others.map((t, j) => el("th", {}, j + ": " + t)));
    table.append(head);
    for (const h of heads) {
      const tr = el("tr", { "data-head": h });
      tr.append(el("th", { style: "color:" + headColour(h) }, "head " + h));
      others.forEach((_, j) => {
        const i = isQuery ? sel.index : j, k = isQuery ? j : sel.index;
        const w = m.weights[h][i][k];
        if (isBlocked(m, h, i, k)) tr.append(el("td", { class: "blocked", title: "blocked by the mask" }, "blocked"));
        else if (w === null) tr.append(el("td", { class: "blocked", title: "a fully masked row: 0/0" }, "NaN"));
        else tr.append(el("td", { "data-weight": w }, fmt(w)));
      });
      table.append(tr);
    }
    const notes = [];
    if (isQuery && heads.some((h) => fullyMasked(m, h, sel.index)))
      notes.push(el("p", { class: "help" }, "A fully masked row: every key is blocked, so softmax divides 0 by 0 " +
                    "(NaN, as PyTorch gives) and this query takes no information from any key."));
    box.replaceChildren(table, ...notes);
  }

  // ---- model view -------------------------------------------------------------------------
  // Every map × head as a small heatmap; a click opens it in the head view.
  function drawModelView() {
    const maps = frameOf().maps, grid = document.getElementById("model-grid");
    const most = Math.max(...maps.map(headsOf));
    const room = Math.max(280, Math.min(grid.clientWidth || 1000, 1100) - 110);
    const tile = Math.max(48, Math.min(120, Math.floor(room / most) - 12));
    grid.style.gridTemplateColumns = "auto repeat(" + most + ", max-content)";
    const cells = [el("div")];
    for (let h = 0; h < most; h++) cells.push(el("div", { class: "model-head" }, "head " + h));
    maps.forEach((m, k) => {
      cells.push(el("div", { class: "model-label" }, m.name));
      for (let h = 0; h < most; h++) {
        if (h >= headsOf(m)) { cells.push(el("div")); continue; }
        const button = el("button", { type: "button", class: "tile", "data-map": k, "data-head": h,
                                      "aria-label": m.name + ", head " + h + ": open in the head view" });
        button.append(heatmap(m, h, tile));
        button.addEventListener("click", () => {
          state.map = k;
          state.shown = new Set([h]);
          state.locked = state.hover = null;
          syncWhy(k, h);
          drawAll();
          showTab("tab-head");
          document.getElementById("tab-head").focus();
        });
        cells.push(button);
      }
    });
    grid.replaceChildren(...cells);
  }

  // Head h of map m as an SVG heatmap about `size` px wide: blocked cells hatched.
  function heatmap(m, h, size) {
    const L = m.queries.length, S = m.keys.length;
    if (L * S > MAX_SVG_CELLS) return heatmapCanvas(m, h, size);
    const c = Math.max(2, Math.floor(size / Math.max(L, S)));
    const svg = svgEl("svg", { width: S * c, height: L * c, class: "heatmap", "data-map-name": m.name,
                               "data-head": h, "aria-hidden": "true" });
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < S; j++) {
        const w = m.weights[h][i][j];
        const blocked = isBlocked(m, h, i, j) || w === null;
        const rect = svgEl("rect", { x: j * c, y: i * c, width: c, height: c, "data-query": i, "data-key": j,
                                     fill: blocked ? "url(#blocked-hatch)" : weightColour(w),
                                     class: blocked ? "cell blocked" : "cell" });
        rect.addEventListener("mousemove", (e) => showTip(m.name + " · head " + h + ": " + m.queries[i] + " → " +
                                                          m.keys[j] + "  " + (blocked ? "blocked" : fmt(w)), e));
        rect.addEventListener("mouseleave", hideTip);
        svg.append(rect);
      }
    }
    svg.append(svgEl("rect", { x: 0.5, y: 0.5, width: S * c - 1, height: L * c - 1, fill: "none", stroke: "#888888" }));
    return svg;
  }

  // The same on a canvas, for large maps (cells may be under a pixel; hatching as a pattern).
  function heatmapCanvas(m, h, size) {
    const L = m.queries.length, S = m.keys.length, c = size / Math.max(L, S);
    const canvas = el("canvas", { width: Math.round(S * c), height: Math.round(L * c), class: "heatmap",
                                  "data-map-name": m.name, "data-head": h, "aria-hidden": "true" });
    const ctx = canvas.getContext("2d");
    const tile = document.createElement("canvas");
    tile.width = tile.height = 6;
    const t = tile.getContext("2d");
    t.fillStyle = "#ffffff"; t.fillRect(0, 0, 6, 6);
    t.strokeStyle = "#555555"; t.lineWidth = 1.5;
    t.beginPath(); t.moveTo(0, 6); t.lineTo(6, 0); t.stroke();
    const hatch = ctx.createPattern(tile, "repeat");
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < S; j++) {
        const w = m.weights[h][i][j];
        ctx.fillStyle = isBlocked(m, h, i, j) || w === null ? hatch : weightColour(w);
        ctx.fillRect(j * c, i * c, Math.ceil(c), Math.ceil(c));
      }
    }
    canvas.addEventListener("mousemove", (e) => {
      const r = canvas.getBoundingClientRect();
      const i = Math.min(L - 1, Math.floor((e.clientY - r.top) / c)), j = Math.min(S - 1, Math.floor((e.clientX - r.left) / c));
      const w = m.weights[h][i][j];
      showTip(m.name + " · head " + h + ": " + m.queries[i] + " → " + m.keys[j] + "  " +
              (isBlocked(m, h, i, j) || w === null ? "blocked" : fmt(w)), e);
    });
    canvas.addEventListener("mouseleave", hideTip);
    return canvas;
  }

  // ---- why this score ---------------------------------------------------------------------
  // For one query and key: q, k, q·k term by term, the sum, ÷√d_k, the softmax over the row.
  function syncWhy(map, head) {
    state.map = map;
    state.why.head = head;
  }

  function drawWhyView() {
    const m = mapOf(), w = state.why;
    w.head = Math.min(w.head, headsOf(m) - 1);
    w.query = Math.min(w.query, m.queries.length - 1);
    w.key = Math.min(w.key, m.keys.length - 1);
    fillSelect(document.getElementById("why-map"), frameOf().maps.map((x) => x.name), state.map);
    fillSelect(document.getElementById("why-head"), [...Array(headsOf(m)).keys()].map((h) => "head " + h), w.head);
    fillSelect(document.getElementById("why-query"), m.queries.map((_, i) => tokenLabel(m.queries, i)), w.query);
    fillSelect(document.getElementById("why-key"), m.keys.map((_, j) => tokenLabel(m.keys, j)), w.key);
    const body = document.getElementById("why-body");
    const h = w.head, i = w.query, j = w.key;
    const dumped = m.weights[h][i][j];
    const said = "The dump's weight for head " + h + ", " + named("query", m.queries, i) + ", " +
      named("key", m.keys, j) + ": " + (isBlocked(m, h, i, j) ? "blocked by the mask" : fmt(dumped, 6)) + ".";
    if (m.q === null) {
      body.replaceChildren(el("p", { class: "missing", id: "why-missing" },
        "This map cannot be taken apart: " + m.qk_missing + ". It needs the queries and keys of each head, " +
        "projected (Q_heads, K_heads)."), el("p", {}, said));
      return;
    }
    const q = m.q[h][i], k = m.k[h][j], d = q.length;
    const parts = [el("p", { class: "help" }, "From " + m.qk_source + ": head " + h + " of " + m.name +
                      ", d_k = " + d + " numbers per query and key.")];
    // 1) the query and key vectors and their element-wise product
    parts.push(el("h3", {}, "1) q · k, term by term"));
    const table = el("table", { class: "numbers", id: "why-terms" });
    const header = el("tr");
    header.append(...["", "q (query " + i + ")", "k (key " + j + ")", "q × k"].map((t) => el("th", {}, t)));
    table.append(header);
    let sum = 0;
    for (let t = 0; t < d; t++) {
      const product = q[t] * k[t];
      sum += product;
      const tr = el("tr");
      tr.append(el("th", {}, String(t)), el("td", {}, fmt(q[t])), el("td", {}, fmt(k[t])), el("td", {}, fmt(product)));
      table.append(tr);
    }
    parts.push(table);
    // 2) the sum and the scaling
    const scale = Math.sqrt(d), score = sum / scale;
    parts.push(el("h3", {}, "2) the sum, then ÷ √d_k"));
    parts.push(el("p", { class: "formula", id: "why-sum" }, "q · k = " + fmt(sum)));
    parts.push(el("p", { class: "formula", id: "why-score" },
                  "score = " + fmt(sum) + " / √" + d + " = " + fmt(sum) + " / " + fmt(scale) + " = " + fmt(score)));
    // 3) the softmax over every key of the row
    parts.push(el("h3", {}, "3) the softmax over the row of query " + i));
    const scores = m.keys.map((_, kj) => isBlocked(m, h, i, kj) ? -Infinity
      : m.q[h][i].reduce((s, x, t) => s + x * m.k[h][kj][t], 0) / scale);
    const top = Math.max(...scores);
    const exps = scores.map((s) => (s === -Infinity ? 0 : Math.exp(s - top)));
    const total = exps.reduce((a, b) => a + b, 0);
    const soft = el("table", { class: "numbers", id: "why-softmax" });
    const sh = el("tr");
    sh.append(el("th", {}, "key"), el("th", {}, "score"), el("th", {}, "exp(score − max)"), el("th", {}, "weight"));
    soft.append(sh);
    m.keys.forEach((token, kj) => {
      const tr = el("tr", kj === j ? { class: "chosen" } : {});
      const blocked = scores[kj] === -Infinity;
      tr.append(el("th", {}, tokenLabel(m.keys, kj)),
                el("td", blocked ? { class: "blocked" } : {}, blocked ? "−∞ (blocked)" : fmt(scores[kj])),
                el("td", {}, fmt(exps[kj])),
                el("td", {}, total > 0 ? fmt(exps[kj] / total) : "NaN"));
      soft.append(tr);
    });
    parts.push(soft);
    parts.push(el("p", { class: "formula" }, "max = " + fmt(top) + ", Σ exp = " + fmt(total)));
    const mine = total > 0 ? exps[j] / total : null;
    parts.push(el("p", { class: "formula", id: "why-weight" },
                  "weight = " + fmt(exps[j]) + " / " + fmt(total) + " = " + fmt(mine, 6)));
    const agree = (mine === null && (dumped === null || isBlocked(m, h, i, j))) ||
                  (mine !== null && dumped !== null && Math.abs(mine - dumped) < 1e-4);
    // keys the dump gives exactly 0 where these steps do not: a mask the dump did not write
    const zeroed = m.keys.map((_, kj) => kj).filter((kj) => m.weights[h][i][kj] === 0 && exps[kj] > 0);
    const why = zeroed.length > 0
      ? "The dump's weights are exactly 0 at key" + (zeroed.length > 1 ? "s " : " ") +
        zeroed.map((kj) => tokenLabel(m.keys, kj)).join(", ") + ", where these steps give more than 0: " +
        "a mask that the dump does not hold (it has no attn_mask.npy or key_padding_mask.npy for " +
        "this map) would explain it."
      : "A float mask's finite values, added to the scores, are not part of these steps; or these " +
        "queries and keys did not make these weights.";
    parts.push(el("p", { class: agree ? "agree" : "differ", id: "why-check" }, said + " " + (agree
      ? "The steps above give the same number (to 1e-4)."
      : "The steps above give " + fmt(mine, 6) + ": they differ. " + why)));
    body.replaceChildren(...parts);
  }

  function setUpWhy() {
    const on = (id, f) => document.getElementById(id).addEventListener("change", (e) => {
      f(Number(e.target.value));
      drawWhyView();
    });
    on("why-map", (v) => { state.map = v; drawHeadView(); drawModelView(); drawSummary(); });
    on("why-head", (v) => { state.why.head = v; });
    on("why-query", (v) => { state.why.query = v; });
    on("why-key", (v) => { state.why.key = v; });
    document.getElementById("head-map").addEventListener("change", (e) => {
      state.map = Number(e.target.value);
      state.shown = null;
      state.locked = state.hover = null;
      drawAll();
    });
  }

  // ---- legend -----------------------------------------------------------------------------
  function drawLegend() {
    const ramp = el("span", { class: "ramp", style: "background:linear-gradient(to right," + data.ramp.join(",") + ")" });
    const items = [el("span", {}, "weight 0 "), ramp, el("span", {}, " 1"),
                   el("span", { class: "hatch" }), el("span", {}, "blocked by a mask (or a fully masked row, NaN)"),
                   el("span", {}, "Heads: Okabe–Ito colours, distinct for colour-blind readers; weights: one hue, light to dark.")];
    document.getElementById("legend").replaceChildren(...items);
  }

  function drawAll() {
    hideTip();
    drawSummary();
    drawHeadView();
    drawModelView();
    drawWhyView();
  }

  document.getElementById("dump-title").textContent = data.title;
  setUpTraining();
  setUpTabs();
  setUpWhy();
  drawLegend();
  drawAll();
  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { drawHeadView(); drawModelView(); }, 100);
  });
})();
