import { connect } from "node:net";

/** A status and body read off the wire. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 request written byte for byte on a fresh loopback socket: unlike fetch, it sends
 * whatever header values and lengths the case holds (NUL bytes, wrong Content-Length), the way a
 * broken or hostile client would. Reads until the server closes (Connection: close).
 */
export function rawRequest(baseUrl: string, head: string, body: Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer within 10 s")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
  });
}

/** The request head for `path` with these headers, Connection: close and Content-Length unless given. */
export function requestHead(path: string, host: string, headers: Record<string, string>, bodyLength: number): string {
  const all: Record<string, string> = { host, connection: "close", ...headers };
  if (!Object.keys(all).some((name) => name.toLowerCase() === "content-length")) all["content-length"] = String(bodyLength);
  return `POST ${path} HTTP/1.1\r\n` + Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join("") + "\r\n";
}

function parseAnswer(raw: Buffer): RawAnswer {
  const split = raw.indexOf("\r\n\r\n");
  if (split < 0) throw new Error(`no HTTP answer: ${JSON.stringify(raw.toString("latin1").slice(0, 200))}`);
  const [statusLine, ...lines] = raw.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (headers["transfer-encoding"] === "chunked") body = unchunk(body);
  return { status, headers, body: body.toString("utf8") };
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    const size = parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
