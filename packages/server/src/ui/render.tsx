/**
 * Turning a page into a response, and the small verbs every page handler uses: send a page,
 * redirect after a POST (303, so the browser GETs the next page), read a form field, say an
 * error code or a wait in words.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { ProblemCode } from "../http/problem.js";
import type { Messages } from "./i18n/catalogue.js";
import type { PageContext, PageSession } from "./page-context.js";

/** Renders `page` (escaped by default: text and attributes are never raw HTML) as the response. */
export function sendPage(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
  return reply
    .code(status)
    .type("text/html; charset=utf-8")
    .send(`<!doctype html>${renderToString(page)}`);
}

/** POST → 303 → GET (the PRG pattern): a reload never submits the form again. */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header("location", location).send();
}

/** The page context of a request the pages plugin serves. */
export function pageContext(request: FastifyRequest): PageContext {
  if (request.page === null) throw new Error("pageContext: not a page request");
  return request.page;
}

/**
 * The signed-in person, or null after redirecting a signed-out visitor to
 * `/login?redirectTo=<this page>` (the handler then returns the reply).
 */
export function requireSignedIn(request: FastifyRequest, reply: FastifyReply): PageSession | null {
  const ctx = pageContext(request);
  if (ctx.signedIn !== null) return ctx.signedIn;
  void seeOther(reply, `/login?redirectTo=${encodeURIComponent(request.url)}`);
  return null;
}

export type FormBody = Record<string, string>;

/** The submitted form (urlencoded; the first value of a repeated name); empty for anything else. */
export function formBody(request: FastifyRequest): FormBody {
  const body = request.body;
  const isForm = String(request.headers["content-type"] ?? "").startsWith(
    "application/x-www-form-urlencoded",
  );
  if (!isForm || typeof body !== "object" || body === null) return Object.create(null) as FormBody;
  return body as FormBody;
}

/** A trimmed text field; undefined when absent or empty. Passwords: use `rawField` (no trimming). */
export function textField(form: FormBody, name: string): string | undefined {
  const value = form[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

export function rawField(form: FormBody, name: string): string | undefined {
  const value = form[name];
  return value === undefined || value === "" ? undefined : value;
}

/** An error code in words. */
export function errorMessage(t: Messages, code: ProblemCode): string {
  return t.errors[code];
}

/** `125` → "3 minutes" (rounded up; seconds under a minute). */
export function waitInWords(t: Messages, seconds: number): string {
  if (seconds < 60) return t.common.seconds(Math.max(1, Math.ceil(seconds)));
  if (seconds < 5400) return t.common.minutes(Math.ceil(seconds / 60));
  return t.common.hours(Math.ceil(seconds / 3600));
}

/** The rate-limit message with its wait: "Too many attempts… Try again in 3 minutes." */
export function rateLimitedMessage(t: Messages, retryAfterSeconds: number): string {
  return `${t.errors.rate_limited} ${t.common.tryAgainIn(waitInWords(t, retryAfterSeconds))}`;
}
