/**
 * A minimal user agent for redirect-driven flows (social login): it keeps cookies per host,
 * follows redirects one hop at a time, and submits HTML forms. Requests to the Portcullis under
 * test (its public URL's origin) go through `app.inject()`; every other URL (an OpenID provider
 * or a fake GitHub on loopback) goes over real HTTP. A redirect to any other origin (the app's
 * `redirectTo`) is where a flow lands: it is returned, not fetched.
 */
import type { TestApp } from "./test-app.js";

export interface Page {
  url: string;
  status: number;
  /** Absolute `Location` of a redirect, if any. */
  location: string | undefined;
  body: string;
}

export interface Browser {
  /** One request, no redirect followed. */
  request(method: "GET" | "POST", url: string, form?: Record<string, string>): Promise<Page>;
  /**
   * Follows redirects from `url` until a page that is not a redirect, a redirect that leaves the
   * provider and Portcullis (returned with `status` 302 and that `location`), or a URL for which
   * `stopBefore` answers true (returned unfetched, with `status` 0 and `location` = that URL).
   */
  follow(url: string, stopBefore?: (url: URL) => boolean): Promise<Page>;
  /** Submits the form of `page` whose action ends with `actionSuffix`, then follows redirects. */
  submit(
    page: Page,
    actionSuffix: string,
    fields?: Record<string, string>,
    stopBefore?: (url: URL) => boolean,
  ): Promise<Page>;
  /** The cookies the browser holds for `url`'s host. */
  cookies(url: string): Map<string, string>;
  /** Stores the cookies of a response the test received itself (e.g. a login through `app.inject`). */
  keepCookies(url: string, setCookieHeaders: string[]): void;
  /** Forgets every cookie (a fresh browser profile). */
  clearCookies(): void;
}

export function createBrowser(t: Pick<TestApp, "app" | "config">, providerOrigins: string[]): Browser {
  const jar = new Map<string, Map<string, string>>();
  const portcullis = new URL(t.config.publicUrl).origin;
  const known = new Set([portcullis, ...providerOrigins]);

  const cookiesFor = (url: URL) => {
    let cookies = jar.get(url.host);
    if (cookies === undefined) {
      cookies = new Map();
      jar.set(url.host, cookies);
    }
    return cookies;
  };

  function store(url: URL, setCookies: string[]) {
    const cookies = cookiesFor(url);
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
      if (expired || value === "") cookies.delete(name);
      else cookies.set(name, value);
    }
  }

  async function request(
    method: "GET" | "POST",
    target: string,
    form?: Record<string, string>,
  ): Promise<Page> {
    const url = new URL(target);
    const cookieHeader = [...cookiesFor(url)].map(([name, value]) => `${name}=${value}`).join("; ");
    const headers: Record<string, string> = {
      "user-agent": "portcullis-test-browser",
      ...(cookieHeader === "" ? {} : { cookie: cookieHeader }),
      ...(form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
    };
    const payload = form === undefined ? undefined : new URLSearchParams(form).toString();
    let status: number;
    let location: string | undefined;
    let body: string;
    if (url.origin === portcullis) {
      const response = await t.app.inject({
        method,
        url: `${url.pathname}${url.search}`,
        // The host a real browser would send (the OpenID provider builds URLs from it).
        headers: { host: url.host, ...headers },
        ...(payload === undefined ? {} : { payload }),
      });
      const setCookie = response.headers["set-cookie"];
      store(url, setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]);
      status = response.statusCode;
      location = typeof response.headers.location === "string" ? response.headers.location : undefined;
      body = response.body;
    } else {
      const response = await fetch(url, {
        method,
        headers,
        redirect: "manual",
        ...(payload === undefined ? {} : { body: payload }),
      });
      store(url, response.headers.getSetCookie());
      status = response.status;
      location = response.headers.get("location") ?? undefined;
      body = await response.text();
    }
    return {
      url: url.href,
      status,
      location: location === undefined ? undefined : new URL(location, url).href,
      body,
    };
  }

  async function follow(start: string, stopBefore?: (url: URL) => boolean): Promise<Page> {
    let target = start;
    for (let hop = 0; hop < 20; hop++) {
      const url = new URL(target);
      if (stopBefore?.(url)) return { url: target, status: 0, location: target, body: "" };
      const page = await request("GET", target);
      if (page.status < 300 || page.status >= 400 || page.location === undefined) return page;
      if (!known.has(new URL(page.location).origin)) return page;
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
      if (action === undefined)
        throw new Error(`no form with action …${actionSuffix} on ${page.url}: ${page.body}`);
      const posted = await request("POST", new URL(action, page.url).href, fields);
      if (posted.location === undefined) return posted;
      if (!known.has(new URL(posted.location).origin)) return posted;
      return follow(posted.location, stopBefore);
    },
    cookies: (url) => new Map(cookiesFor(new URL(url))),
    keepCookies: (url, headers) => store(new URL(url), headers),
    clearCookies: () => jar.clear(),
  };
}
