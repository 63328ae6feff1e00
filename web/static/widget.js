/* JIPPNas search widget. One tag on any site:
 *   <script src="https://HOST/widget.js" data-q="stunting" data-params="province=Jawa+Timur"
 *           data-size="5" data-lang="id" async></script>
 * Renders a search box and results from HOST's JSON API inside a Shadow DOM, so the host page's
 * CSS cannot reach in; themed with CSS custom properties (--jippnas-accent, --jippnas-font, ...)
 * that the host sets on any ancestor. No dependencies. HOST must list the page's origin in
 * JIPPNAS_CORS_ORIGINS. */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.src) return;
  const origin = new URL(script.src, document.baseURI).origin;
  const data = script.dataset;
  const lang = data.lang === "en" ? "en" : "id";
  const size = Math.min(Math.max(parseInt(data.size, 10) || 5, 1), 20);
  const fixed = new URLSearchParams(data.params || "");

  // The widget runs on other sites, so it carries its own few strings (the pages' live in web/i18n.py).
  const T = {
    id: { label: "Cari inovasi pelayanan publik", button: "Cari", placeholder: "mis. antrean KTP, sampah pasar",
          total: (n) => `${n.toLocaleString("id-ID")} inovasi`, all: "Lihat semua di JIPPNas",
          none: "Tidak ada inovasi yang cocok.", error: "Hasil tidak dapat dimuat.", loading: "Memuat…",
          newTab: "(tab baru)", other: "Lainnya" },
    en: { label: "Search public-service innovations", button: "Search", placeholder: "e.g. ID card queues, market waste",
          total: (n) => `${n.toLocaleString("en")} innovations`, all: "See all on JIPPNas",
          none: "No innovation matches.", error: "Results could not be loaded.", loading: "Loading…",
          newTab: "(new tab)", other: "Other" },
  }[lang];

  const CSS = `
    :host { all: initial; display: block; font-family: var(--jippnas-font, system-ui, sans-serif);
      font-size: var(--jippnas-font-size, 16px); line-height: 1.5; color: var(--jippnas-text, #1c2321); }
    * { box-sizing: border-box; }
    .box { background: var(--jippnas-bg, #fff); border: 1px solid var(--jippnas-border, #d9dfdd);
      border-radius: var(--jippnas-radius, 8px); padding: .8em 1em; }
    form { display: flex; flex-wrap: wrap; gap: .4em; }
    label { flex: 1 1 100%; font-weight: 600; }
    input { flex: 1 1 12em; min-width: 0; font: inherit; color: #1c2321; background: #fff;
      padding: .45em .6em; border: 1px solid #8a9592; border-radius: 6px; }
    button { font: inherit; cursor: pointer; border: 0; border-radius: 6px; padding: .45em 1em;
      background: var(--jippnas-accent, #0b5d55); color: var(--jippnas-accent-text, #fff); }
    :focus-visible { outline: 3px solid var(--jippnas-focus, #f0a500); outline-offset: 2px; }
    a { color: var(--jippnas-accent, #0b5d55); }
    .status { margin: .6em 0 0; color: var(--jippnas-muted, #5a6461); font-size: .9em; }
    .status a { margin-left: .6em; }
    ol { list-style: none; margin: .4em 0 0; padding: 0; }
    li { padding: .55em 0; border-top: 1px solid var(--jippnas-border, #d9dfdd); }
    .title { font-weight: 600; text-decoration: none; }
    .title:hover { text-decoration: underline; }
    .meta { margin: .1em 0 0; color: var(--jippnas-muted, #5a6461); font-size: .85em; }
    .snippet { margin: .2em 0 0; font-size: .92em; }
    mark { background: var(--jippnas-mark, #fff0a8); color: inherit; padding: 0 .1em; border-radius: 2px; }
    .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }`;

  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#39;": "'" };
  const decode = (s) => s.replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, (m) => ENTITIES[m]);

  // API snippets are HTML-escaped text with <mark> around matches. Rebuild them as text nodes and
  // <mark> elements; nothing from the API is ever parsed as HTML.
  function marked(snippet) {
    const out = document.createDocumentFragment();
    for (const part of snippet.split(/(<mark>[\s\S]*?<\/mark>)/)) {
      const inner = /^<mark>([\s\S]*)<\/mark>$/.exec(part);
      if (inner) out.append(el("mark", { textContent: decode(inner[1]) }));
      else if (part) out.append(decode(part));
    }
    return out;
  }

  function hitItem(hit) {
    const hl = hit.highlights || {};
    const link = el("a", { className: "title", href: `${origin}/inovasi/${encodeURIComponent(hit.id)}`,
                           target: "_blank", rel: "noopener" },
                    hl.title ? marked(hl.title[0]) : hit.title, el("span", { className: "sr" }, ` ${T.newTab}`));
    const place = [hit.regency_city, hit.province].filter(Boolean).join(", ");
    const programme = [hit.programme === "other" ? T.other : hit.programme, hit.year].filter(Boolean).join(" ");
    const meta = el("p", { className: "meta" }, [hit.agency, place, programme].filter(Boolean).join(" · "));
    const field = ["problem", "solution", "impact"].find((f) => hl[f] && hl[f].length);
    const snippet = el("p", { className: "snippet" }, field ? marked(hl[field][0]) : (hit.excerpt || ""));
    return el("li", {}, link, meta, snippet);
  }

  // Right after the tag, or inside data-target; a tag in <head> renders at the end of <body>.
  const host = el("div", { className: "jippnas-widget", lang });
  const inHead = () => document.head && document.head.contains(script);
  function mount() {
    const target = data.target && document.querySelector(data.target);
    if (target) target.append(host);
    else if (inHead() || !script.parentNode) document.body.append(host);
    else script.after(host);
  }
  if (document.readyState === "loading" && (data.target || inHead())) {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
  const root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in ShadowRoot.prototype) {  // also works where the host's CSP forbids inline style
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el("style", { textContent: CSS }));
  }

  const input = el("input", { id: "q", name: "q", type: "search", placeholder: T.placeholder, value: data.q || "" });
  const form = el("form", {}, el("label", { htmlFor: "q", textContent: T.label }), input,
                  el("button", { type: "submit", textContent: T.button }));
  form.setAttribute("role", "search");
  const status = el("p", { className: "status" });
  status.setAttribute("role", "status");
  const list = el("ol", { className: "hits" });
  root.append(el("div", { className: "box" }, form, status, list));

  let latest = 0;
  async function search(q) {
    const params = new URLSearchParams(fixed);
    if (q) params.set("q", q);
    const page = new URLSearchParams(params);
    if (lang !== "id") page.set("lang", lang);
    params.set("size", String(size));
    const ticket = ++latest;
    status.textContent = T.loading;
    try {
      const response = await fetch(`${origin}/api/v1/search?${params}`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      if (ticket !== latest) return;  // a newer search is on its way
      list.replaceChildren(...body.hits.map(hitItem));
      status.replaceChildren(body.total ? T.total(body.total) : T.none,
                             el("a", { href: `${origin}/?${page}`, target: "_blank", rel: "noopener" },
                                T.all, el("span", { className: "sr" }, ` ${T.newTab}`)));
    } catch (err) {
      if (ticket !== latest) return;
      list.replaceChildren();
      status.textContent = T.error;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search(input.value.trim());
  });
  if (data.q !== undefined) search(data.q.trim());
})();
