/**
 * Who may open the console, and in whose name its acts are done. A signed-out visit goes to
 * `/login?redirectTo=…` (back to the page, never to a form's POST address); a signed-in person
 * without the `admin` role gets the 403 page in words. Every act is done by the services with the
 * signed-in administrator as the actor, so the audit log records them exactly as the admin API's.
 *
 * The roles come from the session's user as stored now (the cookie resolver joins them), not
 * from a token, so a role taken away shuts the console at once.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AdminActor } from "../../domain/admin/user-admin-service.js";
import { ADMIN_ROLE } from "../../domain/authz/roles.js";
import { clientContext } from "../../http/client-context.js";
import { ProblemError } from "../../http/problem.js";
import type { Messages } from "../i18n/catalogue.js";
import type { PageSession } from "../page-context.js";
import { pageContext, requireSignedIn, seeOther } from "../render.js";

/**
 * The signed-in administrator, or null after redirecting a signed-out visitor to sign in (the
 * handler then returns the reply). `returnTo` is where a POST's visitor comes back to.
 */
export function requireAdmin(
  request: FastifyRequest,
  reply: FastifyReply,
  returnTo?: string,
): PageSession | null {
  let signedIn: PageSession | null;
  if (returnTo === undefined) signedIn = requireSignedIn(request, reply);
  else {
    signedIn = pageContext(request).signedIn;
    if (signedIn === null) void seeOther(reply, `/login?redirectTo=${encodeURIComponent(returnTo)}`);
  }
  if (signedIn === null) return null;
  if (!signedIn.roles.includes(ADMIN_ROLE)) throw new ProblemError("insufficient_role");
  return signedIn;
}

export function adminActor(request: FastifyRequest, admin: PageSession): AdminActor {
  return { userId: admin.user.id, client: clientContext(request) };
}

export type AdminNotice = keyof Messages["admin"]["notices"];

const NOTICES: readonly AdminNotice[] = [
  "created",
  "disabled",
  "enabled",
  "signedOut",
  "mfaReset",
  "rolesSaved",
  "deleted",
  "rotated",
  "appRemoved",
];

/** The `?notice=` after a redirect, in words; anything not on the list says nothing. */
export function noticeOf(t: Messages, query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.notice;
  return NOTICES.find((notice) => notice === value) === undefined
    ? undefined
    : t.admin.notices[value as AdminNotice];
}

/** `/path?notice=x`: the GET after a successful POST. */
export const withNotice = (path: string, notice: AdminNotice) =>
  `${path}${path.includes("?") ? "&" : "?"}notice=${notice}`;
