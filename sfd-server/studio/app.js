// The studio: routes by the URL's hash (#/ and #/dramas/{id}) and asks for
// the API key when the server wants one.

import { onKeyNeeded } from "./api.js";
import { h } from "./dom.js";
import { showDrama } from "./drama.js";
import { showList } from "./list.js";

const main = document.getElementById("main");
let leave = null;
let shown = 0;

// Without a key nothing works: Escape does not close the prompt.
document.getElementById("key-dialog").addEventListener("cancel", (e) => e.preventDefault());

onKeyNeeded((refused) => new Promise((resolve) => {
  const dialog = document.getElementById("key-dialog");
  const form = document.getElementById("key-form");
  const input = document.getElementById("key-input");
  document.getElementById("key-error").textContent = refused ? "That key was not accepted; try another." : "";
  input.value = "";
  const submit = (e) => {
    e.preventDefault();
    form.removeEventListener("submit", submit);
    dialog.close();
    resolve(input.value);
  };
  form.addEventListener("submit", submit);
  if (!dialog.open) dialog.showModal();
  input.focus();
}));

async function route() {
  const mine = ++shown;
  if (leave) leave();
  leave = null;
  const m = location.hash.match(/^#\/dramas\/([^/]+)$/);
  try {
    const done = m ? await showDrama(main, decodeURIComponent(m[1])) : await showList(main);
    if (mine !== shown) {
      if (done) done();
      return;
    }
    leave = done || null;
    main.focus({ preventScroll: true });
  } catch (err) {
    if (mine !== shown) return;
    main.replaceChildren(
      h("h1", { text: err.status === 404 ? "Not found" : "Something went wrong" }),
      h("p", { class: "error", role: "alert", text: err.message }),
      h("p", {}, h("a", { href: "#/", text: "Back to the dramas" })));
  }
}

window.addEventListener("hashchange", route);
route();
