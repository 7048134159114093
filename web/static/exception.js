// The exception view: one key per decision. A, B, R, V decide at once;
// E and C open the field to type the exam number or the answer, and Enter
// in a field sends that decision.
"use strict";
(function () {
  const form = document.getElementById("resolve");
  if (!form) return;
  const action = document.getElementById("action");
  const send = (a) => { action.value = a; form.submit(); };
  form.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (!b) return;
    ev.preventDefault();
    const a = b.dataset.action;
    if (a === "exam_no" && !document.getElementById("exam_no").value) { document.getElementById("exam_no").focus(); return; }
    if (a === "answer" && !document.getElementById("answer").value) { document.getElementById("answer").focus(); return; }
    send(a);
  });
  form.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const id = document.activeElement.id;
    if (id === "exam_no") send("exam_no");
    else if (id === "answer") send("answer");
    else if (id === "reason") send(document.getElementById("exam_no").value ? "exam_no" : document.getElementById("answer").value ? "answer" : "accept");
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    const k = ev.key.toLowerCase();
    const keys = { a: "accept", b: "blank", r: "rescan", v: "void" };
    if (keys[k]) { ev.preventDefault(); send(keys[k]); }
    else if (k === "e" || k === "c") ev.preventDefault();
  });
  // The fields are focused when the key comes up, so the letter itself is
  // not typed into them.
  document.addEventListener("keyup", (ev) => {
    if (ev.target.tagName === "INPUT" || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    const k = ev.key.toLowerCase();
    if (k === "e") document.getElementById("exam_no").focus();
    else if (k === "c") document.getElementById("answer").focus();
  });
})();
