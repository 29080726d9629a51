/* The gateway's console: one page, calling the API's own routes with the key the user signed in with.

   - Keys live in sessionStorage only (this tab's session) and go out only as the Authorization header.
     A platform key serves Records and Charts, an operator key the On-call view; a 401 forgets that key
     and asks for it again; Sign out forgets both.
   - Every URL is relative to the page (document.baseURI), so the console works behind API Gateway's
     stage prefix (/api/console calls /api/v1/...).
   - Everything from the API is rendered as text (textContent), never as markup.
*/
"use strict";
(() => {
  const STRINGS = window.CONSOLE_STRINGS;
  const KEY_STORE = {platform: "console.platformKey", operator: "console.operatorKey"};
  const LANG_STORE = "console.lang";
  const STATUSES = ["pending", "submitted", "intercepted", "returned", "failed", "cancel_requested", "cancelled",
                    "needs_attention"];
  const REFUND_STATUSES = ["awaiting_result", "refund_auto", "refund_agreed", "refund_refused", "refund_timeout",
                           "arbitration", "refund_paid_upfront", "refund_partial", "with_after_sale"];
  const DECISIONS = ["agree", "refuse", "arbitrate", "partial_refund"];
  //: the records a cancel can still act on (chalicelib/domain/lifecycle.py: before a carrier result)
  const CANCELLABLE = ["pending", "submitted"];
  const DAY_MS = 86400000;
  const PER_DAY_CALLS_AT_ONCE = 4;

  const $ = (selector) => document.querySelector(selector);

  // -- language -------------------------------------------------------------------------------------

  let lang = sessionStorage.getItem(LANG_STORE) ||
    ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");

  function t(key, values) {
    const text = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? String(values[name]) : ""));
  }

  function applyLanguage() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const select of document.querySelectorAll("select[data-options]")) fillOptions(select);
    rerender();
  }

  function fillOptions(select) {
    const kind = select.dataset.options;
    const values = {status: STATUSES, refund: REFUND_STATUSES, decision: DECISIONS}[kind];
    const chosen = select.value;
    const options = kind === "decision" ? [] : [option("", t("search.any"))];
    for (const value of values) options.push(option(value, label(kind, value)));
    select.replaceChildren(...options);
    if (chosen) select.value = chosen;
  }

  function label(kind, value) {
    if (value === null || value === undefined || value === "") return "";
    const key = `${kind}.${value}`;
    const text = t(key);
    return text === key ? String(value) : text;
  }

  // -- DOM helpers: text only -------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (name === "class") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node[name] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function option(value, text) { return el("option", {value, textContent: text}); }

  function rows(table, items, cells) {
    const body = table.querySelector("tbody");
    if (!items.length) {
      const width = table.querySelectorAll("thead th").length;
      body.replaceChildren(el("tr", {}, el("td", {colSpan: width, class: "empty", textContent: t("record.none")})));
      return;
    }
    body.replaceChildren(...items.map((item) => el("tr", {}, ...cells(item).map((cell) => el("td", {}, cell)))));
  }

  function definitions(list, pairs) {
    const nodes = [];
    for (const [term, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      nodes.push(el("dt", {textContent: term}), el("dd", {}, value));
    }
    list.replaceChildren(...nodes);
  }

  function badge(kind, value) { return el("span", {class: `badge ${kind}-${value}`, textContent: label(kind, value)}); }

  function when(iso) {
    if (!iso) return "";
    const moment = new Date(iso);
    return Number.isNaN(moment.getTime()) ? String(iso) : moment.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB");
  }

  function fen(amount) { return amount === null || amount === undefined ? "" : `¥${(amount / 100).toFixed(2)}`; }

  function showError(target, error) {
    if (!error) { target.textContent = ""; return; }
    const fields = (error.fields || []).map((field) => `${field.field}: ${field.problem}`);
    const reasons = (error.reasons || []).map((reason) => `${reason.code}: ${reason.message}`);
    target.textContent = [`${t("error")}: ${error.message}`, ...fields, ...reasons].join(" · ");
  }

  // -- the API ----------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || `HTTP ${status}`);
      this.status = status;
      this.code = error.code;
      this.fields = error.fields;
      this.reasons = error.reasons;
    }
  }

  class SignInNeeded extends Error {
    constructor(kind, message) { super(message || ""); this.kind = kind; }
  }

  const keyOf = (kind) => sessionStorage.getItem(KEY_STORE[kind]);

  async function call(kind, method, path, body) {
    const key = keyOf(kind);
    if (!key) throw new SignInNeeded(kind);
    const headers = {Authorization: `Bearer ${key}`, Accept: "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(new URL(path, document.baseURI), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", redirect: "error"});
    const answer = await response.json().catch(() => null);
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORE[kind]);
      throw new SignInNeeded(kind, t("signin.expired"));
    }
    if (!response.ok) throw new ApiError(response.status, answer);
    return answer;
  }

  const segment = encodeURIComponent;

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== "" && value != null) search.set(name, value);
    const text = search.toString();
    return text ? `?${text}` : "";
  }

  // -- views and routing --------------------------------------------------------------------------------

  const SECTIONS = ["sign-in", "records", "record", "charts", "oncall"];
  //: which key a view needs
  const VIEWS = {records: "platform", record: "platform", charts: "platform", oncall: "operator"};
  let view = {name: "records", arg: null};
  let pendingSignIn = null;

  function show(section) {
    for (const name of SECTIONS) $(`#${name}`).hidden = name !== section;
    for (const name of ["records", "charts", "oncall"]) {
      $(`#nav-${name}`).classList.toggle("current", section === name || (section === "record" && name === "records"));
    }
    $("#sign-out").hidden = !keyOf("platform") && !keyOf("operator");
  }

  function parseHash() {
    const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
    if (name === "record" && rest.length) return {name: "record", arg: decodeURIComponent(rest.join("/"))};
    return {name: VIEWS[name] ? name : "records", arg: null};
  }

  async function route() {
    view = parseHash();
    $("#notice").textContent = "";
    try {
      if (!keyOf(VIEWS[view.name])) throw new SignInNeeded(VIEWS[view.name]);
      show(view.name);
      await OPEN[view.name](view.arg);
    } catch (error) {
      handle(error, null);
    }
  }

  function handle(error, target) {
    if (error instanceof SignInNeeded) return signIn(error.kind, error.message);
    if (target) return showError(target, error);
    $("#notice").textContent = `${t("error")}: ${error.message}`;
  }

  function signIn(kind, message) {
    pendingSignIn = kind;
    show("sign-in");
    $("#sign-in-title").dataset.i18n = `signin.title.${kind}`;
    $("#sign-in-title").textContent = t(`signin.title.${kind}`);
    $("#sign-in-error").textContent = message || "";
    $("#sign-in-key").value = "";
    $("#sign-in-key").focus();
  }

  async function submitSignIn(event) {
    event.preventDefault();
    const kind = pendingSignIn || "platform";
    const key = $("#sign-in-key").value.trim();
    $("#sign-in-key").value = "";
    if (!key) return;
    sessionStorage.setItem(KEY_STORE[kind], key);
    try {  // a cheap read tells a key the gateway knows from one it does not
      await call(kind, "GET", kind === "operator" ? "v1/operations/carriers" : "v1/intercepts?limit=1");
    } catch (error) {
      sessionStorage.removeItem(KEY_STORE[kind]);
      if (error instanceof SignInNeeded) return signIn(kind, t("signin.refused"));
      return signIn(kind, error.status === 404 && kind === "operator" ? t("signin.no_operations") : error.message);
    }
    pendingSignIn = null;
    if (VIEWS[parseHash().name] !== kind) location.hash = kind === "operator" ? "#/oncall" : "#/records";
    else route();
  }

  function signOut() {
    for (const name of Object.values(KEY_STORE)) sessionStorage.removeItem(name);
    for (const chart of Object.values(charts)) chart.destroy();
    charts = {};
    record = null;
    $("#results tbody").replaceChildren();
    signIn(VIEWS[parseHash().name]);
  }

  // -- records: search --------------------------------------------------------------------------------

  const SEARCH_FIELDS = ["status", "refund_status", "carrier", "merchant_id", "after_sale_id", "tracking_no"];
  let found = [];
  let nextCursor = null;

  function searchParams() {
    const params = {};
    for (const name of SEARCH_FIELDS) params[name] = $(`#q-${name}`).value.trim();
    for (const name of ["created_from", "created_to"]) {
      const value = $(`#q-${name}`).value;  // the browser's local time, sent as UTC
      params[name] = value ? new Date(value).toISOString() : "";
    }
    return params;
  }

  async function search(more) {
    const target = $("#search-error");
    showError(target, null);
    const params = searchParams();
    if (more) params.cursor = nextCursor;
    try {
      const page = await call("platform", "GET", `v1/intercepts${query({...params, limit: 50})}`);
      found = more ? found.concat(page.items) : page.items;
      nextCursor = page.next_cursor;
      renderResults();
    } catch (error) {
      handle(error, target);
    }
  }

  function renderResults() {
    rows($("#results"), found, (item) => [
      when(item.created_at),
      el("a", {href: `#/record/${segment(item.id)}`, textContent: item.id, class: "record-link"}),
      item.merchant_id, item.carrier, item.tracking_no, badge("status", item.status),
      badge("refund", item.refund_status)]);
    $("#results-count").textContent = t("search.count", {n: found.length});
    $("#search-more").hidden = !nextCursor;
  }

  // -- records: one record ------------------------------------------------------------------------------

  let record = null;
  let deliveries = [];

  async function openRecord(id) {
    showError($("#record-error"), null);
    $("#action-result").textContent = "";
    if (!record || record.id !== id) { record = null; deliveries = []; renderRecord(); }
    try {
      const [loaded, sent] = await Promise.all([
        call("platform", "GET", `v1/intercepts/${segment(id)}`),
        call("platform", "GET", `v1/intercepts/${segment(id)}/webhook-deliveries`)]);
      record = loaded;
      deliveries = sent.items || [];
      renderRecord();
    } catch (error) {
      handle(error, $("#record-error"));
    }
  }

  function renderRecord() {
    $("#record-title").textContent = record ? t("record.title", {id: record.id}) : t("loading");
    if (!record) return;
    const r = record;
    definitions($("#record-summary"), [
      [t("col.status"), badge("status", r.status)], [t("col.merchant_id"), r.merchant_id],
      [t("field.order_id"), r.order_id], [t("field.after_sale_id"), r.after_sale_id], [t("col.carrier"), r.carrier],
      [t("col.tracking_no"), r.tracking_no], [t("col.created_at"), when(r.created_at)],
      [t("field.result_at"), when(r.result_at)], [t("field.result_reason"), r.result_reason],
      [t("field.returned_at"), when(r.returned_at)], [t("field.last_error"), r.last_error],
      [t("field.carrier_cancel"), r.carrier_cancel]]);
    definitions($("#record-refund"), [
      [t("col.refund_status"), badge("refund", r.refund_status)], [t("field.refund_mode"), r.refund_mode],
      [t("field.refund_amount"), fen(r.refund_amount)], [t("field.refund_partial_amount"), fen(r.refund_partial_amount)],
      [t("field.refund_decided_at"), when(r.refund_decided_at)],
      [t("field.fee_quote"), r.fee_quote ? fen(r.fee_quote.amount) : null],
      [t("field.fee"), r.fee ? fen(r.fee.amount) : null]]);
    definitions($("#record-deadlines"), Object.entries(r.deadlines || {}).map(([name, iso]) => [
      t(`deadline.${name}`), el("span", {}, when(iso), " ", el("span", {class: "countdown", dataset: {deadline: iso}}))]));
    tickCountdowns();
    rows($("#record-events"), r.events || [], (event) => [
      when(event.at), event.source,
      event.to_refund_status
        ? `${label("refund", event.from_refund_status)} → ${label("refund", event.to_refund_status)}`
        : `${event.from_status ? label("status", event.from_status) + " → " : ""}${label("status", event.to_status)}`,
      event.reason]);
    rows($("#record-tracking"), r.tracking || [], (scan) => [when(scan.at), scan.stage, scan.code, scan.text, scan.location]);
    rows($("#record-deliveries"), deliveries, (delivery) => {
      const last = (delivery.attempts_log || []).slice(-1)[0];
      return [when(delivery.created_at), delivery.type, delivery.status, delivery.attempts,
              last ? [last.status_code, last.error].filter((part) => part !== undefined && part !== null).join(" ") : "",
              when(delivery.finished_at || delivery.next_attempt_at)];
    });
    rows($("#record-claims"), r.claims || [], (claim) => [claim.id, fen(claim.amount), claim.description, claim.status,
      claim.status === "open" ? el("span", {}, ...["paid", "rejected"].map((status) => el("button", {
        type: "button", class: `resolve-${status}`, textContent: t(`action.resolve_${status}`),
        onclick: () => act(t("confirm.resolve", {claim: claim.id, status: t(`action.resolve_${status}`)}),
          "POST", `v1/intercepts/${segment(r.id)}/claims/${segment(claim.id)}/resolution`, {status})}))) : ""]);
    $("#cancel-form").hidden = !CANCELLABLE.includes(r.status);
  }

  function tickCountdowns() {
    for (const node of document.querySelectorAll(".countdown")) {
      if (record && record.refund_status !== "awaiting_result") {
        node.textContent = t("deadline.stopped", {status: label("refund", record.refund_status)});
        continue;
      }
      const left = new Date(node.dataset.deadline).getTime() - Date.now();
      node.textContent = t(left >= 0 ? "deadline.left" : "deadline.passed", {time: duration(Math.abs(left))});
      node.classList.toggle("late", left < 0);
    }
  }

  function duration(ms) {
    const seconds = Math.floor(ms / 1000);
    const days = Math.floor(seconds / 86400);
    const clock = [Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60]
      .map((part) => String(part).padStart(2, "0")).join(":");
    return days ? `${days}d ${clock}` : clock;
  }

  const confirmDialog = {
    resolve: null,
    ask(text) {
      $("#confirm-text").textContent = text;
      $("#confirm").showModal();
      return new Promise((resolve) => { this.resolve = resolve; });
    },
    answer(yes) {
      if ($("#confirm").open) $("#confirm").close();
      if (this.resolve) this.resolve(yes);
      this.resolve = null;
    },
  };

  async function act(question, method, path, body) {
    const target = $("#action-result");
    target.textContent = "";
    if (!(await confirmDialog.ask(question))) return;
    try {
      await call("platform", method, path, body);
      target.textContent = t("action.done");
      await openRecord(record.id);
      target.textContent = t("action.done");
    } catch (error) {
      handle(error, target);
    }
  }

  function submitCancel(event) {
    event.preventDefault();
    act(t("confirm.cancel", {id: record.id}), "POST", `v1/intercepts/${segment(record.id)}/cancel`,
        {reason: $("#cancel-reason").value.trim()});
  }

  function submitRefund(event) {
    event.preventDefault();
    const decision = $("#refund-decision").value;
    const body = {decision, note: $("#refund-note").value.trim()};
    if (decision === "partial_refund") body.amount = Number($("#refund-amount").value);
    act(t("confirm.refund", {id: record.id, decision: label("decision", decision)}), "POST",
        `v1/intercepts/${segment(record.id)}/refund-decision`, body);
  }

  function submitClaim(event) {
    event.preventDefault();
    const amount = Number($("#claim-amount").value);
    act(t("confirm.claim", {id: record.id, amount: fen(amount)}), "POST", `v1/intercepts/${segment(record.id)}/claims`,
        {amount, description: $("#claim-description").value.trim()});
  }

  // -- charts -------------------------------------------------------------------------------------------

  let charts = {};
  let figures = null;  // {series: [{from, to, total, by_carrier}], totals, perDayCalls}

  const utcDay = (text) => new Date(`${text}T00:00:00Z`);
  const dayText = (date) => date.toISOString().slice(0, 10);

  /** The range's figures per UTC day: the metrics route's `series` (interval=day) where the gateway
      has it; otherwise one call per day of the range. */
  async function dailyFigures(merchant, first, last) {
    const path = (from, to, extra) => `v1/merchants/${segment(merchant)}/metrics${query({
      from: from.toISOString(), to: to.toISOString(), ...extra})}`;
    const end = new Date(last.getTime() + DAY_MS);
    try {
      const answer = await call("platform", "GET", path(first, end, {interval: "day"}));
      if (Array.isArray(answer.series)) return {series: answer.series, totals: answer, perDayCalls: 0};
    } catch (error) {
      const aboutInterval = error instanceof ApiError && error.status === 400 &&
        (error.fields || []).some((field) => field.field === "interval");
      if (!aboutInterval || (error.fields || []).length > 1) throw error;
    }
    const days = [];
    for (let day = first; day < end; day = new Date(day.getTime() + DAY_MS)) days.push(day);
    const series = new Array(days.length);
    let next = 0;
    const worker = async () => {
      while (next < days.length) {
        const index = next++;
        const answer = await call("platform", "GET", path(days[index], new Date(days[index].getTime() + DAY_MS)));
        series[index] = {from: answer.from, to: answer.to, total: answer.total, by_carrier: answer.by_carrier};
      }
    };
    const [totals] = await Promise.all([call("platform", "GET", path(first, end)),
      ...Array.from({length: Math.min(PER_DAY_CALLS_AT_ONCE, days.length)}, worker)]);
    return {series, totals, perDayCalls: days.length};
  }

  async function showCharts(event) {
    if (event) event.preventDefault();
    const target = $("#charts-error");
    showError(target, null);
    const merchant = $("#c-merchant_id").value.trim();
    const first = utcDay($("#c-from").value), last = utcDay($("#c-to").value);
    if (!merchant || Number.isNaN(first.getTime()) || Number.isNaN(last.getTime())) return;
    sessionStorage.setItem("console.chartsMerchant", merchant);
    try {
      figures = await dailyFigures(merchant, first, last);
      renderCharts();
    } catch (error) {
      handle(error, target);
    }
  }

  function openCharts() {
    if (!$("#c-to").value) {
      const today = new Date();
      $("#c-to").value = dayText(today);
      $("#c-from").value = dayText(new Date(today.getTime() - 13 * DAY_MS));
    }
    if (!$("#c-merchant_id").value) $("#c-merchant_id").value = sessionStorage.getItem("console.chartsMerchant") || "";
    if ($("#c-merchant_id").value) return showCharts();
  }

  function renderCharts() {
    if (!figures || !window.Chart) return;
    const {series, totals, perDayCalls} = figures;
    const carriers = Object.keys(totals.by_carrier || {}).sort();
    const select = $("#c-carrier");
    const chosen = carriers.includes(select.value) ? select.value : "";
    select.replaceChildren(option("", t("charts.all")), ...carriers.map((code) => option(code, code)));
    select.value = chosen;
    const of = (entry) => (chosen ? (entry.by_carrier || {})[chosen] : entry.total) || {};
    const labels = series.map((entry) => entry.from.slice(0, 10));
    const percent = (value) => (value === null || value === undefined ? null : Math.round(value * 10000) / 100);

    $("#charts-note").textContent = perDayCalls ? t("charts.per_day_calls", {n: perDayCalls}) : "";
    const total = chosen ? (totals.by_carrier || {})[chosen] || {} : totals.total || {};
    definitions($("#charts-totals"), [
      [t("charts.intercepts"), total.intercepts ?? 0],
      [t("charts.success_rate"), total.success_rate == null ? "–" : `${percent(total.success_rate)}`],
      [t("charts.return"), total.return_rate == null ? "–" : `${percent(total.return_rate)}`],
      [t("charts.median"), total.median_seconds_to_result ?? "–"],
      [t("charts.fees"), total.fees_fen === undefined ? null : fen(total.fees_fen)]]);

    const successCarriers = chosen ? [chosen] : carriers;
    draw("chart-success", "line", labels, successCarriers.map((code) => ({
      label: code, data: series.map((entry) => percent(((entry.by_carrier || {})[code] || {}).success_rate))})),
      {y: {min: 0, max: 100}});
    const reasons = [...new Set(series.flatMap((entry) => Object.keys(of(entry).failure_reasons || {})))].sort();
    draw("chart-failures", "bar", labels, reasons.map((reason) => ({
      label: reason, data: series.map((entry) => (of(entry).failure_reasons || {})[reason] || 0)})),
      {x: {stacked: true}, y: {stacked: true, beginAtZero: true}});
    draw("chart-return", "line", labels, [{label: t("charts.return"),
      data: series.map((entry) => percent(of(entry).return_rate))}], {y: {min: 0, max: 100}});
    draw("chart-median", "line", labels, [{label: t("charts.median"),
      data: series.map((entry) => of(entry).median_seconds_to_result ?? null)}], {y: {beginAtZero: true}});
    const withFees = series.some((entry) => of(entry).fees_fen !== undefined);
    $("#chart-fees-note").hidden = withFees;
    draw("chart-fees", "bar", labels, withFees ? [{label: t("charts.fees"),
      data: series.map((entry) => (of(entry).fees_fen ?? 0) / 100)}] : [], {y: {beginAtZero: true}});
  }

  function draw(id, type, labels, datasets, scales) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new window.Chart($(`#${id}`), {
      type, data: {labels, datasets: datasets.map((set) => ({spanGaps: true, pointRadius: 4, ...set}))},
      options: {animation: false, responsive: true, maintainAspectRatio: false, scales,
                plugins: {legend: {display: datasets.length > 0}}}});
  }

  // -- on-call (operator key) ---------------------------------------------------------------------------

  let attention = [];
  let attentionCursor = null;

  async function openOncall() {
    const target = $("#oncall-error");
    showError(target, null);
    try {
      const [carriers, queues, endpoints] = await Promise.all([
        call("operator", "GET", "v1/operations/carriers"),
        call("operator", "GET", "v1/operations/queues"),
        call("operator", "GET", "v1/operations/webhook-endpoints")]);
      rows($("#oncall-carriers"), carriers.carriers, (item) => [item.carrier, badge("breaker", item.breaker.state),
        item.breaker.consecutive_failures, when(item.breaker.open_until)]);
      rows($("#oncall-queues"), queues.queues, (queue) => [queue.name, queue.depth, queue.in_flight,
        queue.dead_letter.name, queue.dead_letter.depth,
        queue.dead_letter.depth > 0 ? el("button", {type: "button", class: "redrive", textContent: t("oncall.redrive"),
          onclick: () => redrive(queue.name)}) : ""]);
      rows($("#oncall-webhooks"), endpoints.endpoints, (endpoint) => [endpoint.platform_id, endpoint.url,
        t(endpoint.enabled ? "yes" : "no"), endpoint.disabled_reason, endpoint.failing_deliveries,
        when(endpoint.last_failure_at), endpoint.last_error]);
      await loadAttention(false);
    } catch (error) {
      handle(error, target);
    }
  }

  async function loadAttention(more) {
    const page = await call("operator", "GET", `v1/operations/intercepts${query({
      status: "needs_attention", limit: 50, cursor: more ? attentionCursor : ""})}`);
    attention = more ? attention.concat(page.items) : page.items;
    attentionCursor = page.next_cursor;
    rows($("#oncall-attention"), attention, (item) => [when(item.updated_at), item.platform_id, item.id, item.merchant_id,
      item.carrier, item.tracking_no, item.last_error]);
    $("#oncall-attention-more").hidden = !attentionCursor;
  }

  async function redrive(queue) {
    const target = $("#oncall-redrive-result");
    target.textContent = "";
    if (!(await confirmDialog.ask(t("confirm.redrive", {queue})))) return;
    try {
      const moved = await call("operator", "POST", `v1/operations/queues/${segment(queue)}/redrive`, {});
      await openOncall();
      target.textContent = t("oncall.moved", {n: moved.moved, queue: moved.queue, dropped: moved.dropped ?? 0,
        left: moved.left ?? 0});
    } catch (error) {
      handle(error, target);
    }
  }

  // -- wiring -------------------------------------------------------------------------------------------

  const OPEN = {records: async () => { if (!found.length) await search(false); }, record: openRecord,
                charts: openCharts, oncall: openOncall};

  function rerender() {
    if (view.name === "records") renderResults();
    if (view.name === "record") renderRecord();
    if (view.name === "charts") renderCharts();
    if (view.name === "oncall" && keyOf("operator")) openOncall();
  }

  function start() {
    $("#sign-in-form").addEventListener("submit", submitSignIn);
    $("#sign-out").addEventListener("click", signOut);
    $("#lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      sessionStorage.setItem(LANG_STORE, lang);
      applyLanguage();
    });
    $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); search(false); });
    $("#search-more").addEventListener("click", () => search(true));
    $("#cancel-form").addEventListener("submit", submitCancel);
    $("#refund-form").addEventListener("submit", submitRefund);
    $("#claim-form").addEventListener("submit", submitClaim);
    $("#charts-form").addEventListener("submit", showCharts);
    $("#c-carrier").addEventListener("change", renderCharts);
    $("#oncall-refresh").addEventListener("click", openOncall);
    $("#oncall-attention-more").addEventListener("click", () => loadAttention(true).catch((e) => handle(e, $("#oncall-error"))));
    $("#confirm-ok").addEventListener("click", () => confirmDialog.answer(true));
    $("#confirm-back").addEventListener("click", () => confirmDialog.answer(false));
    $("#confirm").addEventListener("close", () => confirmDialog.answer(false));
    window.addEventListener("hashchange", route);
    setInterval(tickCountdowns, 1000);
    applyLanguage();
    route();
  }

  start();
})();
