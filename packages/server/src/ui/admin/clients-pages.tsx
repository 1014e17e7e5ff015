/**
 * The console's "Clients" section: the OpenID provider's OAuth clients, over the same
 * `ClientService` as the admin API and `clients …` on the command line, with the signed-in
 * administrator as the actor (so each act is validated and audited alike). Forms POST here and
 * answer 303 to a page with a notice (PRG), or the page again with every problem in words. A new
 * secret crosses the redirect in the ephemeral store (client-secret-reveal.ts), never in a URL.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { type ClientFieldError, registrableScopes } from "../../domain/oauth-clients/client-registration.js";
import type { ClientChanges } from "../../domain/oauth-clients/client-service.js";
import { GRANT_TYPES, type OAuthClient } from "../../domain/oauth-clients/oauth-client.js";
import { ProblemError } from "../../http/problem.js";
import type { Messages } from "../i18n/catalogue.js";
import type { PageDeps } from "../page-context.js";
import { type FormBody, formBody, pageContext, seeOther, sendPage, textField } from "../render.js";
import { adminActor, requireAdmin } from "./admin-access.js";
import { ClientPage, DeleteClientPage } from "./client-page.js";
import { createClientSecretReveal } from "./client-secret-reveal.js";
import { type ClientForm, ClientsPage, clientPath, grantFieldName, scopeFieldName } from "./clients-page.js";

const page = { schema: { hide: true } };
/** The admin API's bound on a client id. */
const MAX_ID = 64;

type ClientNotice = keyof Messages["admin"]["clientsPage"]["notices"];
const NOTICES: readonly ClientNotice[] = ["created", "saved", "secretRotated", "deleted"];

function noticeOf(t: Messages, query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.notice;
  const notice = NOTICES.find((known) => known === value);
  return notice === undefined ? undefined : t.admin.clientsPage.notices[notice];
}

const withNotice = (path: string, notice: ClientNotice) => `${path}?notice=${notice}`;

/** Non-empty lines, trimmed, each once. */
const lines = (text: string) => [
  ...new Set(
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== ""),
  ),
];

const NEW_CLIENT: ClientForm = {
  name: "",
  type: "confidential",
  grantTypes: ["authorization_code"],
  redirectUris: "",
  postLogoutRedirectUris: "",
  scopes: ["openid"],
  firstParty: false,
  backchannelLogoutUri: "",
};

function formOf(client: OAuthClient): ClientForm {
  return {
    name: client.name,
    type: client.type,
    grantTypes: client.grantTypes,
    redirectUris: client.redirectUris.join("\n"),
    postLogoutRedirectUris: client.postLogoutRedirectUris.join("\n"),
    scopes: client.scopes,
    firstParty: client.firstParty,
    backchannelLogoutUri: client.backchannelLogoutUri ?? "",
  };
}

/** The submitted settings form, as typed (the checkboxes: one `grant:…`/`scope:…` field each). */
function submittedForm(form: FormBody): ClientForm {
  return {
    name: textField(form, "name") ?? "",
    type: form.type === "public" ? "public" : "confidential",
    grantTypes: GRANT_TYPES.filter((grant) => form[grantFieldName(grant)] === "on"),
    redirectUris: form.redirectUris ?? "",
    postLogoutRedirectUris: form.postLogoutRedirectUris ?? "",
    scopes: Object.keys(form)
      .filter((name) => name.startsWith(scopeFieldName("")) && form[name] === "on")
      .map((name) => name.slice(scopeFieldName("").length)),
    firstParty: form.firstParty === "on",
    backchannelLogoutUri: textField(form, "backchannelLogoutUri") ?? "",
  };
}

/** The settings the service is given for a submitted form. */
function settingsOf(form: ClientForm) {
  return {
    name: form.name,
    grantTypes: form.grantTypes,
    redirectUris: lines(form.redirectUris),
    postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
    scopes: form.scopes,
    firstParty: form.firstParty,
    backchannelLogoutUri: form.backchannelLogoutUri === "" ? null : form.backchannelLogoutUri,
  } satisfies ClientChanges;
}

/** Each problem as "Redirect URIs “http://x”: must use https://…", in the reader's language. */
function problemsInWords(
  t: Messages,
  errors: ClientFieldError[],
  settings: ReturnType<typeof settingsOf>,
): string[] {
  const words = t.admin.clientsPage;
  const labels: Record<string, string> = {
    name: words.name,
    type: words.type,
    grantTypes: words.grantTypesLegend,
    redirectUris: words.redirectUris,
    postLogoutRedirectUris: words.postLogoutRedirectUris,
    scopes: words.scopesLegend,
    backchannelLogoutUri: words.backchannelLogoutUri,
  };
  return errors.map(({ pointer, code }) => {
    const [, field = "", index] = pointer.split("/");
    const list =
      field === "redirectUris" ||
      field === "postLogoutRedirectUris" ||
      field === "grantTypes" ||
      field === "scopes"
        ? settings[field]
        : undefined;
    const value =
      field === "backchannelLogoutUri"
        ? (settings.backchannelLogoutUri ?? undefined)
        : index === undefined
          ? undefined
          : list?.[Number(index)];
    const label = labels[field] ?? field;
    return `${value === undefined ? label : `${label} “${value}”`}: ${words.problems[code]}`;
  });
}

export const clientsPages: FastifyPluginAsync<PageDeps> = async (app, deps) => {
  const reveal = createClientSecretReveal(deps.ephemeral);
  const allowedScopes = registrableScopes(deps.config.apiScopes);

  /** The client of `/admin/clients/:id…`; a 404 page when there is none. */
  async function clientOf(request: FastifyRequest): Promise<OAuthClient> {
    const { id } = request.params as { id: string };
    const client = id.length > MAX_ID ? null : await deps.clients.getClient(id);
    if (client === null) throw new ProblemError("not_found");
    return client;
  }

  async function renderList(
    request: FastifyRequest,
    reply: FastifyReply,
    form: ClientForm,
    problems?: string[],
  ): Promise<FastifyReply> {
    const ctx = pageContext(request);
    const clients = await deps.clients.listClients();
    return sendPage(
      reply,
      <ClientsPage
        ctx={ctx}
        view={{ clients, allowedScopes, form, problems, notice: noticeOf(ctx.t, request.query) }}
      />,
      problems === undefined ? 200 : 400,
    );
  }

  app.get("/admin/clients", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    return renderList(request, reply, NEW_CLIENT);
  });

  app.post("/admin/clients", page, async (request, reply) => {
    const admin = requireAdmin(request, reply, "/admin/clients");
    if (admin === null) return reply;
    const form = submittedForm(formBody(request));
    const settings = settingsOf(form);
    const outcome = await deps.clients.createClient(
      { ...settings, type: form.type },
      adminActor(request, admin),
    );
    if (!outcome.ok) {
      return renderList(
        request,
        reply,
        form,
        problemsInWords(pageContext(request).t, outcome.errors, settings),
      );
    }
    if (outcome.clientSecret !== null)
      await reveal.put(admin.sessionId, outcome.client.id, outcome.clientSecret);
    return seeOther(reply, withNotice(clientPath(outcome.client.id), "created"));
  });

  app.get("/admin/clients/:id", page, async (request, reply) => {
    const admin = requireAdmin(request, reply);
    if (admin === null) return reply;
    const client = await clientOf(request);
    const ctx = pageContext(request);
    const newSecret = await reveal.take(admin.sessionId, client.id);
    return sendPage(
      reply,
      <ClientPage
        ctx={ctx}
        view={{
          client,
          allowedScopes,
          form: formOf(client),
          newSecret,
          notice: noticeOf(ctx.t, request.query),
        }}
      />,
    );
  });

  // The settings form: any of the settings but the type.
  app.post("/admin/clients/:id", page, async (request, reply) => {
    const { id } = request.params as { id: string };
    const admin = requireAdmin(request, reply, clientPath(id));
    if (admin === null) return reply;
    const client = await clientOf(request);
    const form = submittedForm(formBody(request));
    const settings = settingsOf(form);
    const outcome = await deps.clients.updateClient(client.id, settings, adminActor(request, admin));
    if (outcome.ok) return seeOther(reply, withNotice(clientPath(client.id), "saved"));
    if (outcome.code === "not_found") throw new ProblemError("not_found");
    const ctx = pageContext(request);
    const problems = problemsInWords(ctx.t, outcome.errors, settings);
    return sendPage(
      reply,
      <ClientPage
        ctx={ctx}
        view={{ client, allowedScopes, form: { ...form, type: client.type }, problems }}
      />,
      400,
    );
  });

  app.post("/admin/clients/:id/rotate-secret", page, async (request, reply) => {
    const { id } = request.params as { id: string };
    const admin = requireAdmin(request, reply, clientPath(id));
    if (admin === null) return reply;
    const client = await clientOf(request);
    const outcome = await deps.clients.rotateClientSecret(client.id, adminActor(request, admin));
    // A public client's page offers no rotation; a crafted POST changes nothing.
    if (!outcome.ok) throw new ProblemError(outcome.code === "not_found" ? "not_found" : "validation_failed");
    await reveal.put(admin.sessionId, client.id, outcome.clientSecret);
    return seeOther(reply, withNotice(clientPath(client.id), "secretRotated"));
  });

  app.get("/admin/clients/:id/delete", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    return sendPage(reply, <DeleteClientPage ctx={pageContext(request)} client={await clientOf(request)} />);
  });

  app.post("/admin/clients/:id/delete", page, async (request, reply) => {
    const { id } = request.params as { id: string };
    const admin = requireAdmin(request, reply, clientPath(id));
    if (admin === null) return reply;
    const client = await clientOf(request);
    if (!(await deps.clients.deleteClient(client.id, adminActor(request, admin)))) {
      throw new ProblemError("not_found");
    }
    return seeOther(reply, withNotice("/admin/clients", "deleted"));
  });
};
