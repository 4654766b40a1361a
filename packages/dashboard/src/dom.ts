/** A tiny element builder: the dashboard's views are plain DOM, no framework (decision 0008). */

export type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Creates an element; attributes starting with "on" are listeners, `true` sets a boolean
 * attribute, null/undefined/false leave it out. Text is always set as text, never as HTML.
 *
 * @example
 * el("button", { type: "button", onclick: () => save() }, "Save")
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces a node's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let idCounter = 0;
/** A unique id for label/control pairs. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled <select>; `onChange` gets the chosen value. */
export function select(label: string, options: readonly (readonly [string, string])[], value: string, onChange: (value: string) => void): HTMLElement {
  const id = uid("select");
  const control = el("select", { id, onchange: () => onChange(control.value) });
  for (const [optionValue, text] of options) control.append(el("option", { value: optionValue, selected: optionValue === value }, text));
  return el("div", { class: "field" }, el("label", { for: id }, label), control);
}

/** A status line read out by screen readers when it changes. */
export function statusLine(): HTMLElement {
  return el("p", { class: "status", role: "status", "aria-live": "polite" });
}

/** A summary figure: its raw value in data-value (tests compare it with the API), formatted for people. */
export function figure(label: string, shown: string, raw: number | null, testId: string): HTMLElement {
  return el(
    "div",
    { class: "figure", "data-testid": testId, "data-value": raw === null ? "" : String(raw) },
    el("span", { class: "figure-label" }, label),
    el("span", { class: "figure-value" }, shown),
  );
}
