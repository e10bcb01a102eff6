/* Per answer: copy it as Markdown (with its citations), and 👍 / 👎 with an optional note sent to
   POST /api/feedback — only when the user presses "Send feedback". */
import { detail, postJSON } from "./dom.js";

export function enableTools(article) {
  const tools = article.querySelector("[data-tools]");
  if (tools) tools.hidden = false;
}

function status(tools, message) {
  tools.querySelector(".tool-status").textContent = message;
}

async function copy(button) {
  const article = button.closest("article.exchange");
  const tools = button.closest("[data-tools]");
  try {
    await navigator.clipboard.writeText(article.dataset.markdown || "");
    status(tools, "Copied as Markdown.");
  } catch (e) {
    status(tools, "Copying is not allowed here; use Export Markdown instead.");
  }
}

function rate(button) {
  const box = button.closest("[data-feedback]");
  box.querySelectorAll(".rate").forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
  const note = box.querySelector(".feedback-note");
  note.hidden = false;
  note.querySelector("textarea").focus();
}

async function send(button) {
  const box = button.closest("[data-feedback]");
  const tools = button.closest("[data-tools]");
  const pressed = box.querySelector(".rate[aria-pressed=true]");
  if (!pressed) return;
  const payload = Object.assign(JSON.parse(box.dataset.feedback), {
    rating: pressed.dataset.rating,
    note: box.querySelector("textarea").value.trim(),
  });
  button.disabled = true;
  try {
    const response = await postJSON("/api/feedback", payload);
    if (response.status === 201) {
      box.hidden = true;
      tools.classList.add("thanked");
      status(tools, "Thanks — your feedback was sent.");
    } else {
      status(tools, await detail(response, "The feedback could not be sent (" + response.status + ")."));
    }
  } catch (e) {
    status(tools, "The server could not be reached; the feedback was not sent.");
  } finally {
    button.disabled = false;
  }
}

export function initTools() {
  document.addEventListener("click", (event) => {
    const target = event.target.closest && event.target.closest("[data-copy], .rate, [data-send]");
    if (!target) return;
    if (target.matches("[data-copy]")) copy(target);
    else if (target.matches(".rate")) rate(target);
    else send(target);
  });
}
