/**
 * The admin console (API.md "Pages for people", `GET /admin`, role `admin`): overview, users,
 * audit log, signing keys, clients and webhooks. A thin adapter over the services the admin API and the
 * CLI use — `userAdmin`, `mfa.resetFactors`, `users.createUser`, `auditLog`, `signingKeys` —
 * called with the signed-in administrator as the actor, so each act is checked (the last
 * administrator stays) and audited exactly as through the API. Every form POSTs back here and
 * answers 303 to a page with a notice from a fixed list (PRG), or the page again with the error
 * in words.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { AuditEventPage } from "../../domain/audit/audit-log-service.js";
import type { AuditEventView } from "../../domain/audit/audit-record.js";
import type { User } from "../../domain/users/user.js";
import { ProblemError } from "../../http/problem.js";
import type { PageDeps, PageSession } from "../page-context.js";
import { formBody, pageContext, rawField, seeOther, sendPage, textField } from "../render.js";
import { adminActor, noticeOf, requireAdmin, withNotice } from "./admin-access.js";
import { AuditPage } from "./audit-page.js";
import { clientsPages } from "./clients-pages.js";
import { KeysPage } from "./keys-page.js";
import { OverviewPage } from "./overview-page.js";
import { DeleteUserPage, UserPage } from "./user-page.js";
import { type CreateUserForm, UsersPage } from "./users-page.js";
import { webhooksPages } from "./webhooks-pages.js";

const USERS_PAGE_SIZE = 50;
const EVENTS_PAGE_SIZE = 50;
const USER_EVENTS = 10;
const DAY_MS = 24 * 3600 * 1000;
/** The admin API's bounds on the same values. */
const MAX_QUERY = 320;
const MAX_CURSOR = 512;
const MAX_ID = 64;
const MAX_NAME = 200;

const page = { schema: { hide: true } };

/** A query parameter as one trimmed string, cut to `max` characters; undefined when absent or empty. */
function queryParam(request: FastifyRequest, name: string, max: number): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim().slice(0, max);
  return trimmed === "" ? undefined : trimmed;
}

const userPath = (id: string) => `/admin/users/${encodeURIComponent(id)}`;

export const adminPages: FastifyPluginAsync<PageDeps> = async (app, deps) => {
  const roles = deps.config.roles;

  /** The user of `/admin/users/:id…`; a 404 page when there is none. */
  async function userOf(request: FastifyRequest): Promise<User> {
    const { id } = request.params as { id: string };
    const user = id.length > MAX_ID ? undefined : await deps.userAdmin.getUser(id);
    if (user === undefined) throw new ProblemError("not_found");
    return user;
  }

  /** Emails of the users an event list names (subjects and actors), for links; deleted users have none. */
  async function emailsOf(events: AuditEventView[]): Promise<Map<string, string>> {
    const ids = new Set<string>();
    for (const event of events) {
      if (event.userId !== null) ids.add(event.userId);
      if (event.actorId !== null) ids.add(event.actorId);
    }
    const users = await Promise.all([...ids].map((id) => deps.users.getUser(id)));
    return new Map(users.filter((user) => user !== undefined).map((user) => [user.id, user.email]));
  }

  // Overview ----------------------------------------------------------------------------------

  app.get("/admin", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    const [users, counts, databaseUp, optional] = await Promise.all([
      deps.userAdmin.countUsers(),
      deps.auditLog.countRecentEvents(["login.succeeded", "login.failed"], DAY_MS),
      deps.databaseReady(),
      deps.optionalDependencies(),
    ]);
    return sendPage(
      reply,
      <OverviewPage
        ctx={pageContext(request)}
        view={{
          users,
          signIns: counts["login.succeeded"] ?? 0,
          failedSignIns: counts["login.failed"] ?? 0,
          databaseUp,
          optional,
        }}
      />,
    );
  });

  // Users -------------------------------------------------------------------------------------

  async function renderUsers(
    request: FastifyRequest,
    reply: FastifyReply,
    create: CreateUserForm,
    status = 200,
  ): Promise<FastifyReply> {
    const ctx = pageContext(request);
    const query = queryParam(request, "q", MAX_QUERY);
    let cursor = queryParam(request, "cursor", MAX_CURSOR);
    const list = (from: string | undefined) =>
      deps.userAdmin.listUsers({
        limit: USERS_PAGE_SIZE,
        ...(query === undefined ? {} : { text: query }),
        ...(from === undefined ? {} : { cursor: from }),
      });
    let found = await list(cursor);
    let error: string | undefined;
    if (!found.ok) {
      error = ctx.t.admin.invalidCursor;
      cursor = undefined;
      found = await list(undefined);
      if (status === 200) status = 400;
    }
    const { users, nextCursor } = found.ok ? found : { users: [], nextCursor: null };
    return sendPage(
      reply,
      <UsersPage
        ctx={ctx}
        view={{
          users,
          query,
          cursor,
          nextCursor,
          roles,
          create,
          notice: noticeOf(ctx.t, request.query),
          error,
        }}
      />,
      status,
    );
  }

  app.get("/admin/users", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    return renderUsers(request, reply, { roles: ["user"], emailVerified: true });
  });

  // As `npm run cli -- users create`: an operator's act, so no "address taken" mail to the owner.
  app.post("/admin/users", page, async (request, reply) => {
    const admin = requireAdmin(request, reply, "/admin/users");
    if (admin === null) return reply;
    const { t } = pageContext(request);
    const form = formBody(request);
    const email = textField(form, "email") ?? "";
    const name = textField(form, "name");
    const chosen = roles.filter((role) => form[`role.${role}`] === "on");
    const emailVerified = form.emailVerified === "on";
    const typed: CreateUserForm = {
      email,
      ...(name === undefined ? {} : { name }),
      roles: chosen,
      emailVerified,
    };
    if (name !== undefined && name.length > MAX_NAME) {
      return renderUsers(request, reply, { ...typed, error: { message: t.errors.payload_too_large } }, 400);
    }
    const outcome = await deps.users.createUser(
      {
        email,
        password: rawField(form, "password") ?? "",
        name: name ?? null,
        roles: chosen,
        emailVerified,
        createdBy: adminActor(request, admin),
      },
      null,
    );
    if (outcome.ok) return seeOther(reply, withNotice(userPath(outcome.user.id), "created"));
    if (outcome.code === "weak_password") {
      const details = outcome.weaknesses.map(
        (weakness) => t.passwordRules[weakness] ?? t.errors.weak_password,
      );
      return renderUsers(
        request,
        reply,
        { ...typed, error: { message: t.errors.weak_password, field: "password", details } },
        400,
      );
    }
    if (outcome.code === "invalid_email") {
      const message = t.admin.create.invalidEmail;
      return renderUsers(request, reply, { ...typed, error: { message, field: "email" } }, 400);
    }
    const message = t.admin.create.emailTaken;
    return renderUsers(request, reply, { ...typed, error: { message, field: "email" } }, 409);
  });

  async function renderUser(
    request: FastifyRequest,
    reply: FastifyReply,
    user: User,
    extra: { error?: string; checkedRoles?: string[] } = {},
    status = 200,
  ): Promise<FastifyReply> {
    const ctx = pageContext(request);
    const [sessions, recent, apps] = await Promise.all([
      deps.sessions.listSessions(user.id),
      deps.auditLog.listEvents({ userId: user.id, limit: USER_EVENTS }),
      deps.openId?.listConnectedApps(user.id) ?? null,
    ]);
    const events = recent.ok ? recent.events : [];
    return sendPage(
      reply,
      <UserPage
        ctx={ctx}
        view={{
          user,
          roles,
          checkedRoles: extra.checkedRoles ?? user.roles,
          sessions,
          apps,
          events,
          emails: await emailsOf(events),
          notice: noticeOf(ctx.t, request.query),
          error: extra.error,
        }}
      />,
      status,
    );
  }

  app.get("/admin/users/:id", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    return renderUser(request, reply, await userOf(request));
  });

  /** A POST on one user: back to their page when signed out, a 404 page when there is no such user. */
  function userAct(
    suffix: string,
    act: (
      request: FastifyRequest,
      reply: FastifyReply,
      user: User,
      admin: PageSession,
    ) => Promise<FastifyReply>,
  ) {
    app.post(`/admin/users/:id/${suffix}`, page, async (request, reply) => {
      const { id } = request.params as { id: string };
      const admin = requireAdmin(request, reply, userPath(id));
      if (admin === null) return reply;
      return act(request, reply, await userOf(request), admin);
    });
  }

  for (const [suffix, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    userAct(suffix, async (request, reply, user, admin) => {
      const outcome = await deps.userAdmin.updateUser(user.id, { disabled }, adminActor(request, admin));
      if (outcome.ok)
        return seeOther(reply, withNotice(userPath(user.id), disabled ? "disabled" : "enabled"));
      if (outcome.code === "not_found") throw new ProblemError("not_found");
      const { t } = pageContext(request);
      return renderUser(request, reply, user, { error: t.errors.last_admin }, 409);
    });
  }

  userAct("sign-out", async (request, reply, user, admin) => {
    if (!(await deps.userAdmin.revokeSessions(user.id, adminActor(request, admin)))) {
      throw new ProblemError("not_found");
    }
    return seeOther(reply, withNotice(userPath(user.id), "signedOut"));
  });

  userAct("reset-two-factor", async (request, reply, user, admin) => {
    if (!(await deps.mfa.resetFactors(user.id, adminActor(request, admin))))
      throw new ProblemError("not_found");
    return seeOther(reply, withNotice(userPath(user.id), "mfaReset"));
  });

  userAct("roles", async (request, reply, user, admin) => {
    const form = formBody(request);
    const chosen = roles.filter((role) => form[`role.${role}`] === "on");
    const outcome = await deps.userAdmin.updateUser(user.id, { roles: chosen }, adminActor(request, admin));
    if (outcome.ok) return seeOther(reply, withNotice(userPath(user.id), "rolesSaved"));
    if (outcome.code === "not_found") throw new ProblemError("not_found");
    const { t } = pageContext(request);
    return outcome.code === "last_admin"
      ? renderUser(request, reply, user, { error: t.errors.last_admin, checkedRoles: chosen }, 409)
      : renderUser(request, reply, user, { error: t.admin.user.unknownRoles, checkedRoles: chosen }, 400);
  });

  // Withdraws the user's consent to an app, as "Remove access" on their own account page does.
  userAct("apps/:clientId/remove", async (request, reply, user, admin) => {
    const { clientId } = request.params as { clientId: string };
    await deps.openId?.disconnectApp(user.id, clientId, admin.user.id);
    return seeOther(reply, withNotice(userPath(user.id), "appRemoved"));
  });

  app.get("/admin/users/:id/delete", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    return sendPage(reply, <DeleteUserPage ctx={pageContext(request)} user={await userOf(request)} />);
  });

  userAct("delete", async (request, reply, user, admin) => {
    const outcome = await deps.userAdmin.deleteUser(user.id, adminActor(request, admin));
    if (outcome === "not_found") throw new ProblemError("not_found");
    const ctx = pageContext(request);
    if (outcome === "last_admin") {
      return sendPage(reply, <DeleteUserPage ctx={ctx} user={user} error={ctx.t.errors.last_admin} />, 409);
    }
    return seeOther(reply, withNotice("/admin/users", "deleted"));
  });

  // Audit log ---------------------------------------------------------------------------------

  app.get("/admin/audit", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    const ctx = pageContext(request);
    const userId = queryParam(request, "userId", MAX_ID);
    const type = queryParam(request, "type", MAX_ID);
    let cursor = queryParam(request, "cursor", MAX_CURSOR);
    const list = (from: string | undefined): Promise<AuditEventPage> =>
      deps.auditLog.listEvents({
        limit: EVENTS_PAGE_SIZE,
        ...(userId === undefined ? {} : { userId }),
        ...(type === undefined ? {} : { type }),
        ...(from === undefined ? {} : { cursor: from }),
      });
    let found = await list(cursor);
    let error: string | undefined;
    if (!found.ok) {
      error = ctx.t.admin.invalidCursor;
      cursor = undefined;
      found = await list(undefined);
    }
    const events = found.ok ? found.events : [];
    const verdict = queryParam(request, "verify", 1) === "1" ? await deps.auditLog.verify() : undefined;
    return sendPage(
      reply,
      <AuditPage
        ctx={ctx}
        view={{
          events,
          emails: await emailsOf(events),
          userId,
          type,
          cursor,
          nextCursor: found.ok ? found.nextCursor : null,
          verdict,
          error,
        }}
      />,
      error === undefined ? 200 : 400,
    );
  });

  // Signing keys ------------------------------------------------------------------------------

  app.get("/admin/keys", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    const ctx = pageContext(request);
    const keys = await deps.signingKeys.listKeys();
    return sendPage(reply, <KeysPage ctx={ctx} keys={keys} notice={noticeOf(ctx.t, request.query)} />);
  });

  // As `npm run cli -- keys rotate`, with the administrator recorded as the actor.
  app.post("/admin/keys/rotate", page, async (request, reply) => {
    const admin = requireAdmin(request, reply, "/admin/keys");
    if (admin === null) return reply;
    await deps.signingKeys.rotate(adminActor(request, admin));
    return seeOther(reply, withNotice("/admin/keys", "rotated"));
  });

  // Clients: the OpenID provider's OAuth clients (clients-pages.tsx) ----------------------------

  await app.register(clientsPages, deps);

  // Webhooks: endpoints that hear of audit events (webhooks-pages.tsx) --------------------------

  await app.register(webhooksPages, deps);
};
