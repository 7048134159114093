// The centre's dashboard redraws itself from /api/centre/dashboard every
// few seconds: nobody has to press reload to see the county move.
"use strict";
(function () {
  const { api, el, fmt } = window.saoyue;
  const root = document.getElementById("dashboard");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const alertText = { mean_drift: "平均分偏离", distribution_drift: "分布异常", safe_scores: "趋中给分", control_disagreement: "控制卷不一致", remark_disagreement: "重评不一致", too_fast: "过快" };
  function bar(p, ok) { return el("div", { class: "bar" + (ok ? " ok" : "") }, Object.assign(el("i"), { style: "width:" + Math.min(100, p).toFixed(1) + "%" })); }
  function rows(id, list, cells) {
    const tb = $(id).querySelector("tbody");
    tb.replaceChildren(...list.map((x) => { const tr = el("tr"); for (const c of cells(x)) { tr.append(c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c)); } return tr; }));
    if (!list.length) tb.append(el("tr", {}, el("td", { class: "l muted", colspan: $(id).querySelectorAll("th").length }, "暂无数据")));
  }
  const l = (v) => el("td", { class: "l" }, v);
  function draw(d) {
    $("k-pages").textContent = d.pages;
    $("k-exc").textContent = d.exceptions;
    $("k-pending").textContent = d.pending_approval;
    $("k-marked").textContent = d.marked;
    $("k-tasks").textContent = d.tasks;
    $("k-alerts").textContent = d.alerts;
    rows("groups", d.groups, (g) => [l(g.subject), l(g.Code), l(g.Mode), g.Answers, g.Marked, g.remaining,
      l(el("span", {}, bar(g.percent, g.percent >= 100), el("span", { class: "small muted" }, g.percent.toFixed(1) + "%"))),
      g.Problems, g.ArbitrationsDo, g.Markers, g.per_minute ? g.per_minute.toFixed(1) : "–",
      g.remaining === 0 && g.Tasks > 0 ? "已完成" : g.finish_at ? new Date(g.finish_at).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false }) : "–"]);
    rows("scan", d.scan, (s) => {
      const p = s.Candidates ? (s.Cards * 100) / s.Candidates : 0;
      return [l(s.SchoolName), l(s.Subject), s.Candidates, s.Batches, s.Pages, s.Cards, l(bar(p, p >= 100)), s.Exceptions ? el("span", { class: "tag warn" }, s.Exceptions) : "0"];
    });
    rows("markers", d.markers, (m) => [l(m.group), l(m.name), m.count, m.mean_seconds ? m.mean_seconds.toFixed(1) : "–", fmt(m.mean), fmt(m.sd),
      l(m.alerts && m.alerts.length ? el("span", { class: "tag bad", title: m.alerts.map((a) => a.message).join("；") }, m.alerts.map((a) => alertText[a.code] || a.code).join("、")) : el("span", { class: "muted" }, "—"))]);
  }
  draw(JSON.parse($("dash-data").textContent));
  async function poll() {
    try {
      draw(await api("GET", "/api/centre/dashboard?exam=" + encodeURIComponent(root.dataset.exam)));
      $("live").textContent = "实时更新 · " + new Date().toLocaleTimeString("zh-CN", { hour12: false });
      $("live").classList.remove("muted");
    } catch (e) {
      $("live").textContent = "连接中断，正在重试…";
    }
    setTimeout(poll, Number(root.dataset.interval || 3000));
  }
  setTimeout(poll, 3000);
})();
