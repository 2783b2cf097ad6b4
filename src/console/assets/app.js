// Proofline review console. Every piece of text from briefs and models is
// put on the page with textContent (through el()); nothing here builds markup
// from strings.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

const TOKEN_KEY = "proofline.review.token";
const CHANNELS = {
  email: "Email",
  linkedin_connection: "LinkedIn connect",
  linkedin_message: "LinkedIn message",
  landing_page: "Landing page",
  call_script: "Call script",
};
const CHECKS = { grounding: "Grounding", red_line: "Red line", tone: "Tone" };
const STATUS = {
  pending_review: ["Pending review", "warn"],
  approved: ["Approved", "ok"],
  auto_approved: ["Auto-sent", "ok"],
  rejected: ["Rejected", "bad"],
  superseded: ["Superseded", ""],
};
const SUGGESTIONS = ["Use a softer CTA", "Remove the competitor mention", "Don't mention hiring", "Make it shorter", "Cite the proof point verbatim"];

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  reviewer: "",
  reasons: [],
  items: [],
  nextToken: "",
  current: null, // the DraftView shown
  focusFinding: -1,
  busy: false,
};

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

async function api(path, options = {}) {
  const headers = { authorization: `Bearer ${state.token}` };
  if (options.body) headers["content-type"] = "application/json";
  const res = await fetch(path, { ...options, headers });
  let body = null;
  try { body = await res.json(); } catch (_) { /* empty body */ }
  if (res.status === 401) {
    signOut("Your token was not accepted.");
    throw new ApiError(401, body);
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

let toastTimer = 0;
function toast(message, bad) {
  const t = $("toast");
  t.textContent = message;
  t.className = bad ? "toast bad" : "toast";
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, bad ? 6000 : 2500);
}

function age(seconds) {
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

function reasonLabel(code) {
  return code.replace(/^blocking_finding_/, "blocking: ").replaceAll("_", " ");
}

// ---- sign in -------------------------------------------------------------

function signOut(message) {
  state.token = "";
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").focus();
}

async function signIn() {
  try {
    const me = await api("/console/api/me");
    state.reviewer = me.reviewer;
    state.reasons = me.reject_reasons;
    $("whoami").textContent = me.reviewer;
    $("login").hidden = true;
    $("app").hidden = false;
    await loadQueue({ keepCurrent: false });
  } catch (e) {
    if (e.status !== 401) $("login-error").textContent = e.message;
  }
}

// ---- queue ---------------------------------------------------------------

function filterParams() {
  const p = new URLSearchParams();
  for (const [id, name] of [["f-reason", "reason"], ["f-check", "check"], ["f-channel", "channel"], ["f-tier", "tier"], ["f-account", "account"]]) {
    const v = $(id).value.trim();
    if (v) p.set(name, v);
  }
  const a = $("f-age").value;
  if (a) {
    const [kind, secs] = a.split(":");
    p.set(kind === "min" ? "min_age" : "max_age", secs);
  }
  return p;
}

function fillCounts(select, counts, labeler, allLabel) {
  const chosen = select.value;
  clear(select);
  select.append(el("option", { value: "" }, allLabel));
  const seen = new Set();
  for (const [key, n] of counts) {
    seen.add(key);
    select.append(el("option", { value: key }, `${labeler(key)} (${n})`));
  }
  if (chosen && !seen.has(chosen)) select.append(el("option", { value: chosen }, `${labeler(chosen)} (0)`));
  select.value = chosen;
}

async function loadQueue({ keepCurrent = true, append = false } = {}) {
  const p = filterParams();
  if (append && state.nextToken) p.set("page_token", state.nextToken);
  const page = await api(`/console/api/queue?${p}`);
  state.items = append ? state.items.concat(page.items) : page.items;
  state.nextToken = page.next_page_token;
  $("total").textContent = page.total;
  fillCounts($("f-reason"), page.reason_counts, reasonLabel, "All reasons");
  fillCounts($("f-check"), page.check_counts, (k) => CHECKS[k] || k, "Any check");
  renderQueue();
  const current = state.current && state.current.draft.draft_id;
  if (!keepCurrent || !current) {
    if (state.items.length) await openDraft(state.items[0].draft_id);
    else showEmpty();
  }
}

function renderQueue() {
  const list = clear($("queue-list"));
  const current = state.current && state.current.draft.draft_id;
  for (const item of state.items) {
    const blocking = item.blocking_count > 0;
    list.append(el("li", {
      class: item.draft_id === current ? "active" : "",
      dataset: { draftId: item.draft_id },
      onclick: () => openDraft(item.draft_id),
    },
      el("div", { class: "q-top" },
        el("span", { class: "q-name" }, item.account_name || item.account_id),
        el("span", { class: "q-age", title: item.created_at }, age(item.age_seconds))),
      el("div", { class: "q-sub" },
        el("span", { class: "tag" }, CHANNELS[item.channel] || item.channel),
        item.tier ? el("span", { class: "tag" }, `tier ${item.tier}`) : null,
        item.finding_count ? el("span", { class: blocking ? "tag bad" : "tag warn" }, `${item.finding_count} finding${item.finding_count > 1 ? "s" : ""}`) : null,
        item.version > 1 ? el("span", { class: "tag" }, `v${item.version}`) : null),
      el("div", { class: "q-preview" }, item.preview)));
  }
  $("more").hidden = !state.nextToken;
}

function showEmpty() {
  state.current = null;
  $("view").hidden = true;
  $("context").hidden = true;
  $("empty").hidden = false;
  setActionsEnabled(false);
  renderQueue();
}

function setActionsEnabled(on) {
  const pending = on && state.current && state.current.draft.status === "pending_review";
  for (const id of ["a-approve", "a-reject", "a-regen", "a-edit"]) $(id).disabled = !pending || state.busy;
  $("a-next").disabled = state.busy;
}

// ---- draft view ----------------------------------------------------------

async function openDraft(id) {
  const view = await api(`/console/api/drafts/${encodeURIComponent(id)}`);
  state.current = view;
  state.focusFinding = -1;
  renderDraft(view);
  renderQueue();
  const active = document.querySelector("#queue-list li.active");
  if (active) active.scrollIntoView({ block: "nearest" });
}

function renderSegments(container, segments, findings) {
  clear(container);
  for (const seg of segments) {
    if (!seg.findings.length) {
      container.append(document.createTextNode(seg.text));
      continue;
    }
    const blocking = seg.findings.some((i) => findings[i].severity === "blocking");
    container.append(el("mark", {
      class: blocking ? "finding blocking" : "finding",
      dataset: { findings: seg.findings.join(",") },
      title: seg.findings.map((i) => findings[i].message).join("\n"),
      onclick: () => focusFinding(seg.findings[0]),
    }, seg.text));
  }
}

function renderDraft(v) {
  const d = v.draft;
  const brief = v.brief || {};
  $("empty").hidden = true;
  $("view").hidden = false;
  $("context").hidden = false;
  $("d-account").textContent = brief.account_name || d.account_id;
  const meta = [CHANNELS[d.channel] || d.channel];
  if (brief.tier) meta.push(`tier ${brief.tier}`);
  if (brief.industry) meta.push(brief.industry);
  if (brief.persona) meta.push(brief.persona);
  meta.push(`v${d.version}`);
  $("d-meta").textContent = meta.join(" · ");
  const [label, cls] = STATUS[d.status] || [d.status, ""];
  clear($("d-status")).append(el("span", { class: `tag ${cls}` }, label));

  const reasons = clear($("d-reasons"));
  for (const r of d.reasons) {
    reasons.append(el("li", { class: r.code.startsWith("blocking") ? "tag bad" : "tag", title: r.detail }, reasonLabel(r.code)));
  }

  const hasSubject = d.text.subject !== undefined && d.text.subject !== null;
  $("d-subject-row").hidden = !hasSubject;
  renderSegments($("d-subject"), v.subject_segments, d.findings);
  renderSegments($("d-body"), v.body_segments, d.findings);

  $("d-finding-count").textContent = d.findings.length ? `(${d.findings.length})` : "";
  const list = clear($("d-findings"));
  if (!d.findings.length) list.append(el("li", { class: "none" }, "No findings."));
  d.findings.forEach((f, i) => {
    const blocking = f.severity === "blocking";
    list.append(el("li", {
      class: blocking ? "blocking" : "",
      dataset: { index: i },
      onmouseenter: () => highlight(i, true),
      onmouseleave: () => highlight(i, false),
      onclick: () => focusFinding(i),
    },
      el("div", { class: "f-head" },
        el("span", { class: blocking ? "tag bad" : "tag warn" }, blocking ? "blocking" : "warning"),
        el("strong", {}, CHECKS[f.check] || f.check),
        el("span", { class: "f-rule" }, `${f.rule_id}@${f.rule_version}`)),
      el("div", { class: "f-msg" }, f.message),
      el("dl", { class: "f-pair" },
        el("dt", {}, "Text"), el("dd", {}, `“${f.excerpt}”`),
        f.evidence ? [el("dt", {}, "Evidence"), el("dd", {}, f.evidence)] : null,
        f.suggestion ? [el("dt", {}, "Try"), el("dd", {}, f.suggestion)] : null)));
  });
  renderContext(v);
  setActionsEnabled(true);
  $("draft").scrollTop = 0;
}

function renderDiff(container, segments) {
  for (const s of segments) {
    if (s.op === "insert") container.append(el("ins", {}, s.text));
    else if (s.op === "delete") container.append(el("del", {}, s.text));
    else container.append(document.createTextNode(s.text));
  }
}

function renderContext(v) {
  const diff = clear($("c-diff"));
  if (!v.baseline) {
    diff.append(el("p", { class: "none" }, "Nothing from this prompt version has been approved yet."));
  } else {
    const b = v.baseline;
    const box = el("div", { class: "diff" });
    if (b.diff.subject.some((s) => s.op !== "equal")) {
      box.append(el("strong", {}, "Subject: "));
      renderDiff(box, b.diff.subject);
      box.append("\n\n");
    }
    renderDiff(box, b.diff.body);
    diff.append(box, el("div", { class: "sub" }, `vs. ${b.account_id}, released ${b.released_at.slice(0, 16).replace("T", " ")}`));
  }

  const claims = clear($("c-claims"));
  if (v.claims.length) {
    claims.append(el("ul", { class: "claims" }, v.claims.map((c) => el("li", {},
      el("div", { class: "claim-text" }, c.text),
      el("div", { class: "src" },
        el("span", { class: c.supported ? "tag ok" : "tag bad" }, c.supported ? c.source_kind : "unsupported"), " ",
        c.source_text || "no source",
        c.source_url ? [" ", el("a", { href: c.source_url, target: "_blank", rel: "noopener noreferrer" }, "source")] : null)))));
  } else {
    claims.append(el("p", { class: "none" }, "No claim log (offline draft). Facts it may use:"));
  }
  if (v.sources.length) {
    claims.append(el("ul", { class: "sources" }, v.sources.map((s) => el("li", {},
      el("span", { class: "tag" }, s.kind), " ", s.text,
      s.url ? el("div", { class: "src" }, /^https?:\/\//.test(s.url)
        ? el("a", { href: s.url, target: "_blank", rel: "noopener noreferrer" }, s.url)
        : s.url) : null))));
  }

  const vars = clear($("c-vars"));
  for (const x of v.variables) vars.append(el("dt", {}, x.name), el("dd", {}, x.value));
  const items = clear($("c-items"));
  if (!v.items.length) items.append(el("li", { class: "none" }, "none recorded"));
  for (const i of v.items) items.append(el("li", {}, `${i.kind} ${i.id}@${i.version}`));
  const lineage = v.draft.lineage;
  items.append(el("li", {}, `library ${lineage.library_commit}`), el("li", {}, `generator ${lineage.generator.kind}${lineage.generator.model ? " " + lineage.generator.model : ""}`));

  const hist = clear($("c-history"));
  if (!v.history.length) hist.append(el("li", { class: "none" }, "No decisions yet."));
  for (const h of v.history) {
    const what = { approve: "approved", reject: "rejected", regenerate: "asked to regenerate", edit: "edited" }[h.kind] || h.kind;
    const extra = h.instruction ? `: “${h.instruction}”` : h.reason_code ? ` (${h.reason_code.replaceAll("_", " ")})` : "";
    hist.append(el("li", {}, el("b", {}, h.reviewer), ` ${what}${extra} · ${h.decided_at.slice(0, 16).replace("T", " ")}`, h.comment ? el("div", { class: "sub" }, h.comment) : null));
  }
}

function highlight(i, on) {
  for (const m of document.querySelectorAll("mark.finding")) {
    if (m.dataset.findings.split(",").includes(String(i))) m.classList.toggle("focus", on);
  }
}

function focusFinding(i) {
  state.focusFinding = i;
  for (const li of document.querySelectorAll("#d-findings li")) li.classList.toggle("focus", li.dataset.index === String(i));
  for (const m of document.querySelectorAll("mark.finding")) m.classList.toggle("focus", m.dataset.findings.split(",").includes(String(i)));
  const li = document.querySelector(`#d-findings li[data-index="${i}"]`);
  if (li) li.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

// ---- decisions -----------------------------------------------------------

function neighbour(id, step) {
  const i = state.items.findIndex((x) => x.draft_id === id);
  if (i < 0) return state.items[0];
  return state.items[i + step];
}

async function decide(body) {
  const v = state.current;
  if (!v || state.busy) return;
  const id = v.draft.draft_id;
  const after = neighbour(id, 1) || neighbour(id, -1);
  state.busy = true;
  setActionsEnabled(true);
  try {
    const out = await api(`/console/api/drafts/${encodeURIComponent(id)}/decide`, {
      method: "POST",
      body: JSON.stringify({ decision_id: newId(), ...body }),
    });
    const name = (v.brief && v.brief.account_name) || v.draft.account_id;
    const nd = out.new_draft;
    if (body.action === "approve") toast(`Approved · ${name}`);
    else if (body.action === "reject") toast(`Rejected · ${name}`);
    else if (nd && nd.status === "auto_approved") toast(`v${nd.version} passed every check and was auto-sent`);
    else if (nd) toast(`v${nd.version} is ready for review`);
    state.items = state.items.filter((x) => x.draft_id !== id);
    state.busy = false;
    if (nd && nd.status === "pending_review") {
      await openDraft(nd.draft_id);
      await loadQueue({ keepCurrent: true });
    } else {
      state.current = null;
      await loadQueue({ keepCurrent: true });
      const next = after && state.items.find((x) => x.draft_id === after.draft_id);
      if (next) await openDraft(next.draft_id);
      else if (state.items.length) await openDraft(state.items[0].draft_id);
      else showEmpty();
    }
  } catch (e) {
    state.busy = false;
    toast(e.message, true);
    if (e.status === 409) await loadQueue({ keepCurrent: false });
  } finally {
    state.busy = false;
    setActionsEnabled(!!state.current);
  }
}

function approve() {
  if (!$("a-approve").disabled) decide({ action: "approve" });
}

function openReject() {
  if ($("a-reject").disabled) return;
  const box = clear($("reject-reasons"));
  state.reasons.forEach((r, i) => {
    box.append(el("label", {},
      el("input", { type: "radio", name: "reason", value: r.code, required: true }),
      el("kbd", {}, String(i + 1)), r.label));
  });
  $("reject-comment").value = "";
  $("reject-dialog").returnValue = "";
  $("reject-dialog").showModal();
}

function openRegen() {
  if ($("a-regen").disabled) return;
  $("regen-instruction").value = "";
  const box = clear($("regen-suggestions"));
  for (const s of SUGGESTIONS) {
    box.append(el("button", { type: "button", onclick: () => { $("regen-instruction").value = s; $("regen-instruction").focus(); } }, s));
  }
  $("regen-dialog").returnValue = "";
  $("regen-dialog").showModal();
  $("regen-instruction").focus();
}

function openEdit() {
  if ($("a-edit").disabled) return;
  const t = state.current.draft.text;
  const hasSubject = t.subject !== undefined && t.subject !== null;
  $("edit-subject").hidden = !hasSubject;
  $("edit-subject-label").hidden = !hasSubject;
  $("edit-subject").value = t.subject || "";
  $("edit-body").value = t.body;
  $("edit-dialog").returnValue = "";
  $("edit-dialog").showModal();
  $("edit-body").focus();
}

async function next(step = 1) {
  if (!state.items.length) return;
  const id = state.current && state.current.draft.draft_id;
  const target = id ? neighbour(id, step) : state.items[0];
  if (target) await openDraft(target.draft_id);
  else if (step > 0 && state.nextToken) {
    await loadQueue({ append: true });
    const more = neighbour(id, 1);
    if (more) await openDraft(more.draft_id);
  } else toast(step > 0 ? "That was the last draft in the queue" : "That was the first draft");
}

// ---- wiring --------------------------------------------------------------

function anyDialogOpen() {
  return !!document.querySelector("dialog[open]");
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || $("app").hidden) return;
  const dialog = document.querySelector("dialog[open]");
  if (dialog && dialog.id === "reject-dialog" && /^[1-9]$/.test(e.key) && e.target.tagName !== "TEXTAREA") {
    const radios = dialog.querySelectorAll("input[name=reason]");
    const r = radios[Number(e.key) - 1];
    if (r) { r.checked = true; r.focus(); e.preventDefault(); }
    return;
  }
  if (dialog && dialog.id === "reject-dialog" && e.key === "Enter" && e.target.tagName !== "TEXTAREA" && e.target.tagName !== "BUTTON") {
    e.preventDefault();
    $("reject-submit").click();
    return;
  }
  if (dialog) return;
  const tag = e.target.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
  const actions = { a: approve, r: openReject, g: openRegen, e: openEdit, n: () => next(1), j: () => next(1), k: () => next(-1), "?": () => $("help-dialog").showModal() };
  if (e.key === "f" && state.current && state.current.draft.findings.length) {
    focusFinding((state.focusFinding + 1) % state.current.draft.findings.length);
    e.preventDefault();
    return;
  }
  const fn = actions[e.key];
  if (fn) { e.preventDefault(); fn(); }
}

function init() {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = $("token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $("login-error").textContent = "";
    signIn();
  });
  $("logout").addEventListener("click", () => signOut());
  $("help-btn").addEventListener("click", () => $("help-dialog").showModal());
  $("a-approve").addEventListener("click", approve);
  $("a-reject").addEventListener("click", openReject);
  $("a-regen").addEventListener("click", openRegen);
  $("a-edit").addEventListener("click", openEdit);
  $("a-next").addEventListener("click", () => next(1));
  $("more").addEventListener("click", () => loadQueue({ append: true }));
  let debounce = 0;
  $("filters").addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => loadQueue({ keepCurrent: false }).catch((e) => toast(e.message, true)), 200);
  });
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("reject-dialog").addEventListener("close", () => {
    if ($("reject-dialog").returnValue !== "ok") return;
    const chosen = document.querySelector("#reject-reasons input:checked");
    if (chosen) decide({ action: "reject", reason_code: chosen.value, comment: $("reject-comment").value });
  });
  $("regen-dialog").addEventListener("close", () => {
    const instruction = $("regen-instruction").value.trim();
    if ($("regen-dialog").returnValue === "ok" && instruction) decide({ action: "regenerate", instruction });
  });
  $("edit-dialog").addEventListener("close", () => {
    if ($("edit-dialog").returnValue !== "ok") return;
    const body = { action: "edit", body: $("edit-body").value };
    if (!$("edit-subject").hidden) body.subject = $("edit-subject").value;
    decide(body);
  });
  document.addEventListener("keydown", onKey);
  // Keep counts fresh while the tab is visible.
  setInterval(() => {
    if (!document.hidden && state.token && !$("app").hidden && !anyDialogOpen() && !state.busy) {
      loadQueue({ keepCurrent: true }).catch(() => {});
    }
  }, 15000);
  if (state.token) signIn();
  else signOut();
}

document.addEventListener("DOMContentLoaded", init);
