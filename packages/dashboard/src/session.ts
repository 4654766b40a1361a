/**
 * The credential for this tab only: sessionStorage (gone when the tab closes), sent as a Bearer
 * header by api.ts. No cookies, so no request is ever authenticated without the page asking.
 */

export type CredentialKind = "key" | "admin";

export interface Credential {
  kind: CredentialKind;
  token: string;
  /** The API key's instance, when the usage API told it; null for the admin token. */
  instanceId: string | null;
}

const STORAGE_KEY = "mosaic-telemetry.credential";

/** API keys start msk_ (docs/api.md); anything else pasted is taken for the admin token. */
export function kindOf(token: string): CredentialKind {
  return token.startsWith("msk_") ? "key" : "admin";
}

export function loadCredential(): Credential | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (raw === null) return null;
    const parsed = JSON.parse(raw) as Partial<Credential>;
    if ((parsed.kind === "key" || parsed.kind === "admin") && typeof parsed.token === "string") {
      return { kind: parsed.kind, token: parsed.token, instanceId: typeof parsed.instanceId === "string" ? parsed.instanceId : null };
    }
  } catch {
    // Storage refused (private mode) or a value not ours: signed out.
  }
  return null;
}

export function saveCredential(credential: Credential): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
  } catch {
    // Without storage the sign-in lasts until the page reloads; nothing else to do.
  }
}

export function clearCredential(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}
