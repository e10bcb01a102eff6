/* Small DOM helpers. Text always goes in as text nodes; server HTML (escaped by its templates) is parsed
   with DOMParser, which never runs scripts, and only its <article> is taken. */

/* el("p", {class: "x"}, "text", node, ...) — attributes via setAttribute, text via text nodes. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([name, value]) => {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  });
  children.forEach((child) => {
    if (child === null || child === undefined || child === false) return;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

export async function postJSON(url, body, accept) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: accept || "application/json" },
    body: JSON.stringify(body),
  });
  return response;
}

export async function detail(response, fallback) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : fallback;
  } catch (e) {
    return fallback;
  }
}

/* The exchange as the server renders it for the page without JavaScript: one template, one look. */
export async function exchangeNode(index, answer) {
  const response = await postJSON("/fragments/exchange", { index, answer }, "text/html");
  if (!response.ok) throw new Error(await detail(response, "The answer could not be shown (" + response.status + ")."));
  const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
  const article = parsed.querySelector("article.exchange");
  if (!article) throw new Error("The answer could not be shown.");
  return document.adoptNode(article);
}

export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name, hidden: "" });
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}
