/* The status page: plain JavaScript, no build step, nothing fetched from outside the board.
 * Every text that comes from the lane is put into the page as text (el()/textContent), never
 * as HTML: plates, reasons and names typed by people cannot inject markup. */
"use strict";

const $ = (id) => document.getElementById(id);
const S = { session: null, codes: null, page: null, recPage: 1, smokePage: 1, status: null, es: null,
            lastPhotoFor: null, forms: null, detail: null };

const STATE_WORDS = { idle: "空闲", reading: "识别中", deciding: "判定中", waiting_manual: "等待人工登记",
  refused: "禁行", open: "放行中", closing: "落杆中", "no gate": "未接道闸" };
const BARRIER_WORDS = { open: "抬起", closed: "落下", opening: "抬起中", closing: "落下中" };
const EVENT_WORDS = { allow: "放行", refuse: "禁行", barrier_open: "抬杆", barrier_close: "落杆",
  manual_lift: "人工抬杆", manual_entry: "人工录入", alarm: "报警", smoke: "黑烟", smoke_review: "黑烟复核", vehicle_arrive: "车辆到达",
  vehicle_leave: "车辆离开", display: "显示屏", voice: "语音", register: "登记车辆", cargo: "货物录入",
  camera_down: "摄像机断开", camera_up: "摄像机恢复", tailgate: "跟车", anti_smash: "防砸", loop_stuck: "地感异常",
  relay_fault: "继电器故障", login: "登录", action: "操作", lane_start: "车道启动", lane_stop: "车道停止",
  passage: "通行记录", awaiting_manual: "等待人工" };
const RESULT_WORDS = { allowed: "放行", refused: "禁行", manual: "人工放行" };
const RESULT_ICON = { allowed: "i-ok", refused: "i-no", manual: "i-hand" };
const DELIVERY_WORDS = { delivered: "已上传", pending: "待上传", rejected: "被拒收", local: "仅本地" };
const LEVEL_WORDS = { 1: "黄色预警", 2: "橙色预警", 3: "红色预警" };
const ALARM_WORDS = { refused: "禁行", camera: "摄像机", relay: "继电器", loop: "地感", tailgate: "跟车", decision: "判定",
  lane: "车道", clip: "视频", gpio: "GPIO", disk: "存储", "missing-upload": "漏传", "event-log": "事件日志", smoke: "黑烟" };
const FIELD_LABELS = { recordId: "记录编号", licensePlate: "车牌号码", plateColor: "号牌颜色", accessType: "进出厂类型",
  accessTime: "时间", eventTime: "时间", vin: "车辆识别代号", vehicleId: "车辆编号", cargoType: "货物名称",
  cargoWeight: "运输量", cargoUnit: "计量单位", passMode: "抬杆方式", smokeLevel: "林格曼黑度",
  gateId: "道闸编号", entranceId: "出入口编号", reason: "原因", cameraName: "抓拍点位", who: "操作人" };

/* ------------------------------------------------------------------ DOM helpers */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}
function icon(id, cls) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "ic" + (cls ? " " + cls : ""));
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", "#" + id);
  svg.append(use);
  return svg;
}
function fill(node, ...kids) { node.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined)); }
function kv(node, pairs) {
  fill(node, pairs.filter((p) => p).map(([k, v]) => [el("dt", { text: k }), el("dd", {}, v === null || v === undefined || v === "" ? "—" : v)]).flat());
}
function show(node, on) { node.classList.toggle("hidden", !on); }
function codeName(table, code) {
  if (!S.codes || code === "" || code === null || code === undefined) return code || "";
  const hit = (S.codes[table] || []).find((c) => c.code === String(code));
  return hit ? hit.name : String(code);
}
function ago(s) {
  if (s === null || s === undefined) return "—";
  if (s < 1) return "刚刚";
  if (s < 60) return Math.round(s) + " 秒前";
  if (s < 3600) return Math.round(s / 60) + " 分钟前";
  return Math.round(s / 3600) + " 小时前";
}
function duration(s) {
  if (s === null || s === undefined) return "—";
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return (d ? d + " 天 " : "") + h + " 小时 " + m + " 分";
}
function bytes(n) {
  if (n === null || n === undefined) return "—";
  const u = ["B", "KB", "MB", "GB", "TB"]; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + u[i];
}
function pct(r) { return r === null || r === undefined ? "—" : (r * 100).toFixed(2) + "%"; }

/* ------------------------------------------------------------------ talking to the board */
async function api(path, opts) {
  const r = await fetch(path, Object.assign({ credentials: "same-origin" }, opts || {}));
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (r.status === 401 && body && body.login) loggedOut();
  if (!r.ok) {
    const err = new Error((body && body.error) || ("HTTP " + r.status));
    err.status = r.status;
    throw err;
  }
  return body;
}
function act(path, payload) {
  return api(path, { method: "POST", body: JSON.stringify(payload),
                     headers: { "Content-Type": "application/json", "X-CSRF-Token": (S.session && S.session.csrf) || "" } });
}
function banner(text) { const b = $("banner"); b.textContent = text || ""; show(b, !!text); }

/* ------------------------------------------------------------------ session */
async function boot() {
  const s = await api("/api/session");
  $("site-name").textContent = s.enterprise || "智能环保门禁";
  $("lane-name").textContent = [s.gate, s.lane].filter(Boolean).join(" · ");
  S.session = s.user ? { user: s.user, csrf: s.csrf } : null;
  S.publicRead = s.public_read;
  if (!s.password_set) $("login-note").textContent = "尚未设置密码：请在板上运行 edge web passwd。";
  updateWho();
  if (S.session || S.publicRead) start();
  else showLogin();
}
function updateWho() {
  $("user").textContent = S.session ? "用户 " + S.session.user : "";
  show($("btn-logout"), !!S.session);
  show($("btn-login"), !S.session);
  document.body.classList.toggle("logged-in", !!S.session);
  for (const n of document.querySelectorAll(".needs-login")) show(n, !!S.session);
  for (const n of document.querySelectorAll(".only-anon")) show(n, !S.session);
}
function showLogin() {
  for (const p of document.querySelectorAll(".page")) show(p, p.id === "page-login");
  show($("tabs"), S.publicRead);
  $("login-password").focus();
}
function loggedOut() {
  const was = S.session;
  S.session = null;
  updateWho();
  if (!S.publicRead) {
    if (S.es) { S.es.close(); S.es = null; }
    showLogin();
  } else if (was) {
    banner("登录已过期，请重新登录。");
  }
}
$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("login-error").textContent = "";
  $("login-submit").disabled = true;
  try {
    const r = await api("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: $("login-user").value.trim(), password: $("login-password").value }) });
    S.session = { user: r.user, csrf: r.csrf };
    $("login-password").value = "";
    updateWho();
    banner("");
    start();
  } catch (e) {
    $("login-error").textContent = e.message;
  } finally {
    $("login-submit").disabled = false;
  }
});
$("btn-login").addEventListener("click", () => { location.hash = "#login"; showLogin(); });
$("btn-logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST" });
  S.session = null;
  updateWho();
  if (!S.publicRead) { if (S.es) { S.es.close(); S.es = null; } showLogin(); }
});

/* ------------------------------------------------------------------ start, routing, live */
async function start() {
  show($("tabs"), true);
  if (!S.codes) {
    S.codes = await api("/api/codes");
    for (const sel of document.querySelectorAll("select[data-codes]")) {
      fill(sel, el("option", { value: "", text: "全部" }),
           S.codes[sel.dataset.codes].map((c) => el("option", { value: c.code, text: c.name })));
    }
    fill($("plate-color"), el("option", { value: "", text: "颜色（按台账）" }),
         S.codes.plate_color.map((c) => el("option", { value: c.code, text: c.name })));
  }
  if (!S.es) connect();
  route();
}
function connect() {
  const es = new EventSource("/api/live");
  S.es = es;
  es.onopen = () => { $("conn").className = "conn on"; banner(""); };
  es.onerror = () => { $("conn").className = "conn off"; };
  es.addEventListener("status", (m) => renderStatus(JSON.parse(m.data)));
  es.addEventListener("event", (m) => addEvent(JSON.parse(m.data)));
  es.addEventListener("logout", () => loggedOut());
}
const PAGES = { lane: loadLane, records: loadRecords, report: loadReport, smoke: loadSmoke, ledger: loadLedger,
                platform: loadPlatform, health: loadHealth };
function route() {
  let page = (location.hash || "#lane").slice(1);
  if (page === "login") { if (S.session) page = "lane"; else { showLogin(); return; } }
  if (!PAGES[page]) page = "lane";
  S.page = page;
  for (const p of document.querySelectorAll(".page")) show(p, p.id === "page-" + page);
  for (const a of document.querySelectorAll(".tabs a")) a.classList.toggle("active", a.dataset.page === page);
  PAGES[page]().catch((e) => banner(e.message));
}
window.addEventListener("hashchange", () => { if (S.session || S.publicRead) route(); });

/* ------------------------------------------------------------------ the lane now */
async function loadLane() {
  renderStatus(await api("/api/status"));
  refreshPhoto(true);
  if (!S.status || !S.status.cache) {
    // a lane whose status does not carry the platform cache: read it from the page's own view
    const p = await api("/api/platform");
    S.platformCache = p.cache || null;
    renderControl(S.platformCache);
  }
}
function decisionClass(d) {
  if (!d) return "";
  if (!d.allowed) return "r-refused";
  return d.manual ? "r-manual" : "r-allowed";
}
function renderStatus(st) {
  S.status = st;
  if (st.lane_down) { banner("车道程序未运行或无响应：" + st.lane_down); st = st.last || {}; }
  else if ($("banner").textContent.startsWith("车道程序")) banner("");
  const d = st.last_decision;
  const badge = $("decision-badge");
  badge.className = "badge " + decisionClass(d);
  if (d) {
    const word = !d.allowed ? (d.manual ? "禁行（人工录入）" : "禁行") : d.manual ? "放行（人工录入）" : "放行";
    fill(badge, icon(!d.allowed ? "i-no" : d.manual ? "i-hand" : "i-ok", "big"), el("span", { text: word }));
    $("decision-plate").textContent = d.plate || "未识别";
    $("decision-reason").textContent = d.reason || "";
    $("decision-time").textContent = d.time || "";
  } else if (st.passages && st.passages.length) {
    const p = st.passages[st.passages.length - 1];
    const manual = p.passMode === "manual";
    badge.className = "badge " + (manual ? "r-manual" : "r-allowed");
    fill(badge, icon(manual ? "i-hand" : "i-ok", "big"), el("span", { text: manual ? "人工放行" : "已记录" }));
    $("decision-plate").textContent = p.licensePlate || "未识别";
    $("decision-reason").textContent = "";
    $("decision-time").textContent = p.accessTime || "";
  }
  const b = st.barrier;
  const bar = $("barrier");
  if (b) {
    bar.textContent = (BARRIER_WORDS[b.state] || b.state || "—") + (b.fault ? "（故障：" + b.fault + "）" : "");
    bar.className = "value" + (b.fault ? " r-alarm" : "");
  }
  $("lane-state").textContent = st.state ? "状态：" + (STATE_WORDS[st.state] || st.state) : "";
  const sg = st.signage || {};
  $("display-lines").textContent = (sg.lines && sg.lines.length) ? sg.lines.join("\n") : "—";
  $("voice").textContent = sg.voice ? "语音：" + sg.voice : "";
  renderControl(st.cache || S.platformCache);
  renderCameras(st.cameras);
  renderWaiting(st.waiting, st.state);
  renderAlarms(st.alarms || []);
  renderSite(st.site);
  const last = st.passages && st.passages.length ? st.passages[st.passages.length - 1].recordId : null;
  if (last && last !== S.lastPhotoFor) refreshPhoto(false);
}
function renderControl(cache) {
  const node = $("control-level");
  const list = (cache && cache.strategies_in_force) || [];
  if (!cache) { node.textContent = "—"; $("control-strategies").textContent = ""; return; }
  const level = Math.max(0, ...list.map((s) => parseInt(s.pollutionLevel, 10) || 0));
  node.textContent = level ? LEVEL_WORDS[level] || "预警" : "无重污染预警";
  node.className = "value" + (level ? " level-" + level : "");
  $("control-strategies").textContent = list.length
    ? list.map((s) => (s.strategyName || s.controlMeasures || s.strategyId) + (s.enddate ? "（至 " + s.enddate + "）" : "")).join("；")
    : "超标车辆名单 " + (cache.exceed_active !== undefined ? cache.exceed_active : cache.exceed || 0) + " 辆";
}
function renderCameras(cams) {
  const names = Object.keys(cams || {});
  if (!names.length) { fill($("cameras"), "—"); return; }
  fill($("cameras"), names.map((n) => {
    const c = cams[n];
    const ok = c.connected !== false && !c.stale;
    return el("div", { class: ok ? "good" : "low" }, ok ? "✔ " : "✖ ", n, " ",
              el("span", { class: "muted small", text: (c.fps ? c.fps.toFixed(1) + " fps · " : "") +
                "画面 " + ago(c.last_frame_age_s) }));
  }));
}
function renderWaiting(w, state) {
  const node = $("waiting");
  if (w) {
    fill(node, el("b", { class: "r-manual tag", text: "等待人工处理" }), " ",
         w.plate ? "识别：" + w.plate + " " : "车牌未识别 ", w.reason ? "（" + w.reason + "）" : "",
         w.since ? el("span", { class: "muted small", text: " 自 " + w.since }) : null,
         w.for_s !== undefined && w.for_s !== null ? el("span", { class: "muted small", text: " 已等待 " + Math.round(w.for_s) + " 秒" }) : null);
  } else {
    node.textContent = state === "waiting_manual" ? "车辆等待人工登记。" : "当前无等待车辆。";
  }
}
function renderAlarms(alarms) {
  const list = $("alarms");
  if (!alarms.length) { fill(list, el("li", { class: "muted", text: "无报警" })); return; }
  fill(list, alarms.slice().reverse().map((a) => el("li", {}, icon("i-alarm"), el("time", { text: a.time || "" }),
    el("b", { class: "tag r-alarm", text: ALARM_WORDS[a.kind] || a.kind || "报警" }), a.message || "")));
}
const ROLE_WORDS = { leader: "主车道（站点任务）", follower: "从车道", solo: "独立" };
function renderSite(site) {
  // site/<gate>/… over MQTT (edge/site): this lane's role, the broker link and every lane seen
  show($("site-card"), !!site);
  if (!site) return;
  const lanes = Array.isArray(site.lanes) ? site.lanes
    : Object.entries(site.peers || site.lanes || {}).map(([gate, p]) => ({ gate, ...p }));
  const cache = site.cache || {};
  fill($("site-peers"),
    el("div", {}, "本车道角色：", el("b", { text: ROLE_WORDS[site.role] || site.role || "—" }),
       site.leader ? "　主车道：" + site.leader : "",
       el("span", { class: "tag " + (site.connected === false ? "r-refused" : "r-allowed"),
                    text: site.connected === false ? "站点未连接" : "站点已连接" })),
    cache.stale ? el("div", { class: "low small", text: "名单可能过期：" + (cache.why || "") }) : null,
    el("ul", { class: "list", id: "site-lanes" }, lanes.map((p) =>
      el("li", { "data-gate": p.gate }, el("b", { text: p.gate }), " ",
         el("span", { class: "tag " + (p.online === false ? "r-refused" : "r-allowed"), text: p.online === false ? "离线" : "在线" }),
         " ", ROLE_WORDS[p.role] || p.role || "",
         el("span", { class: "muted small", text: " " + (p.seen_s_ago !== undefined ? ago(p.seen_s_ago) : (p.last_seen || p.at || "")) })))));
}
function eventLine(e) {
  const word = EVENT_WORDS[e.type] || e.type;
  const cls = { allow: "r-allowed", refuse: "r-refused", manual_lift: "r-manual", manual_entry: "r-manual", alarm: "r-alarm" }[e.type] || "";
  const iconId = { allow: "i-ok", refuse: "i-no", manual_lift: "i-hand", manual_entry: "i-hand", alarm: "i-alarm", smoke: "i-smoke" }[e.type];
  return el("li", { "data-type": e.type }, el("time", { text: (e.time || "").slice(11) || e.time }),
    el("span", { class: "tag " + cls }, iconId ? icon(iconId) : null, word),
    e.plate ? el("b", { text: e.plate }) : null,
    el("span", { text: [e.reason, e.message, e.op, e.text, e.verdict === "confirmed" ? "确认" : e.verdict === "rejected" ? "误报" : null, e.note].filter(Boolean).join(" ") }),
    e.who ? el("span", { class: "muted small", text: "（" + e.who + "）" }) : null);
}
function addEvent(e) {
  const list = $("events");
  list.prepend(eventLine(e));
  while (list.children.length > 60) list.lastChild.remove();
  if (["passage", "allow", "refuse", "manual_lift", "manual_entry", "barrier_open"].includes(e.type)) setTimeout(() => refreshPhoto(false), 400);
}
async function refreshPhoto(first) {
  try {
    const r = await api("/api/records?page_size=1");
    const rec = r.records[0];
    if (!rec) return;
    S.lastPhotoFor = rec.recordId;
    const img = $("last-photo");
    if (rec.photo) { if (img.getAttribute("src") !== rec.photo) img.src = rec.photo; show(img, true); show($("last-photo-none"), false); }
    $("last-photo-caption").textContent = [rec.time, rec.plate, RESULT_WORDS[rec.result], rec.reason].filter(Boolean).join(" · ");
    if (first && !S.status?.last_decision && !(S.status?.passages || []).length) {
      $("decision-plate").textContent = rec.plate || "未识别";
      $("decision-time").textContent = rec.time;
    }
  } catch (e) { /* the banner already says why */ }
}
$("plate-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("act-result");
  out.textContent = "提交中…";
  try {
    const payload = { plate: $("plate-input").value.trim() };
    if ($("plate-color").value) payload.color = $("plate-color").value;
    await act("/api/plate", payload);
    out.textContent = "✔ 已录入车牌 " + payload.plate;
    out.className = "small good";
    $("plate-input").value = "";
  } catch (e) { out.textContent = "✖ " + e.message; out.className = "small low"; }
});
$("lift-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("act-result");
  out.textContent = "提交中…";
  try {
    await act("/api/lift", { reason: $("lift-reason").value.trim() });
    out.textContent = "✔ 已人工抬杆";
    out.className = "small good";
    $("lift-reason").value = "";
  } catch (e) { out.textContent = "✖ " + e.message; out.className = "small low"; }
});

/* ------------------------------------------------------------------ records */
function queryString(form, extra) {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form).entries()) if (v) p.set(k, v);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  return p.toString();
}
async function loadRecords() {
  const qs = queryString($("query"), { page: S.recPage });
  $("csv").href = "/api/records.csv?" + queryString($("query"));
  const r = await api("/api/records?" + qs);
  $("rec-total").textContent = "共 " + r.total + " 条" + (r.indexing ? "（索引中，尚有 " + r.indexing + " 条）" : "");
  $("rec-page").textContent = " " + r.page + " / " + r.pages + " ";
  $("rec-prev").disabled = r.page <= 1;
  $("rec-next").disabled = r.page >= r.pages;
  fill($("rec-list"), r.records.length ? r.records.map(recordCard) : el("p", { class: "muted", text: "没有符合条件的记录" }));
}
function recordCard(r) {
  const cls = "r-" + r.result;
  return el("div", { class: "rec", "data-id": r.recordId, onclick: () => openDetail(r.recordId) },
    r.thumb ? el("img", { src: r.thumb, alt: r.plate || "照片", loading: "lazy" }) : el("div", { class: "noimg", text: "无照片" }),
    el("div", { class: "body" },
      el("div", { class: "line" }, el("span", { class: "plate", text: r.plate || "未识别" }),
         el("span", { class: "tag " + cls }, icon(RESULT_ICON[r.result] || "i-ok"), RESULT_WORDS[r.result] || r.result)),
      el("div", { class: "line muted" }, el("span", { text: r.time }),
         el("span", { text: (r.direction === "in" ? "进厂" : r.direction === "out" ? "出厂" : "") })),
      el("div", { class: "line" }, el("span", { text: [r.plateColorName, r.emissionName, r.fuelName].filter(Boolean).join(" · ") }),
         el("span", { class: "tag" + (r.delivery === "rejected" ? " r-refused" : r.delivery === "pending" ? " r-manual" : ""),
                      text: DELIVERY_WORDS[r.delivery] || r.delivery })),
      r.smokeLevel !== null && r.smokeLevel !== undefined ? el("div", { class: "line" }, el("span", {}, icon("i-smoke"), "林格曼 " + r.smokeLevel + " 级"),
         r.review ? el("span", { class: "tag review", text: reviewWords(r.review) }) : el("span", { class: "tag r-manual", text: "待复核" })) : null,
      r.reason ? el("div", { class: "small muted", text: r.reason }) : null));
}
$("query").addEventListener("submit", (ev) => { ev.preventDefault(); S.recPage = 1; loadRecords().catch((e) => banner(e.message)); });
$("query").addEventListener("reset", () => setTimeout(() => { S.recPage = 1; loadRecords().catch((e) => banner(e.message)); }, 0));
$("rec-prev").addEventListener("click", () => { S.recPage--; loadRecords().catch((e) => banner(e.message)); });
$("rec-next").addEventListener("click", () => { S.recPage++; loadRecords().catch((e) => banner(e.message)); });

function reviewWords(v) {
  return (v.verdict === "confirmed" ? "已确认" : "误报") +
    (v.smokeLevel !== null && v.smokeLevel !== undefined && v.smokeLevel !== v.cameraLevel ? " · 复核 " + v.smokeLevel + " 级" : "");
}
async function openDetail(id) {
  const d = await api("/api/records/" + encodeURIComponent(id));
  S.detail = d;
  const rec = d.record;
  const photos = Object.entries(d.media).filter(([, url]) => url.startsWith("/media/"));
  const rows = Object.entries(rec).filter(([k, v]) => typeof v !== "object" && !d.media[k]).map(([k, v]) => {
    let text = String(v);
    if (k === "plateColor") text = codeName("plate_color", v);
    if (k === "accessType") text = v === "0" ? "进厂" : v === "1" ? "出厂" : text;
    if (k === "passMode") text = v === "manual" ? "人工" : "自动";
    return [FIELD_LABELS[k] || k, text];
  });
  const veh = rec.vehicle || {};
  if (veh.emissionStandard) rows.push(["排放标准", codeName("emission_standard", veh.emissionStandard)]);
  if (veh.fuelType) rows.push(["燃料类型", codeName("fuel_type", veh.fuelType)]);
  const deliveries = d.deliveries.map((x) => el("div", {}, x.destination + "：", el("b", { text: DELIVERY_WORDS[x.state] || x.state }),
    x.reason ? el("span", { class: "muted small", text: " " + x.reason }) : null));
  if (d.review) rows.push(["复核确认", reviewWords(d.review) + "（" + d.review.who + " " + d.review.time + "）" +
                                      (d.review.note ? " " + d.review.note : "")]);
  const dl = el("dl", { class: "kv" });
  kv(dl, rows.concat([["上传", deliveries.length ? el("div", {}, deliveries) : "仅本地保存"]]));
  const clipUrl = d.clip || Object.values(d.media).find((u) => u.startsWith("/clip/"));
  fill($("detail-body"), el("h3", { text: (rec.licensePlate || "未识别") + " · " + (rec.accessTime || rec.eventTime || "") }),
    el("div", { class: "detail-photos" }, photos.map(([k, url]) => el("a", { href: url, target: "_blank" }, el("img", { src: url, alt: k })))),
    clipUrl ? clipPlayer(clipUrl) : null, dl);
  show($("cargo-form"), !!(S.session && d.cargo_editable));
  if (d.cargo_editable) { $("cargo-type").value = rec.cargoType || ""; $("cargo-weight").value = rec.cargoWeight || ""; $("cargo-unit").value = rec.cargoUnit || "T"; }
  show($("review-form"), !!(S.session && d.kind === "smoke"));
  $("detail-result").textContent = "";
  $("detail").showModal();
}
function clipPlayer(url) {
  // clips are kept as the camera sent them (H.264 MP4, stream copy): the browser plays them as
  // stored; an old MJPEG .avi no browser plays is offered as a download instead
  if (!/\.(mp4|webm)$/i.test(url)) {
    return el("p", { class: "clip-download" }, el("a", { href: url, download: "", text: "⬇ 下载视频片段（AVI，用播放器打开）" }));
  }
  const v = el("video", { controls: true, preload: "metadata", playsinline: true, src: url });
  v.addEventListener("error", () => v.replaceWith(el("p", { class: "clip-download" },
    "此浏览器无法播放该视频：", el("a", { href: url, download: "", text: "⬇ 下载" }))));
  return v;
}
$("cargo-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await act("/api/cargo", { recordId: S.detail.recordId, cargoType: $("cargo-type").value.trim(),
                              cargoWeight: $("cargo-weight").value.trim(), cargoUnit: $("cargo-unit").value });
    $("detail-result").textContent = "✔ 货物信息已保存";
  } catch (e) { $("detail-result").textContent = "✖ " + e.message; }
});
$("review-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const payload = { recordId: S.detail.recordId, verdict: $("review-verdict").value, note: $("review-note").value.trim() };
  if ($("review-level").value !== "") payload.level = parseInt($("review-level").value, 10);
  try {
    await act("/api/smoke/review", payload);
    $("detail-result").textContent = "✔ 已复核确认";
    if (S.page === "smoke") loadSmoke();
  } catch (e) { $("detail-result").textContent = "✖ " + e.message; }
});

/* ------------------------------------------------------------------ daily report */
async function loadReport() {
  const r = await api("/api/report/daily?days=30");
  const alarm = $("report-alarm");
  alarm.textContent = r.alarm ? "⚠ 漏传报警：" + r.alarm : "";
  show(alarm, !!r.alarm);
  const charts = r.destinations.map((dest) => el("div", {}, el("div", { class: "muted small", text: dest }), chart(r, dest)));
  fill($("report-chart"), charts);
  fill($("report-totals"), Object.entries(r.totals).map(([dest, t]) => el("div", {},
    el("b", { text: dest }), "：产生 " + t.generated + "，上传 " + t.uploaded + "，拒收 " + t.rejected + "，待传 " + t.pending + "，传输率 ",
    el("b", { class: t.meets_requirement ? "good" : "low", text: pct(t.rate) }))));
  const head = el("tr", {}, el("th", { text: "日期" }), r.destinations.map((d) => [
    el("th", { text: d + " 产生" }), el("th", { text: "上传" }), el("th", { text: "拒收" }), el("th", { text: "待传" }), el("th", { text: "传输率" })]).flat());
  const body = r.days.map((day) => el("tr", {}, el("td", { text: day.day }), r.destinations.map((dest) => {
    const x = day.destinations[dest] || {};
    const low = x.rate !== null && x.rate !== undefined && x.rate < r.required_rate;
    return [el("td", { text: x.generated }), el("td", { text: x.uploaded }), el("td", { text: x.rejected }),
            el("td", { text: x.pending }), el("td", { class: low ? "low" : x.rate === null || x.rate === undefined ? "muted" : "good", text: pct(x.rate) })];
  }).flat()));
  fill($("report-table"), el("thead", {}, head), el("tbody", {}, body));
}
function chart(r, dest) {
  const ns = "http://www.w3.org/2000/svg";
  const mk = (tag, attrs) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
  const days = r.days.slice().reverse();
  const W = 900, H = 260, L = 34, B = 24, T = 8, n = Math.max(days.length, 1), bw = (W - L - 4) / n;
  const y = (rate) => T + (H - T - B) * (1 - rate);
  const svg = mk("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "传输率图" });
  for (const g of [0, 0.5, 1]) {
    svg.append(mk("line", { x1: L, x2: W, y1: y(g), y2: y(g), stroke: "#e3e7ec" }));
    const t = mk("text", { x: L - 4, y: y(g) + 4, "text-anchor": "end", "font-size": 11, fill: "#5c6675" }); t.textContent = g * 100 + "%"; svg.append(t);
  }
  days.forEach((day, i) => {
    const x = day.destinations[dest] || {};
    const rate = x.rate;
    const bx = L + i * bw + 1;
    if (rate === null || rate === undefined) {
      svg.append(mk("rect", { x: bx, y: y(0) - 2, width: Math.max(bw - 2, 1), height: 2, fill: "#c5ccd6" }));
    } else {
      svg.append(mk("rect", { x: bx, y: y(rate), width: Math.max(bw - 2, 1), height: y(0) - y(rate),
                              fill: rate >= r.required_rate ? "#2e9e53" : "#d64545", "data-day": day.day }));
    }
    if (i % 5 === 0 || i === days.length - 1) {
      const t = mk("text", { x: bx + bw / 2, y: H - 8, "text-anchor": "middle", "font-size": 10, fill: "#5c6675" });
      t.textContent = day.day.slice(4, 6) + "-" + day.day.slice(6); svg.append(t);
    }
  });
  svg.append(mk("line", { x1: L, x2: W, y1: y(r.required_rate), y2: y(r.required_rate), stroke: "#c62828", "stroke-width": 1.5, "stroke-dasharray": "5 3", class: "line95" }));
  const t = mk("text", { x: L + 4, y: y(r.required_rate) - 4, "text-anchor": "start", "font-size": 12, fill: "#c62828" });
  t.textContent = "95%"; svg.append(t);
  return svg;
}

/* ------------------------------------------------------------------ smoke */
async function loadSmoke() {
  const r = await api("/api/smoke?page=" + S.smokePage);
  $("smoke-total").textContent = "共 " + r.total + " 条";
  $("smoke-page").textContent = " " + r.page + " / " + r.pages + " ";
  $("smoke-prev").disabled = r.page <= 1;
  $("smoke-next").disabled = r.page >= r.pages;
  fill($("smoke-list"), r.events.length ? r.events.map(recordCard) : el("p", { class: "muted", text: "没有黑烟车记录" }));
}
$("smoke-prev").addEventListener("click", () => { S.smokePage--; loadSmoke().catch((e) => banner(e.message)); });
$("smoke-next").addEventListener("click", () => { S.smokePage++; loadSmoke().catch((e) => banner(e.message)); });

/* ------------------------------------------------------------------ registration and verification */
async function loadLedger() {
  if (!S.forms) {
    S.forms = await api("/api/forms");
    buildForm($("register-fields"), S.forms.vehicle, "reg");
    buildForm($("verify-fields"), S.forms.exceed_verification, "ver");
  }
}
function buildForm(node, fields, prefix) {
  fill(node, fields.map((f) => {
    let input;
    const id = prefix + "-" + f.name;
    if (f.options) {
      input = el("select", { id, name: f.name, required: f.required },
        el("option", { value: "", text: "请选择" }), f.options.map((o) => el("option", { value: o.code, text: o.code + " " + o.name })));
    } else if (f.type === "media") {
      input = el("input", { id, name: f.name, type: "file", accept: "image/jpeg,image/*", capture: "environment", required: f.required });
    } else {
      input = el("input", { id, name: f.name, maxlength: f.max || null, required: f.required,
        placeholder: f.format === "date" ? "YYYYMMDD" : f.format === "datetime" ? "YYYY-MM-DD HH:mm:ss" : "" });
    }
    return el("label", {}, el("span", { class: f.required ? "req" : "", text: f.label }), input);
  }));
}
function readFile(file) {
  return new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve(fr.result);
    fr.onerror = () => reject(new Error("读取照片失败"));
    fr.readAsDataURL(file);
  });
}
async function formValues(form) {
  const out = {};
  for (const input of form.querySelectorAll("input, select")) {
    if (!input.name) continue;
    if (input.type === "file") { if (input.files[0]) out[input.name] = await readFile(input.files[0]); }
    else if (input.value.trim()) out[input.name] = input.value.trim();
  }
  return out;
}
$("register-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("register-result");
  try {
    const entry = await formValues($("register-form"));
    await act("/api/register", { entry });
    out.textContent = "✔ 已登记 " + (entry.licensePlate || "");
    out.className = "small good";
  } catch (e) { out.textContent = "✖ " + e.message; out.className = "small low"; }
});
$("verify-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("verify-result");
  try {
    await act("/api/verify-exceed", await formValues($("verify-form")));
    out.textContent = "✔ 核实结果已提交";
    out.className = "small good";
  } catch (e) { out.textContent = "✖ " + e.message; out.className = "small low"; }
});

/* ------------------------------------------------------------------ platform and health */
async function loadPlatform() {
  const p = await api("/api/platform");
  const link = p.link || {}, cache = p.cache || {}, cred = p.credentials || {};
  kv($("platform-info"), [
    ["平台", (p.destinations || []).join("、")],
    ["注册", cred.registered || link.registered ? "✔ 已注册" + (cred.registered_at ? "（" + cred.registered_at + "）" : "") : "✖ 未注册"],
    ["凭证（apiKey / apiSecret）", cred.registered ? (cred.api_key_set && cred.api_secret_set ? "已获取（不显示）" : "不完整") : "—"],
    ["最近心跳", link.heartbeat_at || "—"],
    ["最近同步", link.sync_at || "—"],
    ["同步结果", link.sync ? JSON.stringify(link.sync) : "—"],
    ["超标车辆名单", cache.exceed_active !== undefined ? cache.exceed_active + " 辆（共 " + cache.exceed + " 条）" : (cache.exceed !== undefined ? cache.exceed + " 辆" : "—")],
    ["管控策略", cache.strategy !== undefined ? cache.strategy + " 条" : (cache.strategies !== undefined ? cache.strategies + " 条" : "—")],
    ["违规通行报警", cache.alarm !== undefined ? cache.alarm + " 条" : (cache.alarms !== undefined ? cache.alarms + " 条" : "—")],
    link.hj212_status ? ["HJ 212 状态上报", link.hj212_status + "（" + (link.hj212_status_at || "") + "）"] : null,
    p.role ? ["站点角色", p.role] : null,
  ]);
  const list = cache.strategies_in_force || [];
  fill($("strategies"), list.length ? list.map((s) => el("li", {},
    el("b", { class: "tag level-" + (s.pollutionLevel || 0), text: LEVEL_WORDS[s.pollutionLevel] || "预警" }),
    el("span", { text: (s.strategyName || "") + " " + (s.controlMeasures || "") }),
    el("time", { text: (s.startdate || "") + " ~ " + (s.enddate || "") }))) : el("li", { class: "muted", text: "当前无生效的管控策略" }));
}
async function loadHealth() {
  const h = await api("/api/health");
  const b = h.board || {};
  const t = b.cpu_temp || {}, dk = b.disk || {}, w = b.wear || {}, ts = b.time_sync || {}, m = b.memory || {};
  kv($("health-info"), [
    ["CPU 温度", t.celsius !== null && t.celsius !== undefined ? t.celsius + " °C" : "未知（" + (t.note || "") + "）"],
    ["存储", dk.total_bytes ? bytes(dk.used_bytes) + " / " + bytes(dk.total_bytes) + "（已用 " + dk.used_pct + "%）" : "—"],
    ["闪存寿命", w.life_used_pct ? "已用 " + w.life_used_pct.type_a + " / " + w.life_used_pct.type_b + (w.pre_eol ? "，" + w.pre_eol : "") : "未知（" + (w.note || "") + "）"],
    ["系统运行", duration(b.uptime_s)],
    ["车道程序运行", duration(h.uptime_s)],
    ["负载", b.load ? b.load.join(" / ") + "（" + b.cpus + " 核）" : "—"],
    ["内存可用", m.available_bytes ? bytes(m.available_bytes) + " / " + bytes(m.total_bytes) : "—"],
    ["时间同步", ts.synchronised === true ? "✔ 已同步（" + ts.source + "）" : ts.synchronised === false ? "✖ 未同步：" + ts.note : "未知（" + ts.note + "）"],
    ["待上传", h.outbox ? h.outbox.pending + " 条，拒收 " + h.outbox.rejected + " 条" : "—"],
    h.lane_down ? ["车道程序", "✖ " + h.lane_down] : null,
  ]);
  kv($("health-cameras"), Object.entries(h.cameras || {}).map(([n, c]) => [n,
    (c.connected === false || c.stale ? "✖ 断开 " : "✔ 正常 ") + (c.fps ? c.fps.toFixed(1) + " fps，" : "") + "画面 " + ago(c.last_frame_age_s) + (c.url ? "，" + c.url : "")]));
  kv($("health-jobs"), (h.jobs || []).map((j) => [j, (h.restarts && h.restarts[j]) ? "重启 " + h.restarts[j] + " 次" : "正常"]));
}

boot().catch((e) => banner("无法连接车道板：" + e.message));
