// The marking page: keyboard-first score entry with prefetched answers.
// Submitting shows the next (already decoded) answer at once and sends the
// mark in the background; a refused mark brings its answer back.
"use strict";
(function () {
  const { api, el, fmt, time } = window.saoyue;
  const root = document.getElementById("mark");
  if (!root) return;
  const subject = root.dataset.subject;
  const q = (p) => p + (p.includes("?") ? "&" : "?") + "subject=" + subject;
  const $ = (id) => document.getElementById(id);

  const st = {
    group: null,
    queue: [],          // tasks to mark: {id, crop_url, img, ready}
    current: null,      // the task on screen
    revising: null,     // a history mark being revised
    done: new Set(),    // ids submitted or flagged on this page
    history: [],
    active: 0,
    shownAt: 0,
    zoom: 0,            // 0 = fit width, else a factor of the natural size
    marked: 0,
    durations: [],
    refilling: null,
    latencies: [],      // ms from Enter to the next answer painted
    log: [],            // the last steps, for a support call or a failed test
  };
  function trace(...a) { st.log.push(a.join(" ")); if (st.log.length > 40) st.log.shift(); }
  window.saoyueMark = st;

  // ---- tasks and prefetching ----
  function preload(t) {
    t.img = new Image();
    t.img.alt = "考生答卷";
    t.img.className = "crop-img";
    t.img.src = q(t.crop_url);
    t.ready = t.img.decode().catch(() => {});
    return t;
  }
  // An answer is taken once per page: the server hands held answers back
  // on every refill, also the one between the queue and the screen.
  const seen = new Set();
  function known(id) { return seen.has(id); }
  function refill() {
    if (st.refilling) return st.refilling;
    st.refilling = (async () => {
      try {
        const r = await api("GET", q("/api/marking/next?n=5"));
        if (!st.group) setGroup(r.group);
        for (const t of r.tasks) if (!known(t.id)) { seen.add(t.id); st.queue.push(preload(t)); }
      } catch (e) {
        banner(e.message, true);
      } finally {
        st.refilling = null;
      }
    })();
    return st.refilling;
  }

  function setGroup(g) {
    st.group = g;
    $("max-score").textContent = fmt(g.max_score);
    const box = $("parts");
    box.replaceChildren();
    g.parts.forEach((p, i) => {
      const inp = el("input", { class: "score", id: "part-" + i, inputmode: "decimal", "data-i": i, "aria-label": (p.label || "得分") + "，满分 " + fmt(p.max) });
      inp.addEventListener("focus", () => { st.active = i; drawPad(); markActive(); });
      inp.addEventListener("input", () => { clean(inp); updateTotal(); maybeAdvance(i); });
      box.append(el("label", { class: "part" }, el("span", { class: "part-label" }, p.label ? "第 " + p.label + " 小题" : "得分"), inp, el("span", { class: "part-max" }, "/ " + fmt(p.max))));
    });
    st.active = 0;
    drawPad();
  }
  function inputs() { return Array.from(document.querySelectorAll("#parts input.score")); }
  function clean(inp) { inp.value = inp.value.replace(/[^0-9.]/g, "").replace(/^(\d*\.?\d?).*$/, "$1"); }
  function markActive() { inputs().forEach((x, i) => x.parentElement.classList.toggle("active", i === st.active)); }
  function focusPart(i) {
    const ins = inputs();
    if (!ins.length) return;
    st.active = Math.max(0, Math.min(i, ins.length - 1));
    ins[st.active].focus();
    ins[st.active].select();
  }
  // One keystroke per part when the part's step is whole and no further
  // digit could make a valid score (max 6: typing 4 can only mean 4, and
  // 0 is never the start of a longer score).
  function maybeAdvance(i) {
    const p = st.group.parts[i], v = inputs()[i].value;
    if (v === "" || v.includes(".") || p.step % 1 !== 0) return;
    if ((v === "0" || Number(v) * 10 > p.max) && i < st.group.parts.length - 1) focusPart(i + 1);
  }
  function updateTotal() {
    let sum = 0, any = false;
    for (const x of inputs()) if (x.value !== "") { sum += Number(x.value); any = true; }
    $("total").textContent = any ? fmt(sum) : "–";
  }
  function scores() {
    const out = [];
    const parts = st.group.parts;
    for (let i = 0; i < parts.length; i++) {
      const raw = inputs()[i].value;
      if (raw === "") return { error: "请给" + (parts[i].label ? "第 " + parts[i].label + " 小题" : "本题") + "打分", part: i };
      const v = Number(raw);
      const tenths = Math.round(v * 10), stepT = Math.round(parts[i].step * 10);
      if (!(v >= 0 && v <= parts[i].max + 1e-9) || Math.abs(v * 10 - tenths) > 1e-6 || tenths % stepT !== 0)
        return { error: "分数应在 0 到 " + fmt(parts[i].max) + " 之间，且为 " + fmt(parts[i].step) + " 的整数倍", part: i };
      out.push(v);
    }
    return { scores: out };
  }
  function drawPad() {
    const pad = $("pad");
    pad.replaceChildren();
    if (!st.group) return;
    const p = st.group.parts[st.active] || st.group.parts[0];
    const n = Math.round(p.max / p.step);
    const values = [];
    if (n <= 20) for (let k = 0; k <= n; k++) values.push(fmt(k * p.step));
    else for (const d of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", ".", "⌫"]) values.push(d);
    const direct = n <= 20;
    for (const v of values) {
      pad.append(el("button", { type: "button", class: "padkey", onclick: () => padPress(v, direct) }, v));
    }
    pad.append(el("button", { type: "button", class: "padkey wide", onclick: fullMarks }, "满分"));
    pad.append(el("button", { type: "button", class: "padkey wide", onclick: zeroMarks }, "零分"));
  }
  function padPress(v, direct) {
    const inp = inputs()[st.active];
    if (direct) inp.value = v;
    else if (v === "⌫") inp.value = inp.value.slice(0, -1);
    else inp.value += v;
    updateTotal();
    if (direct && st.active < st.group.parts.length - 1) focusPart(st.active + 1);
    else inp.focus();
  }
  function fullMarks() { inputs().forEach((x, i) => (x.value = fmt(st.group.parts[i].max))); updateTotal(); focusPart(inputs().length - 1); }
  function zeroMarks() { inputs().forEach((x) => (x.value = "0")); updateTotal(); focusPart(inputs().length - 1); }

  // ---- showing an answer ----
  function paint(img) {
    const box = $("crop");
    box.replaceChildren(img);
    applyZoom();
  }
  function show(t, scoresToFill) {
    trace("show", t && t.id, scoresToFill || "");
    st.current = t;
    $("crop").dataset.task = t ? t.id : "";
    if (!t) return;
    paint(t.img);
    inputs().forEach((x, i) => (x.value = scoresToFill ? fmt(scoresToFill[i]) : ""));
    updateTotal();
    st.shownAt = performance.now();
    focusPart(0);
  }
  async function advance(t0) {
    let t = st.queue.shift();
    if (st.queue.length < 4) refill();
    if (!t) {
      $("crop").replaceChildren(el("p", { class: "muted center padded" }, "正在加载答卷…"));
      st.current = null;
      await refill();
      t = st.queue.shift();
      if (!t) {
        $("crop").dataset.task = "";
        $("crop").replaceChildren(el("div", { class: "empty" }, el("h2", {}, "本题组暂时没有待评答卷"), el("p", { class: "muted" }, "新的答卷到达后会自动出现。您可以在右侧修改最近的评分。")));
        setTimeout(() => { if (!st.current && !st.revising) advance(); }, 15000);
        return;
      }
    }
    await t.ready;
    show(t);
    if (t0 !== undefined) {
      requestAnimationFrame(() => {
        st.latencies.push(performance.now() - t0);
      });
    }
  }

  // ---- submitting ----
  async function submit() {
    const s = scores();
    if (s.error) { banner(s.error, true); focusPart(s.part); return; }
    if (st.revising) return reviseSubmit(s.scores);
    const t = st.current;
    // One answer, one submit: a key held a moment too long, or Enter plus
    // the form's own submit, must not send it twice and skip the next.
    if (!t || st.done.has(t.id)) return;
    trace("submit", t.id, s.scores);
    const t0 = performance.now();
    const duration = Math.round(t0 - st.shownAt);
    st.done.add(t.id);
    banner("");
    advance(t0);
    try {
      const mk = await api("POST", q("/api/marking/tasks/" + t.id + "/mark"), { scores: s.scores, duration_ms: duration });
      st.marked++;
      st.durations.push(duration);
      addHistory({ ...mk, revisable: true });
      progress();
    } catch (e) {
      trace("refused", t.id, e.status, e.message);
      if (e.status === 409 || e.status === 403) {
        banner("上一份答卷未能保存：" + e.message + "（已跳过）", true);
      } else {
        // Bring the answer back with the scores typed, to send again.
        st.done.delete(t.id);
        if (st.current) st.queue.unshift(st.current);
        show(t, s.scores);
        banner("上一份答卷未能保存：" + e.message + "，请重新提交", true);
      }
    }
  }

  // ---- revising a recent mark ----
  async function revise(h) {
    if (!h || !h.revisable) { banner("这份评分已超过可修改时间", true); return; }
    st.revising = h;
    $("mode-label").classList.remove("hidden");
    root.classList.add("revising");
    const img = new Image();
    img.className = "crop-img";
    img.alt = "考生答卷";
    img.src = q("/api/marking/tasks/" + h.task_id + "/crop");
    await img.decode().catch(() => {});
    paint(img);
    $("crop").dataset.task = h.task_id;
    inputs().forEach((x, i) => (x.value = fmt(h.scores[i])));
    updateTotal();
    banner(h.returned ? "题组长退回：" + (h.return_reason || "请重新评分") : "正在修改已提交的评分，Enter 保存，Esc 取消");
    focusPart(0);
  }
  function endRevise() {
    st.revising = null;
    $("mode-label").classList.add("hidden");
    root.classList.remove("revising");
    if (st.current) show(st.current); else advance();
  }
  async function reviseSubmit(sc) {
    const h = st.revising;
    try {
      const mk = await api("PUT", q("/api/marking/tasks/" + h.task_id + "/mark"), { scores: sc, reason: h.returned ? "按题组长退回意见重评" : "阅卷教师自行修改" });
      const i = st.history.findIndex((x) => x.task_id === h.task_id);
      if (i >= 0) st.history[i] = { ...st.history[i], ...mk, returned: false };
      drawHistory();
      banner("已修改：合计 " + fmt(mk.total) + " 分");
      endRevise();
    } catch (e) {
      banner("修改未保存：" + e.message, true);
    }
  }

  // ---- flagging ----
  const dlg = $("flag-dialog");
  function openFlag() {
    if (!st.current || st.revising) return;
    $("flag-form").reset();
    dlg.showModal();
  }
  dlg.addEventListener("keydown", (ev) => {
    if (ev.target.id === "flag-note") return;
    const k = Number(ev.key);
    if (k >= 1 && k <= 5) {
      ev.preventDefault();
      dlg.querySelectorAll("input[name=reason]")[k - 1].checked = true;
      if (k === 5) $("flag-note").focus();
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      sendFlag();
    }
  });
  $("flag-ok").addEventListener("click", (ev) => { ev.preventDefault(); sendFlag(); });
  $("flag-cancel").addEventListener("click", (ev) => { ev.preventDefault(); dlg.close(); focusPart(st.active); });
  async function sendFlag() {
    const r = dlg.querySelector("input[name=reason]:checked");
    if (!st.current || st.done.has(st.current.id)) { dlg.close(); return; }
    const note = $("flag-note").value.trim();
    if (!r) { $("flag-note").placeholder = "请先选择原因（按 1-5）"; return; }
    if (r.value === "other" && !note) { $("flag-note").focus(); $("flag-note").placeholder = "选“其他”时请写明原因"; return; }
    dlg.close();
    const t = st.current;
    st.done.add(t.id);
    advance();
    try {
      await api("POST", q("/api/marking/tasks/" + t.id + "/flag"), { reason: r.value, note });
      banner("已标记为问题卷，交题组长处理");
      progress();
    } catch (e) {
      banner("问题卷未能提交：" + e.message, true);
    }
  }

  // ---- progress and history ----
  async function progress() {
    try {
      const p = await api("GET", q("/api/marking/progress"));
      $("st-marked").textContent = p.marked;
      $("st-left").textContent = p.available + p.held;
    } catch (e) { /* the next submit tries again */ }
    if (st.durations.length) {
      const recent = st.durations.slice(-50);
      const mean = recent.reduce((a, b) => a + b, 0) / recent.length / 1000;
      $("st-speed").textContent = mean.toFixed(1);
      $("st-hour").textContent = Math.round(3600 / Math.max(mean, 0.1));
    }
  }
  function addHistory(mk) {
    st.history = st.history.filter((x) => x.task_id !== mk.task_id);
    st.history.unshift(mk);
    st.history = st.history.slice(0, 30);
    drawHistory();
  }
  function drawHistory() {
    const ol = $("history");
    ol.replaceChildren();
    st.history.forEach((h, i) => {
      const li = el("li", { class: h.returned ? "returned" : "" },
        el("span", { class: "h-time" }, time(h.updated_at || h.marked_at)),
        el("span", { class: "h-scores" }, h.scores.map(fmt).join(" + ")),
        el("b", { class: "h-total" }, fmt(h.total) + " 分"));
      if (h.returned) li.append(el("span", { class: "tag warn" }, "退回"));
      if (h.revisable) li.append(el("button", { type: "button", class: "link h-edit", "data-i": i, onclick: () => revise(h) }, "修改"));
      ol.append(li);
    });
  }
  async function loadHistory() {
    try {
      const r = await api("GET", q("/api/marking/history?limit=20"));
      st.history = r.marks;
      drawHistory();
      const back = r.marks.filter((m) => m.returned).length;
      if (back) banner("有 " + back + " 份评分被题组长退回，请在右侧“最近评分”中重新评分", true);
    } catch (e) { banner(e.message, true); }
  }

  // ---- zoom ----
  function applyZoom() {
    const img = $("crop").querySelector("img");
    if (!img) return;
    if (st.zoom === 0) { img.style.width = "100%"; img.style.maxWidth = "100%"; $("zoom-label").textContent = "适合宽度"; }
    else { img.style.maxWidth = "none"; img.style.width = Math.round(img.naturalWidth * st.zoom) + "px"; $("zoom-label").textContent = Math.round(st.zoom * 100) + "%"; }
  }
  function zoomBy(f) {
    const img = $("crop").querySelector("img");
    if (!img || !img.naturalWidth) return;
    const cur = st.zoom || img.clientWidth / img.naturalWidth;
    st.zoom = Math.max(0.25, Math.min(4, cur * f));
    applyZoom();
  }
  $("zoom-in").addEventListener("click", () => zoomBy(1.25));
  $("zoom-out").addEventListener("click", () => zoomBy(0.8));
  $("zoom-fit").addEventListener("click", () => { st.zoom = 0; applyZoom(); });
  $("crop").addEventListener("wheel", (ev) => { if (ev.ctrlKey) { ev.preventDefault(); zoomBy(ev.deltaY < 0 ? 1.1 : 0.9); } }, { passive: false });

  // ---- keys ----
  document.addEventListener("keydown", (ev) => {
    if (dlg.open) return;
    const ins = inputs();
    const inPart = ev.target.classList && ev.target.classList.contains("score");
    if (ev.key === "Enter") {
      ev.preventDefault();
      if (inPart && st.active < ins.length - 1 && ins[st.active].value !== "" && ins.slice(st.active + 1).some((x) => x.value === "")) { focusPart(st.active + 1); return; }
      submit();
    } else if (ev.key === "Backspace" && inPart && ev.target.value === "") {
      ev.preventDefault();
      if (st.active > 0) focusPart(st.active - 1);
      else if (!st.revising && st.history.length) revise(st.history[0]);
    } else if (ev.key === "Escape") {
      if (st.revising) endRevise();
    } else if (ev.key === "f" || ev.key === "F") {
      ev.preventDefault();
      openFlag();
    } else if (ev.key === "+" || ev.key === "=") {
      ev.preventDefault(); zoomBy(1.25);
    } else if (ev.key === "-") {
      ev.preventDefault(); zoomBy(0.8);
    } else if (ev.key === "*") {
      ev.preventDefault(); st.zoom = 0; applyZoom();
    } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (inPart) { ev.preventDefault(); focusPart(st.active + (ev.key === "ArrowDown" ? 1 : -1)); }
    } else if (!inPart && /^[0-9.]$/.test(ev.key) && ins.length) {
      // A click elsewhere must not lose the next keystroke.
      ev.preventDefault();
      focusPart(st.active);
      ins[st.active].value += ev.key;
      updateTotal();
      maybeAdvance(st.active);
    }
  });
  $("score-form").addEventListener("submit", (ev) => { ev.preventDefault(); submit(); });
  $("flag").addEventListener("click", openFlag);
  $("prev").addEventListener("click", () => { if (st.history.length) revise(st.history[0]); });

  let bannerTimer = null;
  function banner(msg, bad) {
    const b = $("banner");
    clearTimeout(bannerTimer);
    b.textContent = msg;
    b.classList.toggle("hidden", !msg);
    b.classList.toggle("bad", !!bad);
    if (msg && !bad) bannerTimer = setTimeout(() => b.classList.add("hidden"), 4000);
  }

  // ---- start ----
  (async () => {
    await refill();
    if (!st.group) {
      $("crop").replaceChildren(el("div", { class: "empty" }, el("h2", {}, "无法开始阅卷"), el("p", { class: "muted" }, "请刷新页面重试。")));
      return;
    }
    advance();
    loadHistory();
    progress();
  })();
})();
