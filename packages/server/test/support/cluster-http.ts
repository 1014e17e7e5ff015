/**
 * Talking to one chosen instance of a cluster (test/support/cluster.ts) as if through a load
 * balancer: requests are addressed to the public URL and sent over real HTTP to the instance's
 * port with the public URL's `Host`, so every instance serves the one issuer. `fetch` cannot set
 * `Host`, hence `node:http`. A relying party (`openid-client`'s `customFetch`) and a browser (the
 * `Browser` of test/support/browser.ts, cookies kept per public host) can each be pointed at any
 * instance, request by request.
 */
import { request as httpRequest } from "node:http";
import type * as client from "openid-client";
import type { Browser, Page } from "./browser.js";
import type { Instance } from "./cluster.js";

export interface InstanceResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** One request for `url` (under the public URL), served by `instance`. */
export function requestInstance(
  instance: Pick<Instance, "url">,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<InstanceResponse> {
  const target = new URL(url);
  const listener = new URL(instance.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: listener.hostname,
        port: listener.port,
        method,
        path: `${target.pathname}${target.search}`,
        headers: {
          ...headers,
          host: target.host,
          ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("error", reject);
        incoming.on("end", () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (value === undefined) continue;
            for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, item);
          }
          resolve({
            status: incoming.statusCode ?? 0,
            headers: responseHeaders,
            body: Buffer.concat(chunks),
          });
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** openid-client's fetch, served by whichever instance `route` names at the time of each request. */
export function fetchThrough(route: () => Instance): client.CustomFetch {
  return async (url, options) => {
    const body = options.body;
    const response = await requestInstance(
      route(),
      options.method,
      url,
      { ...options.headers },
      body === undefined || body === null ? undefined : String(body),
    );
    const empty = response.status === 204 || response.status === 304;
    return new Response(empty ? null : new Uint8Array(response.body), {
      status: response.status,
      headers: response.headers,
    });
  };
}

/**
 * A browser whose requests to the public URL are served by the instance `route` names at the
 * time; a redirect away from the public URL is where a flow lands, and is returned, not fetched.
 */
export function createInstanceBrowser(publicUrl: string, route: () => Instance): Browser {
  const origin = new URL(publicUrl).origin;
  const jar = new Map<string, string>();

  function store(setCookies: string[]) {
    for (const header of setCookies) {
      const [pair = "", ...attributes] = header.split(";").map((part) => part.trim());
      const equals = pair.indexOf("=");
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      const expired = attributes.some(
        (attribute) =>
          /^max-age=(0|-)/i.test(attribute) ||
          (/^expires=/i.test(attribute) && Date.parse(attribute.slice(8)) < Date.now()),
      );
      if (expired || value === "") jar.delete(name);
      else jar.set(name, value);
    }
  }

  async function request(
    method: "GET" | "POST",
    target: string,
    form?: Record<string, string>,
  ): Promise<Page> {
    const url = new URL(target);
    if (url.origin !== origin)
      throw new Error(`the instance browser only visits ${origin}, not ${url.origin}`);
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await requestInstance(
      route(),
      method,
      url.href,
      {
        "user-agent": "portcullis-test-browser",
        ...(cookie === "" ? {} : { cookie }),
        ...(form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
      },
      form === undefined ? undefined : new URLSearchParams(form).toString(),
    );
    store(response.headers.getSetCookie());
    const location = response.headers.get("location");
    return {
      url: url.href,
      status: response.status,
      location: location === null ? undefined : new URL(location, url).href,
      body: response.body.toString("utf8"),
    };
  }

  async function follow(start: string, stopBefore?: (url: URL) => boolean): Promise<Page> {
    let target = start;
    for (let hop = 0; hop < 20; hop++) {
      if (stopBefore?.(new URL(target))) return { url: target, status: 0, location: target, body: "" };
      const page = await request("GET", target);
      if (page.status < 300 || page.status >= 400 || page.location === undefined) return page;
      if (new URL(page.location).origin !== origin) return page;
      target = page.location;
    }
    throw new Error(`too many redirects from ${start}`);
  }

  return {
    request,
    follow,
    async submit(page, actionSuffix, fields = {}, stopBefore) {
      const actions = [...page.body.matchAll(/<form[^>]*action="([^"]+)"/g)].map((match) => match[1] ?? "");
      const action = actions.find((candidate) => candidate.endsWith(actionSuffix));
      if (action === undefined) throw new Error(`no form with action …${actionSuffix} on ${page.url}`);
      const posted = await request("POST", new URL(action, page.url).href, fields);
      if (posted.location === undefined || new URL(posted.location).origin !== origin) return posted;
      return follow(posted.location, stopBefore);
    },
    cookies: () => new Map(jar),
    keepCookies: (_url, headers) => store(headers),
    clearCookies: () => jar.clear(),
  };
}
