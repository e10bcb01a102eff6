/* The chat with JavaScript: questions (with the earlier ones, for follow-ups) go to POST /api/ask; the
   conversation is kept in the browser across reloads; each answer is shown with the same server template
   as the page without JavaScript (POST /fragments/exchange). Without JavaScript the same forms post to
   /ask and the server renders the whole conversation. */
import { detail, download, el, exchangeNode, postJSON } from "./dom.js";
import * as store from "./store.js";
import { initPanel } from "./panel.js";
import { enableTools, initTools } from "./tools.js";

const form = document.getElementById("ask-form");
const conversation = document.getElementById("conversation");

if (form && conversation && window.fetch) {
  const input = document.getElementById("question");
  const button = document.getElementById("ask-button");
  const errorBox = document.getElementById("question-error");
  const busy = document.getElementById("busy");
  const intro = document.getElementById("intro");
  const MAX_CHARS = Number(input.getAttribute("maxlength")) || 1000;
  const MAX_HISTORY = Number(conversation.dataset.maxHistory) || 5;
  const MAX_STORED = Number(conversation.dataset.maxStored) || 20;
  const serverRendered = conversation.querySelector("article.exchange") !== null;
  let exchanges = serverRendered ? [] : store.load(MAX_STORED);
  /* a page the server rendered (the form was posted) carries its earlier questions in hidden fields */
  let formHistory = Array.from(form.querySelectorAll("input[name=history]"), (h) => h.value);
  let inFlight = false;
  let lastSubmitter = null;

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "question-help question-error");
    input.focus();
  };

  const clearError = () => {
    errorBox.textContent = "";
    errorBox.hidden = true;
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "question-help");
  };

  const setBusy = (on) => {
    inFlight = on;
    busy.hidden = !on;
    button.disabled = on;
    conversation.setAttribute("aria-busy", on ? "true" : "false");
  };

  const refreshTools = () => {
    const any = conversation.querySelector("article.exchange") !== null;
    intro.hidden = any;
    document.getElementById("export-md").hidden = !any;
    document.getElementById("export-json").hidden = !any;
  };

  const reveal = (node) => {
    const still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    node.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "start" });
  };

  const failed = (message) => el("div", { class: "bubble bubble-answer" }, el("p", { class: "system-error" }, message));

  const pending = (question) => el("article", { class: "exchange pending" },
    el("div", { class: "bubble bubble-user" }, el("p", { class: "who" }, "You asked"),
      el("p", { class: "question-text" }, question)));

  async function ask(raw) {
    const question = (raw || "").trim();
    if (!question) { showError("Please type a question first."); return; }
    if (Array.from(question).length > MAX_CHARS) {
      showError("The question is too long: at most " + MAX_CHARS + " characters.");
      return;
    }
    if (inFlight) return;
    clearError();
    const placeholder = pending(question);
    conversation.appendChild(placeholder);
    refreshTools();
    setBusy(true);
    const history = formHistory.concat(exchanges.map((e) => e.question)).slice(-MAX_HISTORY);
    const body = history.length ? { question, history } : { question };
    try {
      const response = await postJSON("/api/ask", body);
      if (response.status === 422 || response.status === 413) {
        placeholder.remove();
        refreshTools();
        showError(await detail(response, "The question could not be sent."));
        return;
      }
      if (!response.ok) {
        placeholder.appendChild(failed("Something went wrong (" + response.status + "). Please try again."));
      } else {
        const answer = await response.json();
        const node = await exchangeNode(conversation.querySelectorAll("article.exchange").length - 1, answer);
        exchanges.push({ question: answer.question || question, answer });
        store.save(exchanges, MAX_STORED);
        placeholder.replaceWith(node);
        enableTools(node);
        input.value = "";
        reveal(node);
      }
    } catch (e) {
      placeholder.appendChild(failed("The server could not be reached. Please try again."));
    } finally {
      placeholder.classList.remove("pending");
      setBusy(false);
      input.focus();
    }
  }

  async function restore() {
    /* fetched together, shown in order; an answer the current sources no longer contain is dropped */
    const nodes = await Promise.all(exchanges.map((e, i) => exchangeNode(i, e.answer).catch(() => null)));
    exchanges = exchanges.filter((e, i) => nodes[i] !== null);
    nodes.filter(Boolean).forEach((node) => {
      conversation.appendChild(node);
      enableTools(node);
    });
    store.save(exchanges, MAX_STORED);
    refreshTools();
    conversation.dataset.restored = "true";
  }

  function newConversation(event) {
    event.preventDefault();
    exchanges = [];
    store.clear();
    conversation.querySelectorAll("article.exchange").forEach((a) => a.remove());
    form.querySelectorAll("input[name=history]").forEach((h) => h.remove());
    formHistory = [];
    clearError();
    refreshTools();
    input.value = "";
    input.focus();
  }

  function conversationMarkdown() {
    const parts = Array.from(conversation.querySelectorAll("article.exchange"), (a) => a.dataset.markdown || "");
    return "# Conversation\n\n" + parts.filter(Boolean).join("\n\n---\n\n") + "\n";
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    lastSubmitter = target && target.closest ? target.closest("form[data-ask] button[name=question]") : null;
  });

  document.addEventListener("submit", (event) => {
    const target = event.target;
    if (!target || !target.matches || !target.matches("form[data-ask]")) return;
    event.preventDefault();
    if (target === form) {
      ask(input.value);
      return;
    }
    const submitter = event.submitter || lastSubmitter;
    if (submitter && submitter.value) {
      input.value = submitter.value;
      ask(submitter.value);
    }
  });

  input.addEventListener("input", () => {
    if (!errorBox.hidden && input.value.trim()) clearError();
  });
  document.getElementById("new-conversation").addEventListener("click", newConversation);
  document.getElementById("export-md").addEventListener("click", () =>
    download("conversation.md", "text/markdown", conversationMarkdown()));
  document.getElementById("export-json").addEventListener("click", () =>
    download("conversation.json", "application/json",
      JSON.stringify({ exported_at: new Date().toISOString(), exchanges }, null, 2) + "\n"));

  initPanel();
  initTools();
  conversation.querySelectorAll("article.exchange").forEach(enableTools);
  if (serverRendered) {
    refreshTools();
    conversation.dataset.restored = "true";
  } else {
    restore();
  }
}
