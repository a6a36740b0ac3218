/* Postback Hub dashboard: small vanilla JavaScript over server-rendered pages.
 *
 * Pages work without it (links and forms); it adds the live card's refresh, the drawers,
 * the Add source wizard and the Edit drawer, which call the same JSON API as scripts do,
 * authenticated by the session cookie plus its CSRF token.
 */
(() => {
  "use strict";

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const csrfToken = () => $('meta[name="csrf-token"]')?.content || "";

  // -- talking to the server ----------------------------------------------------------------

  async function api(method, url, body) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      return { ok: false, status: 0, data: { error: { message: "The hub cannot be reached. Check your connection.", fields: {} } } };
    }
    if (response.status === 401) signInAgain();
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = { error: { message: `The hub answered ${response.status}.`, fields: {} } };
    }
    return { ok: response.ok, status: response.status, data };
  }

  async function fragment(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (response.redirected && new URL(response.url).pathname === "/login") signInAgain();
    return { ok: response.ok && !response.redirected, status: response.status, html: await response.text() };
  }

  /** The session has ended (signed out elsewhere, expired, password reset): sign in
   * again and come back here. */
  function signInAgain() {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }

  // -- small helpers ------------------------------------------------------------------------

  let toastTimer;
  function toast(message) {
    const box = $("#toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 2500);
  }

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  const timeFormats = {
    time: { hour: "2-digit", minute: "2-digit", second: "2-digit" },
    date: { year: "numeric", month: "short", day: "numeric" },
    datetime: { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" },
  };

  function relative(date) {
    const seconds = Math.round((Date.now() - date.getTime()) / 1000);
    const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
    if (Math.abs(seconds) < 60) return format.format(-seconds, "second");
    if (Math.abs(seconds) < 3600) return format.format(-Math.round(seconds / 60), "minute");
    if (Math.abs(seconds) < 86400) return format.format(-Math.round(seconds / 3600), "hour");
    return format.format(-Math.round(seconds / 86400), "day");
  }

  /** Times arrive in UTC; show them in the reader's own zone, keeping UTC in the tooltip. */
  function localizeTimes(root = document) {
    for (const node of $$("time[data-local]", root)) {
      const date = new Date(node.getAttribute("datetime"));
      if (Number.isNaN(date.getTime())) continue;
      node.title = date.toISOString().replace(".000Z", "Z");
      const kind = node.dataset.local;
      node.textContent = kind === "relative" ? relative(date) : date.toLocaleString(undefined, timeFormats[kind] || timeFormats.datetime);
    }
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      const area = element("textarea", { "aria-hidden": "true" });
      area.style.position = "fixed";
      area.style.opacity = "0";
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    toast("Copied");
  }

  // -- dialogs ------------------------------------------------------------------------------

  function openDialog(dialog) {
    if (!dialog.open) dialog.showModal();
  }

  function wireDialogs() {
    document.addEventListener("click", (event) => {
      const opener = event.target.closest("[data-open-dialog]");
      if (opener) {
        event.preventDefault();
        const dialog = document.getElementById(opener.dataset.openDialog);
        if (dialog) openDialog(dialog);
        return;
      }
      const closer = event.target.closest("[data-close]");
      if (closer) closer.closest("dialog")?.close();
      const copier = event.target.closest("[data-copy]");
      if (copier) {
        const source = $(copier.dataset.copy, copier.closest("dialog, .reveal, section, body") || document) || $(copier.dataset.copy);
        if (source) copy(source.value !== undefined && source.tagName === "INPUT" ? source.value : source.textContent.trim());
      }
    });
    // A click on the backdrop (outside the dialog's box) closes it, as Esc does.
    for (const dialog of $$("dialog")) {
      dialog.addEventListener("click", (event) => {
        if (event.target !== dialog) return;
        const box = dialog.getBoundingClientRect();
        const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
        if (!inside) dialog.close();
      });
    }
    for (const dialog of $$("dialog[data-open-on-load]")) openDialog(dialog);
  }

  function wireForms() {
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
    });
    document.addEventListener("change", (event) => {
      if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
    });
  }

  // -- the live card ------------------------------------------------------------------------

  /** Refreshes every N seconds while the tab is visible; a hidden tab pauses it, and
   * coming back refreshes at once. */
  function wireLiveCard() {
    let card = $("#live-card");
    if (!card) return;
    const seconds = Number(card.dataset.refreshSeconds) || 45;
    let timer = null;
    let busy = false;

    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, seconds * 1000);
    };

    async function refresh() {
      if (document.visibilityState !== "visible" || busy) return;
      busy = true;
      const url = new URL(`/postbacks/live${location.search}`, location.origin);
      url.searchParams.set("window", card.dataset.window);
      try {
        const answer = await fragment(url);
        const holder = element("div");
        holder.innerHTML = answer.html;
        const fresh = holder.firstElementChild;
        if (fresh && fresh.id === "live-card") {
          card.replaceWith(fresh);
          card = fresh;
          localizeTimes(card);
        }
        if (!answer.ok) setState("The database cannot be read; retrying.");
      } catch (error) {
        setState("Offline; retrying.");
      } finally {
        busy = false;
        if (document.visibilityState === "visible") schedule();
      }
    }

    function setState(text) {
      const state = $("[data-refresh-state]", card);
      if (state) state.textContent = text;
    }

    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        refresh();
      } else {
        clearTimeout(timer);
        setState("paused while this tab is hidden");
      }
    });
    if (document.visibilityState === "visible") schedule();
    else setState("paused while this tab is hidden");
  }

  // -- the conversions table and its drawer -------------------------------------------------

  function wireConversions() {
    const table = $("#conversions");
    const drawer = $("#conversion-drawer");
    if (!table || !drawer) return;
    let opener = null;

    async function show(row) {
      $$("tr.selected", table).forEach((r) => r.classList.remove("selected"));
      row.classList.add("selected");
      opener = row;
      const body = $("[data-drawer-body]", drawer);
      body.replaceChildren(element("p", { class: "waiting muted", text: "Loading…" }));
      openDialog(drawer);
      const answer = await fragment(row.dataset.conversion);
      if (answer.ok) {
        body.innerHTML = answer.html;
        localizeTimes(body);
      } else {
        body.replaceChildren(
          element("header", { class: "drawer-head" }, element("h2", { id: "drawer-title", text: "Conversion" }), element("button", { class: "icon", type: "button", "data-close": true, "aria-label": "Close", text: "✕" })),
          element("div", { class: "banner banner-error", role: "alert", text: "This conversion could not be loaded. Try again in a moment." }),
        );
      }
      $("[data-close]", body)?.focus();
    }

    table.addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-conversion]");
      if (row && !event.target.closest("a, button")) show(row);
    });
    table.addEventListener("keydown", (event) => {
      const row = event.target.closest("tr[data-conversion]");
      if (!row) return;
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        show(row);
      } else if (event.key === "ArrowDown" || event.key === "j") {
        event.preventDefault();
        row.nextElementSibling?.focus();
      } else if (event.key === "ArrowUp" || event.key === "k") {
        event.preventDefault();
        row.previousElementSibling?.focus();
      }
    });
    drawer.addEventListener("close", () => opener?.focus());
  }

  // -- forms that talk to the JSON API -------------------------------------------------------

  function clearErrors(form) {
    $$("[data-error-for]", form).forEach((node) => { node.textContent = ""; });
    $$("[aria-invalid]", form).forEach((node) => node.removeAttribute("aria-invalid"));
    $$(".banner-error[data-form-error]", form).forEach((node) => node.remove());
  }

  /** A text as a sentence: capital first letter, closing full stop. */
  function sentence(text) {
    const trimmed = String(text ?? "").trim();
    const capital = `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}`;
    return /[.!?]$/.test(capital) ? capital : `${capital}.`;
  }

  /** How the form names a field: the words of its label, else its name in words. */
  function fieldLabel(slot, name) {
    const first = slot.closest("label")?.firstChild;
    const words = first && first.nodeType === Node.TEXT_NODE ? first.textContent.trim() : "";
    return words || sentence(name.replace(/_/g, " ")).slice(0, -1);
  }

  /** The API's sentences about a field name it by its JSON key; the form says its label. */
  function fieldText(messages, name, label) {
    return [].concat(messages).map((message) => {
      const text = String(message ?? "");
      const named = text.startsWith(`${name} `) || text.startsWith(`${name}:`);
      return named ? `${label}${text.slice(name.length)}` : text;
    }).join(" ");
  }

  /** Show an API error beside its fields; on top of the form, what has no field here. */
  function showErrors(form, data) {
    const error = (data && data.error) || { message: "Something went wrong.", fields: {} };
    let placed = false;
    const elsewhere = [];
    for (const [name, messages] of Object.entries(error.fields || {})) {
      const slot = $(`[data-error-for="${CSS.escape(name)}"]`, form);
      if (!slot) {
        elsewhere.push(fieldText(messages, name, sentence(name.replace(/_/g, " ")).slice(0, -1)));
        continue;
      }
      slot.textContent = fieldText(messages, name, fieldLabel(slot, name));
      const input = $(`[name="${CSS.escape(name)}"]`, form);
      if (input) input.setAttribute("aria-invalid", "true");
      placed = true;
    }
    const banner = element("div", { class: "banner banner-error", role: "alert", "data-form-error": true });
    const message = error.message || "Something went wrong.";
    banner.textContent = placed ? [...elsewhere, "Fix the fields marked below."].join(" ") : sentence(message);
    form.prepend(banner);
    ($("[aria-invalid]", form) || banner).focus?.();
  }

  function busy(form, on) {
    for (const button of $$("button[type=submit]", form)) button.disabled = on;
  }

  /** The source fields of a form, as the API takes them; blanks become null. */
  function sourceFields(form) {
    const value = (name) => form.elements[name]?.value.trim() ?? "";
    const data = { name: value("name") };
    if (form.elements.state) data.state = form.elements.state.value;
    for (const name of ["platform", "offer_url", "outbound_target_url", "default_currency"]) {
      if (form.elements[name]) data[name] = value(name) || null;
    }
    if (form.elements.rate_limit_per_minute) {
      const limit = value("rate_limit_per_minute");
      data.rate_limit_per_minute = limit === "" ? null : Number(limit);
    }
    if (form.elements.attribution_window_days) data.attribution_window_days = Number(value("attribution_window_days") || 30);
    return data;
  }

  function maps(form) {
    const fieldMap = {};
    for (const input of $$("[data-map-field]", form)) fieldMap[input.dataset.mapField] = input.value.trim();
    const eventMap = {};
    for (const row of $$("[data-event-row]", form)) {
      const label = $("[data-event-label]", row).value.trim();
      if (label) eventMap[label] = $("[data-event-value]", row).value;
    }
    return { field_map: fieldMap, event_map: eventMap };
  }

  function addEventRow(form, label = "", value = "registration") {
    const row = $("#event-row").content.firstElementChild.cloneNode(true);
    $("[data-event-label]", row).value = label;
    $("[data-event-value]", row).value = value;
    $("[data-event-rows]", form).append(row);
    return row;
  }

  function fillMaps(form, fieldMap = {}, eventMap = {}) {
    for (const input of $$("[data-map-field]", form)) input.value = fieldMap[input.dataset.mapField] || "";
    $("[data-event-rows]", form).replaceChildren();
    for (const [label, value] of Object.entries(eventMap)) addEventRow(form, label, value);
  }

  function fillSource(form, source) {
    for (const name of ["name", "state", "platform", "offer_url", "outbound_target_url", "rate_limit_per_minute", "attribution_window_days", "default_currency"]) {
      if (form.elements[name]) form.elements[name].value = source[name] ?? "";
    }
    fillMaps(form, source.field_map, source.event_map);
  }

  function wireMapSections(root) {
    root.addEventListener("click", (event) => {
      const add = event.target.closest("[data-add-event]");
      if (add) {
        const row = addEventRow(add.closest("form"));
        $("[data-event-label]", row).focus();
      }
      const remove = event.target.closest("[data-remove-event]");
      if (remove) remove.closest("[data-event-row]").remove();
    });
  }

  // -- the reveal modal ---------------------------------------------------------------------

  /** Secrets and URLs after a save or a rotation, each with a copy button. */
  function reveal(title, items, { secrets = true, then = () => location.reload() } = {}) {
    const dialog = $("#reveal");
    for (const open of $$("dialog[open]")) if (open !== dialog) open.close();
    $("#reveal-title", dialog).textContent = title;
    $("[data-reveal-warning]", dialog).hidden = !secrets;
    const list = $("[data-reveal-items]", dialog);
    list.replaceChildren();
    items.filter(([, value]) => value).forEach(([label, value, key], index) => {
      const id = `reveal-${index}`;
      list.append(
        element("div", { class: "secret-label", id: `${id}-label`, text: label }),
        element("div", { class: "secret-row" },
          element("input", { readonly: true, id, value, "aria-labelledby": `${id}-label`, "data-reveal": key }),
          element("button", { type: "button", "data-copy": `#${id}`, text: "Copy" })),
      );
    });
    for (const input of $$("input", list)) input.value = input.getAttribute("value");
    dialog.addEventListener("close", () => {
      list.replaceChildren();
      then();
    }, { once: true });
    openDialog(dialog);
  }

  function revealSource(title, urls, outboundSecret) {
    reveal(title, [
      ["Inbound token", urls.inbound_token, "inbound_token"],
      ["Outbound HMAC secret", outboundSecret, "outbound_secret"],
      ["Postback URL: paste it into the network's panel", urls.postback_url, "postback_url"],
      ["Track URL: send your traffic here", urls.track_url, "track_url"],
    ]);
  }

  // -- the Add source wizard ----------------------------------------------------------------

  function wireWizard() {
    const wizard = $("#wizard");
    if (!wizard) return;
    wireMapSections(wizard);
    const tabs = $$('[role="tab"]', wizard);

    function select(tab) {
      for (const other of tabs) {
        const selected = other === tab;
        other.setAttribute("aria-selected", String(selected));
        other.tabIndex = selected ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
      }
      tab.focus();
    }
    const selectNamed = (name, sourceName) => {
      select($(`#tab-${name}`, wizard));
      const input = $(`#panel-${name} [name=name]`, wizard);
      if (input && sourceName && !input.value) input.value = sourceName;
    };
    wizard.addEventListener("click", (event) => {
      const tab = event.target.closest('[role="tab"]');
      if (tab) select(tab);
      const go = event.target.closest("[data-go-tab]");
      if (go) selectNamed(go.dataset.goTab, $("[data-detect-form] [name=name]", wizard).value);
    });
    $(".tabs", wizard).addEventListener("keydown", (event) => {
      const index = tabs.indexOf(document.activeElement);
      if (index < 0) return;
      if (event.key === "ArrowRight") select(tabs[(index + 1) % tabs.length]);
      else if (event.key === "ArrowLeft") select(tabs[(index - 1 + tabs.length) % tabs.length]);
    });

    wireDetect(wizard);
    wireCapture(wizard);
    wireManual(wizard);
  }

  function mapTable(title, map) {
    const entries = Object.entries(map || {}).filter(([, value]) => value);
    if (!entries.length) return element("p", { class: "muted", text: `${title}: none.` });
    const body = element("tbody");
    for (const [key, value] of entries) body.append(element("tr", {}, element("td", { class: "mono", text: key }), element("td", { class: "mono", text: value })));
    return element("div", { class: "table-wrap" }, element("table", { class: "data", "aria-label": title },
      element("thead", {}, element("tr", {}, element("th", { text: title === "Field map" ? "Canonical field" : "Network label" }), element("th", { text: title === "Field map" ? "Network parameter" : "Canonical" }))), body));
  }

  // One row per field: the parameter that carries it (a select of the URL's parameters),
  // how sure detection is, and why; the operator confirms or corrects each before saving.
  // fieldMap names every mappable field, in order: it gives the rows.
  function confirmTable(fields, keys, fieldMap) {
    const body = element("tbody");
    for (const [name, param] of Object.entries(fieldMap)) {
      const reading = fields[name];
      const chosen = param || (reading && reading.param) || "";
      const select = element("select", { "aria-label": `Parameter for ${name}`, "data-confirm-field": name });
      select.append(element("option", { value: "", text: "— not sent —" }));
      for (const key of keys) select.append(element("option", { value: key, text: key, selected: key === chosen }));
      const sure = reading ? `${Math.round(reading.confidence * 100)} %` : "";
      const why = reading ? reading.reason + (reading.by === "reader" ? " (generic reader)" : "") : "";
      body.append(element("tr", { "data-field-row": name },
        element("th", { scope: "row", class: "mono", text: name }),
        element("td", {}, select),
        element("td", { class: "num", text: sure }),
        element("td", { class: "hint", text: why })));
    }
    return element("div", { class: "table-wrap" }, element("table", { class: "data confirm", "aria-label": "Field map" },
      element("thead", {}, element("tr", {},
        element("th", { scope: "col", text: "Canonical field" }),
        element("th", { scope: "col", text: "Network parameter" }),
        element("th", { scope: "col", text: "Sure" }),
        element("th", { scope: "col", text: "Why" }))), body));
  }

  function confirmedMap(root) {
    const map = {};
    for (const select of root.querySelectorAll("[data-confirm-field]")) map[select.dataset.confirmField] = select.value;
    return map;
  }

  function wireDetect(wizard) {
    const form = $("[data-detect-form]", wizard);
    const result = $("[data-detect-result]", wizard);
    let detection = null;

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      result.replaceChildren();
      busy(form, true);
      const body = { url: form.elements.url.value };
      if (form.elements.sample_postback.value.trim()) body.sample_postback = form.elements.sample_postback.value;
      const answer = await api("POST", "/api/v1/sources/detect", body);
      busy(form, false);
      if (!answer.ok) return showErrors(form, answer.data);
      detection = answer.data;
      render();
    });

    function preview(id) {
      const maps = detection.previews[id] || {};
      const candidate = detection.candidates.find((c) => c.id === id);
      const fields = candidate ? candidate.fields : detection.reader.fields;
      return element("div", { class: "stack", "data-preview": id }, confirmTable(fields, detection.keys, maps.field_map), mapTable("Event map", maps.event_map));
    }

    function agreeing(candidate) {
      if (!candidate.agreeing.length) return "";
      return ` It reads this URL exactly as ${candidate.agreeing.join(", ")} do.`;
    }

    function render() {
      const box = element("div", { class: "outcome", "data-outcome": detection.outcome });
      if (detection.decided_by_sample) box.append(element("p", { class: "hint", text: `Decided by the sample postback: ${detection.decided_by_sample}.` }));
      if (detection.outcome === "recognised") {
        const best = detection.candidates[0];
        box.append(
          element("p", {}, element("strong", { text: `Recognised: ${best.name}` }), ` (${best.id}).${agreeing(best)} Check each field below, then save to create the source.`),
          preview(best.id),
          element("div", { class: "form-actions" }, element("button", { class: "primary", type: "button", "data-save-detected": best.id, text: "Save" })),
        );
      } else if (detection.outcome === "ambiguous") {
        const noClick = detection.candidates.every((c) => !c.field_map.click_id);
        const lead = detection.candidates.length === 1
          ? [element("strong", { text: `${detection.candidates[0].name} fits this URL, but no parameter carries a click id.` }), " Conversions could not be tied to their clicks: add the network's click macro to the URL, or pick the parameter below."]
          : [element("strong", { text: "Several networks fit this URL." }), noClick ? " None finds a click id in it." : "", " Pick the right one, or map it by hand."];
        box.append(element("p", {}, ...lead));
        const group = element("div", { class: "stack", role: "radiogroup", "aria-label": "Candidates" });
        detection.candidates.forEach((candidate, index) => {
          const radio = element("input", { type: "radio", name: "candidate", value: candidate.id, checked: index === 0 });
          group.append(element("label", { class: "candidate" }, radio,
            element("span", {}, element("strong", { text: candidate.name }), ` ${candidate.id}`,
              element("br"), element("span", { class: "hint", text: detection.differences[index] || (candidate.reasons || []).slice(0, 2).join("; ") }))));
        });
        const holder = element("div", {}, preview(detection.candidates[0].id));
        group.addEventListener("change", (event) => holder.replaceChildren(preview(event.target.value)));
        box.append(group, holder, element("div", { class: "form-actions" },
          element("button", { type: "button", "data-go-tab": "manual", text: "Map it by hand" }),
          element("button", { class: "primary", type: "button", "data-save-detected": "", text: "Save with this network" })));
      } else if (Object.keys(detection.reader.field_map).length) {
        box.append(
          element("p", {}, element("strong", { text: "No signature knows this network," }), " so the hub read the URL's own words. Check each field below, then save."),
          element("p", { class: "muted", text: detection.ticket_id ? `Support ticket #${detection.ticket_id} lets an admin teach the hub this network.` : "" }),
          preview("generic"),
          element("div", { class: "form-actions" },
            element("button", { type: "button", "data-go-tab": "capture", text: "Capture a test postback" }),
            element("button", { class: "primary", type: "button", "data-save-detected": "generic", text: "Save" })),
        );
      } else {
        box.append(
          element("p", {}, element("strong", { text: "No signature recognises this URL, and none of its parameters says what it carries." }),
            detection.ticket_id ? ` We opened support ticket #${detection.ticket_id} so an admin can teach the hub this network.` : ""),
          element("p", { class: "muted", text: "Capture a real test postback to see what the network sends, or map the fields by hand." }),
          element("div", { class: "form-actions" },
            element("button", { type: "button", "data-go-tab": "capture", text: "Capture a test postback" }),
            element("button", { type: "button", "data-go-tab": "manual", text: "Map it by hand" })),
        );
      }
      result.replaceChildren(box);
      $("button, select", box)?.focus();
    }

    result.addEventListener("click", async (event) => {
      const save = event.target.closest("[data-save-detected]");
      if (!save) return;
      clearErrors(form);
      const chosen = save.dataset.saveDetected || $("input[name=candidate]:checked", result)?.value;
      const body = { name: form.elements.name.value.trim(), url: form.elements.url.value, field_map: confirmedMap(result) };
      if (form.elements.sample_postback.value.trim()) body.sample_postback = form.elements.sample_postback.value;
      if (detection.outcome === "ambiguous") body.signature_id = chosen;
      save.disabled = true;
      const answer = await api("POST", "/api/v1/sources/from-detection", body);
      save.disabled = false;
      if (!answer.ok) return showErrors(form, answer.data);
      revealSource(`${answer.data.name} is ready`, answer.data, answer.data.outbound_secret);
    });
  }

  function wireCapture(wizard) {
    const form = $("[data-capture-form]", wizard);
    const wait = $("[data-capture-wait]", wizard);
    const resultForm = $("[data-capture-result]", wizard);
    let source = null;
    let poller = null;

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      busy(form, true);
      if (!source) {
        const created = await api("POST", "/api/v1/sources", { name: form.elements.name.value.trim() });
        if (!created.ok) {
          busy(form, false);
          return showErrors(form, created.data);
        }
        source = created.data;
      }
      const started = await api("POST", `/api/v1/sources/${source.id}/capture`);
      busy(form, false);
      if (!started.ok) return showErrors(form, started.data);
      form.elements.name.readOnly = true;
      $("button[type=submit]", form).textContent = "New learn URL";
      $("[data-learn-url]", wait).value = started.data.learn_url;
      $("[data-capture-state]", wait).textContent = "Waiting for the test postback…";
      $("[data-capture-state]", wait).classList.add("waiting");
      wait.hidden = false;
      resultForm.hidden = true;
      poll();
    });

    function poll() {
      clearTimeout(poller);
      poller = setTimeout(async () => {
        if (!wizard.open) return;
        const answer = await api("GET", `/api/v1/sources/${source.id}/capture`);
        if (answer.ok && answer.data.state === "captured") return showCaptured(answer.data);
        if (answer.ok && answer.data.state === "expired") {
          const state = $("[data-capture-state]", wait);
          state.classList.remove("waiting");
          state.textContent = "The learn URL expired before a postback arrived. Generate a new one.";
          return;
        }
        poll();
      }, 1500);
    }
    wizard.addEventListener("close", () => clearTimeout(poller));

    function showCaptured(capture) {
      const state = $("[data-capture-state]", wait);
      state.classList.remove("waiting");
      state.textContent = "Test postback received.";
      const rows = $("[data-captured-params]", resultForm);
      rows.replaceChildren();
      for (const param of capture.params) {
        rows.append(element("tr", {}, element("td", { class: "mono", text: param.name }), element("td", { class: "mono break", text: param.value }), element("td", { text: param.shape || "—" })));
      }
      fillMaps(resultForm, capture.suggested_field_map, {});
      resultForm.hidden = false;
      $("[data-map-field]", resultForm).focus();
    }

    resultForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(resultForm);
      if (!source) return toast("Generate a learn URL and fire the network's test postback at it first.");
      busy(resultForm, true);
      const answer = await api("POST", `/api/v1/sources/${source.id}/capture/finalize`, maps(resultForm));
      if (!answer.ok) {
        busy(resultForm, false);
        return showErrors(resultForm, answer.data);
      }
      const urls = await api("GET", `/api/v1/sources/${source.id}/postback-url`);
      busy(resultForm, false);
      revealSource(`${answer.data.name} is ready`, urls.ok ? urls.data : {}, null);
    });
  }

  function wireManual(wizard) {
    const form = $("[data-manual-form]", wizard);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      busy(form, true);
      const body = { ...sourceFields(form), ...maps(form) };
      for (const key of Object.keys(body)) if (body[key] === null) delete body[key];
      const answer = await api("POST", "/api/v1/sources", body);
      busy(form, false);
      if (!answer.ok) return showErrors(form, answer.data);
      revealSource(`${answer.data.name} is ready`, answer.data, answer.data.outbound_secret);
    });
  }

  // -- the Edit drawer ----------------------------------------------------------------------

  function wireEditDrawer() {
    const drawer = $("#edit-drawer");
    if (!drawer) return;
    const form = $("[data-edit-form]", drawer);
    wireMapSections(drawer);
    let source = null;

    document.addEventListener("click", async (event) => {
      const button = event.target.closest("[data-edit-source]");
      if (!button) return;
      const answer = await api("GET", `/api/v1/sources/${button.dataset.editSource}`);
      if (!answer.ok) return toast(answer.data.error.message);
      source = answer.data;
      clearErrors(form);
      fillSource(form, source);
      $("#edit-title", drawer).textContent = `Edit ${source.name}`;
      $("[data-rotate-hmac]", drawer).hidden = !source.webhook_id;
      openDialog(drawer);
      form.elements.name.focus();
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      busy(form, true);
      const answer = await api("PATCH", `/api/v1/sources/${source.id}`, { ...sourceFields(form), ...maps(form) });
      if (!answer.ok) {
        busy(form, false);
        return showErrors(form, answer.data);
      }
      const urls = await api("GET", `/api/v1/sources/${source.id}/postback-url`);
      busy(form, false);
      drawer.close();
      revealSource(`${answer.data.name} is saved`, urls.ok ? urls.data : {}, answer.data.outbound_secret);
    });

    drawer.addEventListener("click", async (event) => {
      if (event.target.closest("[data-delete-source]")) {
        if (!window.confirm(`Delete ${source.name}? Its conversions go with it.`)) return;
        const answer = await api("DELETE", `/api/v1/sources/${source.id}`);
        if (!answer.ok && answer.status !== 204) return showErrors(form, answer.data);
        drawer.close();
        location.reload();
      } else if (event.target.closest("[data-show-urls]")) {
        const urls = await api("GET", `/api/v1/sources/${source.id}/postback-url`);
        if (!urls.ok) return toast(urls.data.error.message);
        drawer.close();
        reveal(`${source.name}: URLs`, [
          ["Postback URL", urls.data.postback_url, "postback_url"],
          ["Track URL", urls.data.track_url, "track_url"],
        ], { secrets: false });
      } else if (event.target.closest("[data-rotate-token]")) {
        if (!window.confirm(`Rotate the inbound token of ${source.name}? The old one keeps working for 72 hours.`)) return;
        const answer = await api("POST", `/api/v1/sources/${source.id}/rotate-token`, {});
        if (!answer.ok) return toast(answer.data.error.message);
        drawer.close();
        revealSource(`${source.name}: new inbound token`, answer.data, null);
      } else if (event.target.closest("[data-rotate-hmac]")) {
        if (!window.confirm(`Rotate the outbound HMAC secret of ${source.name}? The old one keeps signing for 72 hours.`)) return;
        const answer = await api("POST", `/api/v1/outbound-postbacks/${source.webhook_id}/rotate-secret`, { grace_hours: 72 });
        if (!answer.ok) return toast(answer.data.error.message);
        const urls = await api("GET", `/api/v1/sources/${source.id}/postback-url`);
        drawer.close();
        revealSource(`${source.name}: new outbound HMAC secret`, urls.ok ? urls.data : {}, answer.data.secret);
      }
    });
  }


  // -- outbound postbacks -------------------------------------------------------------------

  /** Read a form into the API's JSON by each field's data-kind. */
  function readKinds(form, { create }) {
    const data = {};
    for (const input of $$("[data-kind]:not([data-pairs])", form)) {
      if (input.closest("[hidden]") || (!create && input.closest("[data-create-only]"))) continue;
      const name = input.name;
      const kind = input.dataset.kind;
      const text = (input.value || "").trim();
      if (kind === "choice") {
        if (input.checked && text) data[name] = text;
      } else if (kind === "checks" || kind === "intchecks") {
        data[name] = data[name] || [];
        if (input.checked) data[name].push(kind === "intchecks" ? Number(input.value) : input.value);
      } else if (kind === "bool") {
        data[name] = input.checked;
      } else if (kind === "number") {
        if (text !== "") data[name] = Number(text);
      } else if (kind === "csv") {
        data[name] = text ? text.split(/[\s,]+/).filter(Boolean) : [];
      } else if (kind === "numbers") {
        data[name] = text ? text.split(/[\s,]+/).filter(Boolean).map(Number) : null;
      } else if (text !== "") {
        data[name] = text;
      } else if (!create && input.tagName !== "SELECT") {
        data[name] = null;
      }
    }
    for (const group of $$("[data-pairs]", form)) {
      const pairs = {};
      for (const row of $$("[data-pair]", group)) {
        const key = $("[data-pair-key]", row).value.trim();
        if (key) pairs[key] = $("[data-pair-value]", row).value;
      }
      data[group.dataset.pairs] = pairs;
    }
    return data;
  }

  function addPair(group, key = "", value = "") {
    const row = $("#pair-row").content.firstElementChild.cloneNode(true);
    $("[data-pair-key]", row).value = key;
    $("[data-pair-value]", row).value = value;
    group.append(row);
    return row;
  }

  function fillKinds(form, record) {
    for (const input of $$("[data-kind]:not([data-pairs])", form)) {
      const value = record[input.name];
      const kind = input.dataset.kind;
      if (kind === "choice") input.checked = (value ?? "") === input.value;
      else if (kind === "checks" || kind === "intchecks") input.checked = (value || []).map(String).includes(input.value);
      else if (kind === "bool") input.checked = Boolean(value);
      else if (kind === "csv" || kind === "numbers") input.value = (value || []).join(", ");
      else input.value = value ?? "";
    }
    for (const group of $$("[data-pairs]", form)) {
      group.replaceChildren();
      for (const [key, value] of Object.entries(record[group.dataset.pairs] || {})) addPair(group, key, value);
    }
  }

  function wireOutbound() {
    const drawer = $("#outbound-drawer");
    if (!drawer) return;
    const form = $("[data-outbound-form]", drawer);
    const blank = form.cloneNode(true);
    let editing = null;

    const showPreset = () => {
      const preset = editing ? null : $("input[name=preset]:checked", form)?.value ?? "";
      for (const group of $$("[data-preset-group]", form)) {
        group.hidden = editing ? !group.hasAttribute("data-template-fields") : group.dataset.presetGroup !== preset;
      }
      for (const part of $$("[data-create-only]", form)) part.hidden = Boolean(editing);
    };
    form.addEventListener("change", (event) => { if (event.target.matches("[data-preset]")) showPreset(); });
    form.addEventListener("click", (event) => {
      const add = event.target.closest("[data-add-pair]");
      if (add) $("[data-pair-key]", addPair($(`[data-pairs="${add.dataset.addPair}"]`, form))).focus();
      const remove = event.target.closest("[data-remove-pair]");
      if (remove) remove.closest("[data-pair]").remove();
    });

    const open = (record) => {
      editing = record;
      clearErrors(form);
      form.replaceChildren(...blank.cloneNode(true).childNodes);
      if (record) fillKinds(form, record);
      $("[data-disabled-hint]", form).hidden = record?.state !== "disabled";
      $("#outbound-title", drawer).textContent = record ? `Edit ${record.name}` : "New outbound postback";
      showPreset();
      openDialog(drawer);
      form.elements.name.focus();
    };

    document.addEventListener("click", async (event) => {
      if (event.target.closest("[data-new-outbound]")) return open(null);
      const edit = event.target.closest("[data-edit-outbound]");
      if (edit) {
        const answer = await api("GET", `/api/v1/outbound-postbacks/${edit.dataset.editOutbound}`);
        return answer.ok ? open(answer.data) : toast(answer.data.error.message);
      }
      const test = event.target.closest("[data-test-outbound]");
      if (test) return runTest(test);
      const rotate = event.target.closest("[data-rotate-outbound]");
      if (rotate) {
        if (!window.confirm("Rotate the signing secret? The old one also signs for 24 hours.")) return;
        const answer = await api("POST", `/api/v1/outbound-postbacks/${rotate.dataset.rotateOutbound}/rotate-secret`, {});
        if (!answer.ok) return toast(answer.data.error.message);
        return reveal(`${answer.data.name}: new signing secret`, [["Signing secret", answer.data.secret, "outbound_secret"]]);
      }
      const remove = event.target.closest("[data-delete-outbound]");
      if (remove) {
        if (!window.confirm("Delete this outbound postback and its delivery history?")) return;
        const answer = await api("DELETE", `/api/v1/outbound-postbacks/${remove.dataset.deleteOutbound}`);
        if (!answer.ok && answer.status !== 204) return toast(answer.data.error.message);
        location.assign("/outbound");
        return;
      }
      const replay = event.target.closest("[data-replay-delivery]");
      if (replay) {
        replay.disabled = true;
        const answer = await api("POST", `/api/v1/deliveries/${replay.dataset.replayDelivery}/replay`);
        if (!answer.ok) {
          replay.disabled = false;
          return toast(answer.data.error.message);
        }
        toast("Queued again");
        setTimeout(() => location.reload(), 600);
        return;
      }
      const endGrace = event.target.closest("[data-end-grace]");
      if (endGrace) {
        if (!window.confirm("Stop signing with the previous secret now? Receivers still on it start refusing deliveries.")) return;
        const answer = await api("POST", `/api/v1/outbound-postbacks/${endGrace.dataset.endGrace}/end-grace`);
        if (!answer.ok) return toast(answer.data.error.message);
        location.reload();
        return;
      }
      const probe = event.target.closest("[data-probe-outbound]");
      if (probe) {
        probe.disabled = true;
        const answer = await api("POST", `/api/v1/outbound-postbacks/${probe.dataset.probeOutbound}/probe`);
        if (!answer.ok) {
          probe.disabled = false;
          return toast(answer.data.error.message);
        }
        toast("The next delivery due goes now, as the probe");
        setTimeout(() => location.reload(), 600);
        return;
      }
      const replayDead = event.target.closest("[data-replay-dead]");
      if (replayDead) {
        const answer = await api("POST", `/api/v1/outbound-postbacks/${replayDead.dataset.replayDead}/replay-dead`);
        if (!answer.ok) return toast(answer.data.error.message);
        const { replayed, superseded } = answer.data;
        toast(
          `${replayed} dead deliveries queued again` +
            (superseded ? `; ${superseded} left dead, a later status already reached the receiver` : ""),
        );
        setTimeout(() => location.reload(), 600);
      }
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = readKinds(form, { create: !editing });
      if (!editing && body.preset === undefined) delete body.preset;
      busy(form, true);
      const answer = editing
        ? await api("PATCH", `/api/v1/outbound-postbacks/${editing.id}`, body)
        : await api("POST", "/api/v1/outbound-postbacks", body);
      busy(form, false);
      if (!answer.ok) return showErrors(form, answer.data);
      drawer.close();
      if (answer.data.secret) {
        reveal(`${answer.data.name} is ready`, [["Signing secret", answer.data.secret, "outbound_secret"]], {
          then: () => location.assign(`/outbound/${answer.data.id}`),
        });
      } else {
        location.assign(`/outbound/${answer.data.id}`);
      }
    });
  }

  async function runTest(button) {
    const panel = $("#test-result");
    const body = $("[data-test-body]", panel);
    panel.hidden = false;
    body.replaceChildren(element("p", { class: "waiting muted", text: "Sending a test conversion…" }));
    button.disabled = true;
    const answer = await api("POST", `/api/v1/outbound-postbacks/${button.dataset.testOutbound}/test`);
    button.disabled = false;
    if (!answer.ok) {
      body.replaceChildren(element("div", { class: "banner banner-error", role: "alert", text: answer.data.error.message }));
      return;
    }
    const result = answer.data;
    const request = result.request;
    const headers = Object.entries(request.headers || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
    const parts = [
      element("h3", { text: "Request" }),
      element("pre", { class: "raw", "data-test-request": true, text: `${request.method} ${request.url}\n${headers}${request.body ? `\n\n${request.body}` : ""}` }),
      element("h3", { text: "Response" }),
    ];
    if (result.response) {
      parts.push(element("p", {}, element("strong", { text: `HTTP ${result.response.status_code}` }), result.latency_ms != null ? ` in ${Math.round(result.latency_ms)} ms` : ""));
      parts.push(element("pre", { class: "raw", "data-test-response": true, text: result.response.body || "(empty body)" }));
    }
    if (result.error) parts.push(element("div", { class: "banner banner-error", role: "alert", text: result.error }));
    body.replaceChildren(...parts);
    panel.scrollIntoView({ block: "nearest" });
  }


  // -- Keitaro connections ------------------------------------------------------------------

  function wireKeitaro() {
    if (!$("[data-connection], [data-keitaro-form]")) return;
    const drawer = $("#keitaro-drawer");
    const form = drawer && $("[data-keitaro-form]", drawer);

    form?.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = readKinds(form, { create: true });
      busy(form, true);
      const answer = await api("POST", "/api/v1/keitaro/connections", body);
      busy(form, false);
      if (!answer.ok) return showErrors(form, answer.data);
      drawer.close();
      location.reload();
    });

    const say = (card, kind, text) => {
      $("[data-keitaro-result]", card).replaceChildren(element("div", { class: `banner banner-${kind}`, role: kind === "error" ? "alert" : "status", text }));
    };

    document.addEventListener("click", async (event) => {
      const button = event.target.closest("[data-keitaro-test], [data-keitaro-sync], [data-keitaro-forward], [data-keitaro-remove]");
      if (!button) return;
      const card = button.closest("[data-connection]");
      const id = card.dataset.connection;
      const base = `/api/v1/keitaro/connections/${id}`;
      if (button.dataset.keitaroRemove) {
        if (!window.confirm(`Remove the connection ${button.dataset.name}? Its imported clicks are deleted; conversions stay.`)) return;
        const answer = await api("DELETE", base);
        if (!answer.ok) return say(card, "error", answer.data.error.message);
        location.reload();
        return;
      }
      button.disabled = true;
      if (button.dataset.keitaroTest) {
        const answer = await api("POST", `${base}/test`);
        if (answer.ok) {
          const d = answer.data;
          say(card, d.warning ? "info" : "success", `Connected: ${d.campaigns} campaigns, tracker time zone ${d.tracker_timezone}.${d.warning ? ` ${d.warning}` : ""}`);
        } else {
          say(card, "error", answer.data.error.message);
        }
      } else if (button.dataset.keitaroSync) {
        const answer = await api("POST", `${base}/sync`);
        say(card, answer.ok ? "success" : "error", answer.ok ? "Click import and name refresh queued; this page shows their result once they have run." : answer.data.error.message);
      } else if (button.dataset.keitaroForward) {
        const answer = await api("POST", `${base}/forwarding`);
        if (answer.ok) {
          location.assign(`/outbound/${answer.data.id}`);
          return;
        }
        say(card, "error", answer.data.error.message);
      }
      button.disabled = false;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    localizeTimes();
    wireDialogs();
    wireForms();
    wireLiveCard();
    wireConversions();
    wireWizard();
    wireEditDrawer();
    wireOutbound();
    wireKeitaro();
  });
})();
