/* The chat with JavaScript: questions go to POST /api/ask and answers are built with DOM APIs only
   (createElement / textContent, never innerHTML), so nothing from a question or a document can run.
   Without JavaScript the same forms post to /ask and the server renders the answer. */
(function () {
  "use strict";

  var form = document.getElementById("ask-form");
  var conversation = document.getElementById("conversation");
  if (!form || !conversation || !window.fetch || !window.JSON) return;

  var input = document.getElementById("question");
  var button = document.getElementById("ask-button");
  var errorBox = document.getElementById("question-error");
  var busy = document.getElementById("busy");
  var MAX_CHARS = 1000;
  var examples = Array.prototype.map.call(document.querySelectorAll(".examples .example"), function (b) {
    return b.value;
  });
  var inFlight = false;
  var lastSubmitter = null;

  /* el("p", {class: "x", href: "..."}, "text", node, ...) — attributes via setAttribute, text via text nodes. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) {
          node.setAttribute(name, String(attrs[name]));
        }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function citeUrl(p) {
    return "/documents/" + encodeURIComponent(p.document_id) + "?start=" + encodeURIComponent(p.start) +
      "&end=" + encodeURIComponent(p.end) + "#cite";
  }

  function safeUrl(url) {
    if (!url) return null;
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  /* Offsets are Python string indices (code points), so slice by code point, not UTF-16 unit. */
  function quote(p) {
    var block = el("blockquote", { class: "quote", cite: citeUrl(p) });
    var chars = Array.from(p.text);
    var h = p.highlight;
    if (!h) {
      block.textContent = p.text;
      return block;
    }
    var a = Math.min(Math.max(h.start - p.start, 0), chars.length);
    var b = Math.min(Math.max(h.end - p.start, a), chars.length);
    var before = chars.slice(0, a).join(""), marked = chars.slice(a, b).join(""), after = chars.slice(b).join("");
    if (before) block.appendChild(document.createTextNode(before));
    if (marked) block.appendChild(el("mark", null, marked));
    if (after) block.appendChild(document.createTextNode(after));
    return block;
  }

  function passage(p, badge) {
    var meta = el("figcaption", { class: "meta" },
      el("a", { class: "chip cite", href: citeUrl(p), title: "Open the source at this passage" },
        p.document_title + " · " + p.section),
      p.evidence ? el("span", { class: "chip evidence", title: "Strength of evidence stated by the source" }, p.evidence) : null,
      badge !== false && p.kind === "safety" ? el("span", { class: "chip caution" }, "Caution") : null);
    var figure = el("figure", { class: "passage kind-" + (p.kind || "body") }, quote(p), meta);
    if (p.references && p.references.length) {
      var refs = el("ol", { class: "refs", "aria-label": "Works cited by this passage" });
      p.references.forEach(function (r) {
        var url = safeUrl(r.url);
        refs.appendChild(el("li", null, el("span", { class: "ref-num" }, "[" + r.number + "]"), " ",
          url ? el("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, r.title) : r.title));
      });
      figure.appendChild(refs);
    }
    return figure;
  }

  function exampleForm(questions) {
    var list = el("ul");
    questions.forEach(function (q) {
      list.appendChild(el("li", null, el("button", { type: "submit", name: "question", value: q, class: "linklike" }, q)));
    });
    return el("form", { class: "covered", method: "post", action: "/ask", "data-ask": "" }, list);
  }

  function answerBubble(answer) {
    var box = el("div", { class: "bubble bubble-answer" });
    if (answer.notice) {
      box.appendChild(el("div", { class: "notice notice-" + answer.notice.kind, role: "alert" },
        el("p", { class: "notice-title" },
          answer.notice.kind === "emergency" ? "This may be a medical emergency" : "Important"),
        el("p", { class: "notice-text" }, answer.notice.text)));
    }
    if (answer.answered) {
      var n = answer.passages.length;
      box.appendChild(el("p", { class: "who" }, "From the sources ",
        el("span", { class: "count" }, n + " passage" + (n === 1 ? "" : "s"))));
      var list = el("ol", { class: "passages" });
      answer.passages.forEach(function (p) { list.appendChild(el("li", null, passage(p))); });
      box.appendChild(list);
      if (answer.conflicts && answer.conflicts.length) {
        var items = el("ul");
        answer.conflicts.forEach(function (c) {
          items.appendChild(el("li", null, "On " + c.topic + ": compare passages " +
            c.passages.map(function (i) { return i + 1; }).join(", ") + "."));
        });
        box.appendChild(el("div", { class: "conflicts" }, el("p", { class: "box-title" }, "The sources disagree"), items));
      }
    } else {
      var reason = answer.reason && answer.reason !== "not_covered" ? " (" + answer.reason + ")" : "";
      var none = el("div", { class: "not-covered" },
        el("p", { class: "box-title" }, "The sources don’t cover this"),
        el("p", null, "None of the bundled documents has a passage that answers this question" + reason +
          ", so there is nothing to quote."));
      if (examples.length) {
        none.appendChild(el("p", null, "They do cover questions like these:"));
        none.appendChild(exampleForm(examples.slice(0, 3)));
      }
      box.appendChild(none);
    }
    var shown = {};
    answer.passages.forEach(function (p) { shown[p.document_id + ":" + p.start + ":" + p.end] = true; });
    var cautions = (answer.safety || []).filter(function (s) { return !shown[s.document_id + ":" + s.start + ":" + s.end]; });
    if (cautions.length) {
      var safetyList = el("ul", { class: "safety-list" });
      cautions.forEach(function (p) { safetyList.appendChild(el("li", null, passage(p, false))); });
      box.appendChild(el("section", { class: "safety", "aria-label": "Cautions from the sources" },
        el("p", { class: "box-title" }, el("span", { class: "icon", "aria-hidden": "true" }, "!"),
          " Cautions from the sources"), safetyList));
    }
    if (answer.disclaimer) {
      box.appendChild(el("aside", { class: "disclaimer", "aria-label": "Disclaimer" },
        el("p", { class: "box-title" }, "Disclaimer, quoted from the sources"), passage(answer.disclaimer)));
    }
    return box;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "question-help question-error");
    input.focus();
  }

  function clearError() {
    errorBox.textContent = "";
    errorBox.hidden = true;
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "question-help");
  }

  function setBusy(on) {
    inFlight = on;
    busy.hidden = !on;
    button.disabled = on;
    conversation.setAttribute("aria-busy", on ? "true" : "false");
  }

  function reveal(node) {
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    node.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "start" });
  }

  function ask(raw) {
    var question = (raw || "").trim();
    if (!question) { showError("Please type a question first."); return; }
    if (Array.from(question).length > MAX_CHARS) {
      showError("The question is too long: at most " + MAX_CHARS + " characters.");
      return;
    }
    if (inFlight) return;
    clearError();
    var intro = document.getElementById("intro");
    if (intro) intro.remove();
    var exchange = el("article", { class: "exchange pending" },
      el("div", { class: "bubble bubble-user" }, el("p", { class: "who" }, "You asked"),
        el("p", { class: "question-text" }, question)));
    conversation.appendChild(exchange);
    setBusy(true);
    fetch("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ question: question })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, ok: response.ok, body: body };
      });
    }).then(function (result) {
      if (result.ok) {
        exchange.appendChild(answerBubble(result.body));
        input.value = "";
      } else if (result.status === 422 || result.status === 413) {
        exchange.remove();
        showError(typeof result.body.detail === "string" ? result.body.detail : "The question could not be sent.");
        return;
      } else {
        exchange.appendChild(el("div", { class: "bubble bubble-answer" },
          el("p", { class: "system-error" }, "Something went wrong (" + result.status + "). Please try again.")));
      }
      exchange.classList.remove("pending");
      reveal(exchange);
    }).catch(function () {
      exchange.appendChild(el("div", { class: "bubble bubble-answer" },
        el("p", { class: "system-error" }, "The server could not be reached. Please try again.")));
      exchange.classList.remove("pending");
    }).then(function () {
      setBusy(false);
      input.focus();
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    lastSubmitter = target && target.closest ? target.closest("form[data-ask] button[name=question]") : null;
  });

  document.addEventListener("submit", function (event) {
    var target = event.target;
    if (!target || !target.matches || !target.matches("form[data-ask]")) return;
    event.preventDefault();
    if (target === form) {
      ask(input.value);
      return;
    }
    var submitter = event.submitter || lastSubmitter;
    if (submitter && submitter.value) {
      input.value = submitter.value;
      ask(submitter.value);
    }
  });

  input.addEventListener("input", function () {
    if (!errorBox.hidden && input.value.trim()) clearError();
  });
})();
