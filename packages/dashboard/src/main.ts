import "./styles.css";
import { api } from "./api.js";
import { el, replace, select } from "./dom.js";
import { defaultRange, rangePicker, type RangeState } from "./range.js";
import { clearCredential, loadCredential, saveCredential, type Credential } from "./session.js";
import type { View, ViewContext } from "./view-context.js";
import { estimatesView } from "./views/estimates-view.js";
import { operatorView } from "./views/operator-view.js";
import { outcomesView } from "./views/outcomes-view.js";
import { predictionView } from "./views/prediction-view.js";
import { signInView } from "./views/sign-in-view.js";
import { topView } from "./views/top-view.js";
import { usageView } from "./views/usage-view.js";

/** The shell: sign-in or the signed-in page (navigation, range, the current view), routed by the URL's hash. */

const VIEWS: readonly View[] = [usageView, estimatesView, outcomesView, topView, predictionView, operatorView];
const root = document.getElementById("app") as HTMLElement;

let range: RangeState = defaultRange();
let instanceId: string | null = null;
let instanceNames: [string, string][] | null = null;

function viewsFor(credential: Credential): View[] {
  return VIEWS.filter((view) => view.for.includes(credential.kind));
}

function currentView(credential: Credential): View {
  const id = location.hash.replace(/^#\/?/, "");
  const views = viewsFor(credential);
  return views.find((view) => view.id === id) ?? (views[0] as View);
}

function signOut(message: string | null): void {
  clearCredential();
  instanceNames = null;
  instanceId = null;
  replace(root, signInView(message, (credential) => {
    saveCredential(credential);
    // Setting the hash shows the view (hashchange below); a hash already there is shown here.
    if (location.hash === "") location.hash = `#/${viewsFor(credential)[0]?.id ?? ""}`;
    else show();
  }));
}

function instancePicker(credential: Credential, onChange: () => void): HTMLElement | null {
  if (credential.kind !== "admin") return null;
  const holder = el("div", { class: "instance-picker" });
  const fill = (): void => {
    replace(
      holder,
      select("Instance", [["", "All instances"], ...(instanceNames ?? [])], instanceId ?? "", (value) => {
        instanceId = value === "" ? null : value;
        onChange();
      }),
    );
  };
  fill();
  if (instanceNames === null) {
    api.instances(credential).then(
      (list) => {
        instanceNames = list.instances.map((i) => [i.id, i.name]);
        fill();
      },
      () => undefined,
    );
  }
  return holder;
}

function show(): void {
  const credential = loadCredential();
  if (credential === null) {
    signOut(null);
    return;
  }
  const view = currentView(credential);
  const main = el("main", { id: "main", tabindex: -1 });
  const context: ViewContext = { credential, range, instanceId, signOut };
  const nav = el(
    "nav",
    { "aria-label": "Views" },
    el(
      "ul",
      {},
      ...viewsFor(credential).map((v) => el("li", {}, el("a", { href: `#/${v.id}`, "aria-current": v.id === view.id ? "page" : null }, v.title))),
    ),
  );
  const who = credential.kind === "admin" ? "Operator (admin token)" : `Instance ${credential.instanceId ?? ""}`;
  const header = el(
    "header",
    { class: "top" },
    el("span", { class: "brand" }, "Mosaic Telemetry"),
    nav,
    el("span", { class: "who", "data-testid": "who" }, who),
    el("button", { type: "button", onclick: () => signOut("Signed out.") }, "Sign out"),
  );
  // The toolbar stays; only the view below it is built again when the range or instance changes.
  const viewHolder = el("div", { class: "view" });
  const rerender = (): void => replace(viewHolder, view.render({ ...context, range, instanceId }));
  const toolbar = view.usesRange
    ? el(
        "div",
        { class: "toolbar" },
        rangePicker(range, (next) => {
          range = next;
          rerender();
        }),
        view.id === "operator" ? null : instancePicker(credential, rerender),
      )
    : null;
  replace(main, toolbar, viewHolder);
  replace(root, header, main);
  rerender();
  document.title = `${view.title} · Mosaic Telemetry`;
}

window.addEventListener("hashchange", () => {
  show();
  document.getElementById("main")?.focus();
});
show();
