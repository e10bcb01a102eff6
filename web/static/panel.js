/* Citations at a glance. The preview (passage, a sentence either side, document and section) is part of the
   server's HTML and shown by CSS on hover and keyboard focus; Escape hides it. On wide screens a citation
   opens the source in a side panel next to the chat (each document fetched once from /api/documents/{id});
   on narrow screens, or with a modifier key, the link opens the source page as before. */
import { el } from "./dom.js";

const WIDE = "(min-width: 1100px)";
const documents = new Map();

function fetchDocument(id) {
  if (!documents.has(id)) {
    const request = fetch("/api/documents/" + encodeURIComponent(id), { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("status " + r.status))))
      .then((doc) => ({ title: doc.title, chars: Array.from(doc.text) }));  // Python offsets count code points
    request.catch(() => documents.delete(id));
    documents.set(id, request);
  }
  return documents.get(id);
}

export function initPanel() {
  const panel = document.getElementById("source-panel");
  if (!panel) return;
  const title = document.getElementById("panel-title");
  const section = document.getElementById("panel-section");
  const text = document.getElementById("panel-text");
  const open = document.getElementById("panel-open");
  let opener = null;

  function close() {
    panel.hidden = true;
    document.body.classList.remove("panel-open");
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }

  async function show(chip) {
    const id = chip.dataset.doc;
    const start = Number(chip.dataset.start), end = Number(chip.dataset.end);
    opener = chip;
    open.setAttribute("href", chip.getAttribute("href"));
    section.textContent = chip.dataset.section || "";
    title.textContent = "Loading the source…";
    text.replaceChildren();
    panel.hidden = false;
    document.body.classList.add("panel-open");
    try {
      const doc = await fetchDocument(id);
      if (opener !== chip) return;  // another citation was opened meanwhile
      title.textContent = doc.title;
      const mark = el("mark", { id: "panel-cite", tabindex: "-1" }, doc.chars.slice(start, end).join(""));
      text.replaceChildren(document.createTextNode(doc.chars.slice(0, start).join("")), mark,
        document.createTextNode(doc.chars.slice(end).join("")));
      mark.scrollIntoView({ block: "center" });
      mark.focus({ preventScroll: true });
    } catch (e) {
      title.textContent = "The source could not be loaded.";
      panel.focus();
    }
  }

  document.addEventListener("click", (event) => {
    const chip = event.target.closest && event.target.closest("a.chip.cite[data-doc]");
    if (!chip || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button !== 0) return;
    if (!window.matchMedia || !window.matchMedia(WIDE).matches) return;
    event.preventDefault();
    show(chip);
  });
  document.getElementById("panel-close").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  window.matchMedia(WIDE).addEventListener("change", (event) => {
    if (!event.matches && !panel.hidden) close();
  });

  /* Escape hides a citation's preview until the pointer or focus leaves it (content on hover stays dismissible). */
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".cite-wrap:hover, .cite-wrap:focus-within").forEach((w) => w.classList.add("quiet"));
  });
  const wake = (event) => {
    const wrap = event.target.closest && event.target.closest(".cite-wrap");
    if (wrap && !wrap.contains(event.relatedTarget)) wrap.classList.remove("quiet");
  };
  document.addEventListener("mouseout", wake);
  document.addEventListener("focusout", wake);
}
