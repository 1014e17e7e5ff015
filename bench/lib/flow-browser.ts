// A minimal browser for redirect-driven flows under load: one keep-alive connection, a cookie jar
// that honours Path and expiry (RFC 6265, one host), requests one at a time, no redirect followed
// on its own. Built on node:http rather than fetch(): it runs on the load generator's thread, so
// every microsecond it spends per request is taken from the measurement.
import { Agent, request as httpRequest } from "node:http";

export interface Answer {
  status: number;
  /** Absolute `Location`, if any. */
  location: string | undefined;
  body: string;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/** RFC 6265 §5.1.4: the directory of the request path, the default of a cookie's Path. */
function defaultPath(pathname: string): string {
  const slash = pathname.lastIndexOf("/");
  return slash <= 0 ? "/" : pathname.slice(0, slash);
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

export class FlowBrowser {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  #cookies: Cookie[] = [];

  /** Stores the cookies of `Set-Cookie` headers received for `url`. */
  keep(url: URL, setCookies: readonly string[]): void {
    for (const header of setCookies) {
      const [pair = "", ...attributes] = header.split(";").map((part) => part.trim());
      const equals = pair.indexOf("=");
      if (equals <= 0) continue;
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      let path = defaultPath(url.pathname);
      let expired = value === "";
      for (const attribute of attributes) {
        const [key = "", ...rest] = attribute.split("=");
        const attributeValue = rest.join("=");
        const lower = key.toLowerCase();
        if (lower === "path" && attributeValue.startsWith("/")) path = attributeValue;
        else if (lower === "max-age") expired ||= Number(attributeValue) <= 0;
        else if (lower === "expires") expired ||= Date.parse(attributeValue) <= Date.now();
      }
      this.#cookies = this.#cookies.filter((c) => c.name !== name || c.path !== path);
      if (!expired) this.#cookies.push({ name, value, path });
    }
  }

  /** Forgets every cookie but those named (e.g. keeps the sign-in, drops the provider's session). */
  retain(names: readonly string[]): void {
    this.#cookies = this.#cookies.filter((c) => names.includes(c.name));
  }

  /**
   * Forgets the cookies scoped to paths under these prefixes: a finished interaction's, which a
   * browser keeps until they expire but never sends again (its path names a uid that is done).
   * Without this the jar would grow by a few cookies a flow, and every request would filter them.
   */
  forgetPathsUnder(prefixes: readonly string[]): void {
    this.#cookies = this.#cookies.filter((c) => !prefixes.some((prefix) => c.path.startsWith(prefix)));
  }

  cookieNames(): string[] {
    return this.#cookies.map((c) => c.name);
  }

  /** One request; the body is read whole. A POST sends `form` urlencoded. */
  request(method: "GET" | "POST", url: URL, form?: Record<string, string>): Promise<Answer> {
    // Longest path first, as browsers order them (RFC 6265 §5.4).
    const cookie = this.#cookies
      .filter((c) => pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
    const body = form === undefined ? undefined : new URLSearchParams(form).toString();
    const headers: Record<string, string> = { "user-agent": "portcullis-bench-browser" };
    if (cookie !== "") headers.cookie = cookie;
    if (body !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    return send(this.#agent, method, url, headers, body, (setCookies) => this.keep(url, setCookies));
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A request on `agent`, its answer read whole; bounded in time (10 s). */
export function send(
  agent: Agent,
  method: "GET" | "POST",
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  onCookies?: (setCookies: string[]) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const setCookies = res.headers["set-cookie"];
        if (onCookies !== undefined && setCookies !== undefined) onCookies(setCookies);
        const location = res.headers.location;
        resolve({
          status: res.statusCode ?? 0,
          location: location === undefined ? undefined : new URL(location, url).href,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}
