/* The conversation kept in the browser (localStorage) across reloads: the questions and the answers' JSON
   exactly as POST /api/ask returned them. Nothing here leaves the browser. */
const KEY = "assistant.conversation.v1";

export function load(max) {
  try {
    const saved = JSON.parse(window.localStorage.getItem(KEY) || "null");
    if (!saved || !Array.isArray(saved.exchanges)) return [];
    return saved.exchanges.filter((e) => e && typeof e.question === "string" && e.answer).slice(-max);
  } catch (e) {
    return [];
  }
}

export function save(exchanges, max) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify({ version: 1, exchanges: exchanges.slice(-max) }));
  } catch (e) {
    /* storage full or disabled: the conversation still works, it just won't survive a reload */
  }
}

export function clear() {
  try {
    window.localStorage.removeItem(KEY);
  } catch (e) {
    /* nothing to clear */
  }
}
