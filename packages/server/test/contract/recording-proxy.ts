import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** One request that crossed the proxy and the answer it got, bodies as text. */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  /** The request body as JSON text (inflated when it was sent gzip-compressed). */
  requestBody: string;
  /** The request's Content-Encoding, when it had one. */
  requestEncoding: string | undefined;
  responseBody: string;
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy that forwards every request to `target` unchanged and records both
 * bodies, so a test sees exactly what the real client sent and what the real server answered
 * (neither side is instrumented). A gzip-compressed request is forwarded as it came and
 * recorded inflated, with its encoding.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((incoming, outgoing) => {
    const requestChunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => requestChunks.push(chunk));
    incoming.on("end", () => {
      const requestBody = Buffer.concat(requestChunks);
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host, "content-length": String(requestBody.length) },
        },
        (answer) => {
          const responseChunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => responseChunks.push(chunk));
          answer.on("end", () => {
            const responseBody = Buffer.concat(responseChunks);
            exchanges.push({
              method: incoming.method ?? "",
              path: (incoming.url ?? "").split("?")[0] ?? "",
              status: answer.statusCode ?? 0,
              requestBody: (incoming.headers["content-encoding"] === "gzip" ? gunzipSync(requestBody) : requestBody).toString("utf8"),
              requestEncoding: incoming.headers["content-encoding"],
              responseBody: responseBody.toString("utf8"),
            });
            const headers = { ...answer.headers };
            delete headers["transfer-encoding"];
            outgoing.writeHead(answer.statusCode ?? 502, { ...headers, "content-length": String(responseBody.length) });
            outgoing.end(responseBody);
          });
        },
      );
      forwarded.on("error", () => outgoing.destroy());
      forwarded.end(requestBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
