import { ApiError, describeError } from "./api.js";
import { el, replace } from "./dom.js";
import type { RangeState } from "./range.js";
import type { Credential } from "./session.js";

/** What every view is given by the shell (main.ts). */
export interface ViewContext {
  credential: Credential;
  range: RangeState;
  /** Admin token: the instance the usage views show, null for all instances. */
  instanceId: string | null;
  /** The key or token was refused mid-session: back to sign-in with this message. */
  signOut(message: string): void;
}

export interface View {
  id: string;
  title: string;
  /** Which credentials the view works with. */
  for: readonly Credential["kind"][];
  /** Whether the range picker applies. */
  usesRange: boolean;
  render(context: ViewContext): HTMLElement;
}

/**
 * Shows "Loading…", then what `render` makes of the data, or the error in words; a refused key
 * signs the tab out. `aria-busy` tells assistive technology (and the browser tests) when it is done.
 */
export function loadInto<T>(container: HTMLElement, context: ViewContext, load: () => Promise<T>, render: (data: T) => (Node | string)[]): void {
  container.setAttribute("aria-busy", "true");
  replace(container, el("p", { class: "loading" }, "Loading…"));
  load().then(
    (data) => {
      replace(container, ...render(data));
      container.setAttribute("aria-busy", "false");
    },
    (error: unknown) => {
      if (error instanceof ApiError && error.refused) {
        context.signOut(describeError(error));
        return;
      }
      replace(container, el("p", { class: "error", role: "alert" }, describeError(error)));
      container.setAttribute("aria-busy", "false");
    },
  );
}
