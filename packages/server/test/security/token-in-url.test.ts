import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectRequest, startTestServer, type TestServer } from "../http/test-server.js";

/**
 * A credential put in a URL path by mistake (an operator pasting the admin token into a browser,
 * a script with a wrong route) is masked in the 404 answer and in the log, the admin token as
 * API keys are, however the client spelled it: as is or percent-encoded in either case.
 */
const TOKEN = "mask+me/0123456789abcdefghijklmnopqrst==";
const spellings = [
  TOKEN,
  encodeURIComponent(TOKEN),
  encodeURIComponent(TOKEN).toLowerCase().replace(/mask/, "mask"),
  TOKEN.replace("+", "%2b").replace("a", "%61"),
];

describe("the admin token in a URL path", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ adminToken: TOKEN, inProcess: true });
  });
  afterAll(async () => server?.close());

  it.each(spellings.map((spelling, index) => [index, spelling]))("is masked in the 404 answer and the log (spelling %i)", async (_index, spelling) => {
    const before = server.logs.length;
    for (const path of [`/v1/admin/${spelling}`, `/v1/${spelling}/usage`, `/x${spelling}y?token=${spelling}`]) {
      const answer = await injectRequest(server.app, "GET", path, null);
      expect(answer.status).toBe(404);
      const message = answer.body.error.message as string;
      expect(message).toContain("[redacted]");
      for (const form of spellings) expect(message).not.toContain(form);
      expect(message).not.toContain("0123456789abcdefghijklmnopqrst");
    }
    const logged = server.logs.slice(before).join("");
    expect(logged).toContain("[redacted]");
    expect(logged).not.toContain("0123456789abcdefghijklmnopqrst");
  });

  it("masks an API key in the path as before, and leaves other paths as they are", async () => {
    const key = await injectRequest(server.app, "GET", `/v1/keys/${server.apiKey}`, null);
    expect(key.body.error.message).toBe("no route GET /v1/keys/msk_[redacted]");
    const plain = await injectRequest(server.app, "GET", "/v1/nowhere/mask", null);
    expect(plain.body.error.message).toBe("no route GET /v1/nowhere/mask");
  });

  it.each([
    ["its first letter percent-encoded", (key: string) => `%6D${key.slice(1)}`],
    ["its underscore percent-encoded", (key: string) => key.replace("_", "%5f")],
    ["every letter percent-encoded", (key: string) => [...key].map((char) => `%${char.charCodeAt(0).toString(16)}`).join("")],
  ])("masks an API key with %s, in the answer and the log", async (_how, spell) => {
    const before = server.logs.length;
    const randomPart = server.apiKey.split("_")[1] as string;
    const answer = await injectRequest(server.app, "GET", `/v1/keys/${spell(server.apiKey)}`, null);
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toBe("no route GET /v1/keys/msk_[redacted]");
    expect(server.logs.slice(before).join("")).not.toContain(randomPart.slice(0, 12));
  });

  it("answers a path that is not valid percent-encoding 400 with the API's error body, echoing no credential", async () => {
    const before = server.logs.length;
    for (const path of [`/v1/admin/${TOKEN}/%FF`, `/v1/events/${server.apiKey}%FF`]) {
      const answer = await injectRequest(server.app, "GET", path, null);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: { code: "invalid_request", message: "the URL is not valid (bad percent-encoding)" } });
    }
    await new Promise(setImmediate);
    const logged = server.logs.slice(before).join("");
    // One line each, the URL masked there too.
    expect(logged.match(/"statusCode":400/g)).toHaveLength(2);
    expect(logged).not.toContain("0123456789abcdefghijklmnopqrst");
    expect(logged).not.toContain((server.apiKey.split("_")[1] as string).slice(0, 12));
  });
});
