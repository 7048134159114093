// Shared by every page: the JSON API with the CSRF token, Chinese errors.
"use strict";
window.saoyue = (function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  const codeText = {
    unauthorized: "登录已过期，请刷新页面重新登录",
    forbidden: "无权进行此操作",
    not_found: "找不到该记录",
    conflict: "该记录已被他人处理或已超时",
    invalid: "输入有误",
    internal: "服务器出错，请稍后重试",
  };
  // The server's message is written for people; the code's text stands in
  // only when there is none (a proxy's error page, a body that is not JSON).
  function message(code, msg) {
    if (msg) return msg;
    return codeText[code] || "请求失败";
  }
  async function api(method, url, body) {
    const opt = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
    if (body !== undefined) {
      opt.headers["Content-Type"] = "application/json";
      opt.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(url, opt);
    } catch (e) {
      const err = new Error("网络连接中断，请检查网络后重试");
      err.status = 0; err.code = "network";
      throw err;
    }
    if (resp.status === 204) return null;
    let data = null;
    try { data = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) {
      const e = (data && data.error) || {};
      const code = e.code;
      const err = new Error(message(code, e.message));
      err.status = resp.status; err.code = code;
      throw err;
    }
    return data;
  }
  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") n.className = v;
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null) n.setAttribute(k, v);
    }
    for (const k of kids) n.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return n;
  }
  function fmt(v) { return (Math.round(v * 10) / 10).toString(); }
  function time(iso) {
    const d = new Date(iso);
    return d.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }
  return { api, el, fmt, time, csrf };
})();
