import { api, describeError } from "../api.js";
import type { ApiKeySummary, InstanceListResponse, IssuedApiKey } from "../api-types.js";
import { el, replace, statusLine, uid } from "../dom.js";
import { formatInteger, formatTime, formatUsd } from "../format.js";
import { resolveRange } from "../range.js";
import { table } from "../table.js";
import { loadInto, type View, type ViewContext } from "../view-context.js";

/**
 * The operator's view (admin token): server health, every instance with its usage, and its
 * keys: create, rotate (a new key, then the old one revoked), revoke. A new key is shown once,
 * as the API gives it once.
 */

type Instance = InstanceListResponse["instances"][number];

interface InstanceRow {
  instance: Instance;
  events: number;
  lastEventAt: string | null;
  costInRange: number;
}

function keyState(key: ApiKeySummary): string {
  if (key.revoked_at !== null) return `revoked ${formatTime(key.revoked_at)}`;
  if (key.expires_at !== null && Date.parse(key.expires_at) <= Date.now()) return `expired ${formatTime(key.expires_at)}`;
  return "active";
}

function render(context: ViewContext): HTMLElement {
  const { credential } = context;
  const health = el("div", { class: "view-body", "data-testid": "health" });
  const body = el("div", { class: "view-body" });
  const status = statusLine();
  const issued = el("div", { class: "issued", "data-testid": "issued-key" });

  function showIssued(what: string, key: IssuedApiKey): void {
    const id = uid("newkey");
    const input = el("input", { id, type: "text", readonly: true, value: key.key, class: "key-once", "data-testid": "new-key" });
    replace(
      issued,
      el(
        "div",
        { class: "notice", role: "alert" },
        el("p", {}, el("strong", {}, what), " Copy it now: it is shown this once and cannot be read back."),
        el("label", { for: id }, "New key"),
        input,
        el(
          "button",
          {
            type: "button",
            onclick: () => {
              input.select();
              void navigator.clipboard?.writeText(key.key).then(() => (status.textContent = "Copied."), () => (status.textContent = "Select the key and copy it."));
            },
          },
          "Copy",
        ),
        el("button", { type: "button", onclick: () => issued.replaceChildren() }, "Done"),
      ),
    );
    input.focus();
    input.select();
  }

  async function act(what: string, action: () => Promise<void>): Promise<void> {
    status.textContent = `${what}…`;
    try {
      await action();
      status.textContent = `${what}: done.`;
      refresh();
    } catch (error) {
      status.textContent = `${what} failed: ${describeError(error)}`;
    }
  }

  function keyActions(instance: Instance, key: ApiKeySummary): HTMLElement {
    if (key.revoked_at !== null) return el("span", {}, "–");
    const revoke = el("button", { type: "button", class: "danger", "data-testid": `revoke-${key.id}` }, "Revoke");
    let armed = false;
    // Two presses instead of a modal dialog: the second names the key, and the keyboard needs nothing more.
    revoke.addEventListener("click", () => {
      if (!armed) {
        armed = true;
        revoke.textContent = `Confirm: revoke ${key.display}`;
        return;
      }
      void act(`Revoking ${key.display}`, async () => {
        await api.revokeKey(credential, key.id);
      });
    });
    const rotate = el(
      "button",
      {
        type: "button",
        onclick: () =>
          void act(`Rotating ${key.display}`, async () => {
            const created = await api.createKey(credential, instance.id);
            await api.revokeKey(credential, key.id);
            showIssued(`New key for ${instance.name} (replaces ${key.display}, now revoked).`, created.api_key);
          }),
      },
      "Rotate",
    );
    return el("span", { class: "actions" }, rotate, revoke);
  }

  function instanceBlock(row: InstanceRow): HTMLElement {
    const { instance } = row;
    return el(
      "article",
      { class: "instance", "data-testid": "instance", "data-instance-id": instance.id },
      el("h4", {}, instance.name),
      el(
        "p",
        { class: "note" },
        `Id ${instance.id} · created ${formatTime(instance.created_at)} · ${formatInteger(row.events)} events · last ${formatTime(row.lastEventAt)} · `,
        el("span", { "data-testid": "instance-cost", "data-value": row.costInRange }, `${formatUsd(row.costInRange)} in the range`),
      ),
      table(
        `Keys of ${instance.name}`,
        [
          { header: "Key", cell: (key) => el("code", {}, key.display) },
          { header: "Created", cell: (key) => formatTime(key.created_at) },
          { header: "State", cell: keyState },
          { header: "Actions", cell: (key) => keyActions(instance, key) },
        ],
        instance.keys,
        "keys-table",
      ),
      el(
        "button",
        {
          type: "button",
          onclick: () =>
            void act(`Creating a key for ${instance.name}`, async () => {
              const created = await api.createKey(credential, instance.id);
              showIssued(`New key for ${instance.name}.`, created.api_key);
            }),
        },
        "Create a key",
      ),
    );
  }

  function refresh(): void {
    loadInto(health, context, () => api.health(), (h) => [
      el("dl", { class: "facts" }, el("dt", {}, "Process"), el("dd", {}, h.live), el("dt", {}, "Storage"), el("dd", {}, h.storage), el("dt", {}, "Redis"), el("dd", {}, h.redis)),
    ]);
    const range = resolveRange(context.range);
    loadInto(
      body,
      context,
      async () => {
        const list = await api.instances(credential);
        return Promise.all(
          list.instances.map(async (instance): Promise<InstanceRow> => {
            const [usage, series] = await Promise.all([
              api.instanceUsage(credential, instance.id),
              typeof range === "string" ? null : api.timeseries(credential, range, "day", null, instance.id),
            ]);
            return { instance, events: usage.events, lastEventAt: usage.last_event_at, costInRange: series?.totals.cost_usd_micros ?? 0 };
          }),
        );
      },
      (rows) => (rows.length === 0 ? [el("p", { class: "empty" }, "No instances yet: create one below.")] : rows.map(instanceBlock)),
    );
  }

  const nameId = uid("name");
  const name = el("input", { id: nameId, type: "text", required: true, maxlength: 200, autocomplete: "off" });
  const create = el(
    "form",
    {
      class: "controls",
      onsubmit: (event) => {
        event.preventDefault();
        const wanted = name.value.trim();
        if (wanted === "") return;
        void act(`Creating instance ${wanted}`, async () => {
          const created = await api.createInstance(credential, wanted);
          name.value = "";
          showIssued(`Instance ${wanted} created with its first key.`, created.api_key);
        });
      },
    },
    el("div", { class: "field" }, el("label", { for: nameId }, "New instance name"), name),
    el("button", { type: "submit", class: "primary" }, "Create instance"),
  );

  refresh();
  return el(
    "section",
    { "aria-labelledby": "operator-title" },
    el("h2", { id: "operator-title" }, "Operator"),
    el("h3", {}, "Server health"),
    health,
    el("h3", {}, "Instances and keys"),
    status,
    issued,
    body,
    create,
  );
}

export const operatorView: View = { id: "operator", title: "Operator", for: ["admin"], usesRange: true, render };
