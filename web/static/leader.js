// The leader page: problem answers to score or reopen, per-marker quality
// with alerts, and sampling a marker's marks to re-mark or send back.
"use strict";
(function () {
  const { api, el, fmt, time } = window.saoyue;
  const root = document.getElementById("leader");
  if (!root) return;
  const q = (p) => p + (p.includes("?") ? "&" : "?") + "subject=" + root.dataset.subject;
  const $ = (id) => document.getElementById(id);
  const reasons = { blank: "空白卷", illegible: "字迹无法辨认", wrong_region: "切割错误", copying: "疑似抄袭", other: "其他" };
  const alertText = { mean_drift: "平均分偏离", distribution_drift: "分布异常", safe_scores: "趋中给分", control_disagreement: "控制卷不一致", remark_disagreement: "重评不一致", too_fast: "过快" };
  const scoresOf = (inp) => inp.value.split(/[\s,，+]+/).filter(Boolean).map(Number);

  async function problems() {
    const r = await api("GET", q("/api/leader/problems"));
    $("problem-count").textContent = r.problems.length ? r.problems.length + " 份待处理" : "";
    const box = $("problems");
    box.replaceChildren();
    if (!r.problems.length) { box.append(el("p", { class: "muted" }, "没有待处理的问题卷。")); return; }
    for (const p of r.problems) {
      const inp = el("input", { placeholder: "各小题得分，用空格分隔", style: "width:180px;display:inline-block" });
      const card = el("div", { class: "box", style: "margin-bottom:10px" },
        el("div", { class: "box-title" }, el("span", {}, el("span", { class: "tag warn" }, reasons[p.reason] || p.reason), " ", p.note || ""), el("span", { class: "muted small" }, time(p.created_at))),
        el("img", { src: q(p.crop_url), alt: "问题卷", style: "max-width:100%;display:block;margin:6px 0" }),
        el("div", { class: "actions" }, inp,
          el("button", { class: "btn primary", type: "button", onclick: async () => { try { await api("POST", q("/api/leader/problems/" + p.id + "/resolve"), { action: "score", scores: scoresOf(inp), note: "" }); problems(); } catch (e) { alert(e.message); } } }, "给分（最终）"),
          el("button", { class: "btn", type: "button", onclick: async () => { try { await api("POST", q("/api/leader/problems/" + p.id + "/resolve"), { action: "reopen" }); problems(); } catch (e) { alert(e.message); } } }, "退回正常阅卷")));
      box.append(card);
    }
  }
  async function quality() {
    const g = await api("GET", q("/api/leader/quality"));
    const tb = $("quality").querySelector("tbody");
    tb.replaceChildren(...g.markers.map((m) => el("tr", {},
      el("td", { class: "l" }, m.name), el("td", {}, m.count), el("td", {}, m.mean_seconds ? m.mean_seconds.toFixed(1) : "–"),
      el("td", {}, fmt(m.mean)), el("td", {}, fmt(m.sd)), el("td", {}, m.control_agreement == null ? "–" : Math.round(m.control_agreement * 100) + "%"),
      el("td", { class: "l" }, m.alerts && m.alerts.length ? el("span", { class: "tag bad", title: m.alerts.map((a) => a.message).join("；") }, m.alerts.map((a) => alertText[a.code] || a.code).join("、")) : "—"),
      el("td", {}, el("button", { class: "link", type: "button", onclick: () => sample(m) }, "抽查")))));
  }
  async function sample(m) {
    $("sample-who").textContent = m.name;
    const r = await api("GET", q("/api/leader/markers/" + m.marker_id + "/marks?n=5"));
    const box = $("sample");
    box.replaceChildren();
    if (!r.marks.length) { box.append(el("p", { class: "muted" }, "没有可抽查的评分。")); return; }
    for (const mk of r.marks) {
      const inp = el("input", { placeholder: "重评分数", style: "width:120px;display:inline-block" });
      const why = el("input", { placeholder: "原因", style: "width:140px;display:inline-block" });
      box.append(el("div", { class: "box", style: "margin-bottom:8px" },
        el("div", { class: "box-title" }, el("span", {}, "评分 ", el("b", {}, fmt(mk.total)), " （", mk.scores.map(fmt).join(" + "), "）"), el("span", { class: "muted small" }, time(mk.marked_at))),
        el("img", { src: q(mk.crop_url), alt: "答卷", style: "max-width:100%;display:block;margin:6px 0" }),
        el("div", { class: "actions" }, inp, why,
          el("button", { class: "btn", type: "button", onclick: async () => { try { await api("POST", q("/api/leader/tasks/" + mk.task_id + "/remark"), { scores: scoresOf(inp), reason: why.value || "题组长重评" }); sample(m); } catch (e) { alert(e.message); } } }, "重评"),
          el("button", { class: "btn warn", type: "button", onclick: async () => { try { await api("POST", q("/api/leader/tasks/" + mk.task_id + "/return"), { reason: why.value || "请重新评阅" }); sample(m); } catch (e) { alert(e.message); } } }, "退回"),
          el("button", { class: "btn", type: "button", onclick: async () => { try { await api("POST", q("/api/leader/tasks/" + mk.task_id + "/control"), { scores: scoresOf(inp) }); alert("已设为控制卷"); } catch (e) { alert(e.message); } } }, "设为控制卷"))));
    }
  }
  async function refresh() {
    try { await Promise.all([problems(), quality()]); $("live").textContent = "实时更新 · " + new Date().toLocaleTimeString("zh-CN", { hour12: false }); }
    catch (e) { $("live").textContent = e.message; }
  }
  refresh();
  setInterval(() => { if (!document.activeElement || document.activeElement.tagName !== "INPUT") refresh(); }, 10000);
})();
