import { ApiError, api, describeError } from "../api.js";
import { el, uid } from "../dom.js";
import { kindOf, type Credential } from "../session.js";

/**
 * Sign-in: paste an API key (msk_…, the instance's view) or the admin token (the operator's).
 * The credential is checked with one read before it is kept, so a wrong one is told at once.
 */

async function check(token: string): Promise<Credential> {
  const kind = kindOf(token);
  const credential: Credential = { kind, token, instanceId: null };
  if (kind === "admin") {
    await api.instances(credential);
    return credential;
  }
  const hour = 3_600_000;
  const to = new Date(Math.floor(Date.now() / hour) * hour + hour).toISOString().replace(".000Z", "Z");
  const from = new Date(Date.parse(to) - hour).toISOString().replace(".000Z", "Z");
  const body = await api.top(credential, { from, to }, 1);
  return { ...credential, instanceId: body.instance_id };
}

function refusal(error: unknown, token: string): string {
  if (error instanceof ApiError && error.status === 401) {
    return kindOf(token) === "key"
      ? "This API key was refused: it is wrong, revoked or expired. Check it with your operator."
      : "This admin token was refused. API keys start with msk_; anything else is taken for the admin token.";
  }
  if (error instanceof ApiError && error.code === "admin_disabled") return "The admin API is off on this server (no admin token is set).";
  return describeError(error);
}

export function signInView(message: string | null, onSignedIn: (credential: Credential) => void): HTMLElement {
  const id = uid("token");
  const input = el("input", { id, type: "password", name: "token", required: true, autocomplete: "off", spellcheck: "false", "aria-describedby": `${id}-help` });
  const error = el("p", { class: "error", role: "alert", "data-testid": "sign-in-error", hidden: message === null }, message ?? "");
  const button = el("button", { type: "submit", class: "primary" }, "Sign in");
  const form = el(
    "form",
    {
      class: "sign-in",
      onsubmit: (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (token === "") return;
        button.disabled = true;
        error.hidden = true;
        check(token).then(onSignedIn, (cause: unknown) => {
          error.textContent = refusal(cause, token);
          error.hidden = false;
          button.disabled = false;
          input.focus();
        });
      },
    },
    el("h1", {}, "Mosaic Telemetry"),
    el("label", { for: id }, "API key or admin token"),
    input,
    el(
      "p",
      { id: `${id}-help`, class: "note" },
      "An API key (msk_…) shows its instance's data; the admin token shows every instance and the operator view. ",
      "It is kept for this tab only and sent only to this server.",
    ),
    error,
    button,
  );
  queueMicrotask(() => input.focus());
  return el("main", { id: "main", class: "sign-in-page" }, form);
}
