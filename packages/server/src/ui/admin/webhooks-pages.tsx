/**
 * The console's "Webhooks" section: endpoints that hear of audit events, over the same
 * `WebhookService` as the admin API and `webhooks …` on the command line, with the signed-in
 * administrator as the actor (so each change is validated and audited alike). Forms POST here and
 * answer 303 to a page with a notice (PRG), or the page again with every problem in words and the
 * typed values kept. The new signing secret crosses the redirect in the ephemeral store
 * (client-secret-reveal.ts), never in a URL.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { AUDIT_EVENT_TYPES } from "../../domain/audit/audit-event.js";
import { ALL_EVENTS, type Webhook } from "../../domain/webhooks/webhook.js";
import type { WebhookInputProblem } from "../../domain/webhooks/webhook-service.js";
import { ProblemError } from "../../http/problem.js";
import { DELIVERY_LIMIT_DEFAULT } from "../../http/routes/admin/admin-webhooks.schema.js";
import type { Messages } from "../i18n/catalogue.js";
import type { PageDeps } from "../page-context.js";
import { type FormBody, formBody, pageContext, seeOther, sendPage, textField } from "../render.js";
import { adminActor, requireAdmin } from "./admin-access.js";
import { createClientSecretReveal } from "./client-secret-reveal.js";
import { DeleteWebhookPage, WebhookPage } from "./webhook-page.js";
import { retriedQuery, retryNoticeOf } from "./webhook-retry-notice.js";
import { eventFieldName, type WebhookForm, WebhooksPage, webhookPath } from "./webhooks-page.js";

const page = { schema: { hide: true } };
/** The admin API's bounds on the same values. */
const MAX_ID = 64;
const MAX_URL = 2048;
const MAX_DESCRIPTION = 500;

type WebhookNotice = keyof Messages["admin"]["webhooksPage"]["notices"];
const NOTICES: readonly WebhookNotice[] = ["created", "saved", "deleted"];

function noticeOf(t: Messages, query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.notice;
  const notice = NOTICES.find((known) => known === value);
  return notice === undefined ? undefined : t.admin.webhooksPage.notices[notice];
}

const withNotice = (path: string, notice: WebhookNotice) => `${path}?notice=${notice}`;

const NEW_WEBHOOK: WebhookForm = { url: "", events: [], description: "", enabled: true };

const formOf = (webhook: Webhook): WebhookForm => ({
  url: webhook.url,
  events: webhook.events,
  description: webhook.description ?? "",
  enabled: webhook.enabled,
});

/** The submitted settings form, as typed ("all events" stands for every type, so it alone is kept). */
function submittedForm(form: FormBody): WebhookForm {
  const checked = (name: string) => form[eventFieldName(name)] === "on";
  return {
    url: textField(form, "url") ?? "",
    events: checked(ALL_EVENTS) ? [ALL_EVENTS] : AUDIT_EVENT_TYPES.filter(checked),
    description: textField(form, "description") ?? "",
    enabled: form.enabled === "on",
  };
}

type FormProblem =
  | WebhookInputProblem
  | { field: "url"; code: "url_required" | "url_too_long" }
  | { field: "description"; code: "description_too_long" };

/** What the service does not check because the API's schema does: presence and length. */
function boundsProblems(form: WebhookForm): FormProblem[] {
  const problems: FormProblem[] = [];
  if (form.url === "") problems.push({ field: "url", code: "url_required" });
  else if (form.url.length > MAX_URL) problems.push({ field: "url", code: "url_too_long" });
  if (form.description.length > MAX_DESCRIPTION)
    problems.push({ field: "description", code: "description_too_long" });
  return problems;
}

/** Each problem as "Events “x.y”: is not an audit event type.", in the reader's language. */
function problemsInWords(t: Messages, problems: FormProblem[], form: WebhookForm): string[] {
  const words = t.admin.webhooksPage;
  return problems.map((problem) => {
    const sentence = words.problems[problem.code];
    if (problem.field === "url") return `${words.url}: ${sentence}`;
    if (problem.field === "description") return `${words.description}: ${sentence}`;
    const event = "index" in problem && problem.index !== null ? form.events[problem.index] : undefined;
    return `${event === undefined ? words.eventsLegend : `${words.eventsLegend} “${event}”`}: ${sentence}`;
  });
}

export const webhooksPages: FastifyPluginAsync<PageDeps> = async (app, deps) => {
  const reveal = createClientSecretReveal(deps.ephemeral, "webhook-secret");

  /** The webhook of `/admin/webhooks/:id…`; a 404 page when there is none. */
  async function webhookOf(request: FastifyRequest): Promise<Webhook> {
    const { id } = request.params as { id: string };
    const webhook =
      id.length > MAX_ID ? undefined : (await deps.webhooks.listWebhooks()).find((each) => each.id === id);
    if (webhook === undefined) throw new ProblemError("not_found");
    return webhook;
  }

  async function renderList(
    request: FastifyRequest,
    reply: FastifyReply,
    form: WebhookForm,
    problems?: string[],
  ): Promise<FastifyReply> {
    const ctx = pageContext(request);
    const webhooks = await deps.webhooks.listWebhooks();
    return sendPage(
      reply,
      <WebhooksPage ctx={ctx} view={{ webhooks, form, problems, notice: noticeOf(ctx.t, request.query) }} />,
      problems === undefined ? 200 : 400,
    );
  }

  async function renderWebhook(
    request: FastifyRequest,
    reply: FastifyReply,
    webhook: Webhook,
    view: { form: WebhookForm; newSecret?: string | undefined; problems?: string[] },
  ): Promise<FastifyReply> {
    const ctx = pageContext(request);
    const deliveries = (await deps.webhooks.listDeliveries(webhook.id, DELIVERY_LIMIT_DEFAULT)) ?? [];
    const notice = noticeOf(ctx.t, request.query) ?? retryNoticeOf(ctx.t, request.query, deliveries);
    return sendPage(
      reply,
      <WebhookPage ctx={ctx} view={{ webhook, deliveries, ...view, notice }} />,
      view.problems === undefined ? 200 : 400,
    );
  }

  app.get("/admin/webhooks", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    return renderList(request, reply, NEW_WEBHOOK);
  });

  app.post("/admin/webhooks", page, async (request, reply) => {
    const admin = requireAdmin(request, reply, "/admin/webhooks");
    if (admin === null) return reply;
    const form = submittedForm(formBody(request));
    const t = pageContext(request).t;
    const bounds = boundsProblems(form);
    if (bounds.length > 0) return renderList(request, reply, form, problemsInWords(t, bounds, form));
    const outcome = await deps.webhooks.createWebhook(
      { url: form.url, events: form.events, description: form.description },
      adminActor(request, admin),
    );
    if (!outcome.ok) return renderList(request, reply, form, problemsInWords(t, outcome.problems, form));
    await reveal.put(admin.sessionId, outcome.webhook.id, outcome.secret);
    return seeOther(reply, withNotice(webhookPath(outcome.webhook.id), "created"));
  });

  app.get("/admin/webhooks/:id", page, async (request, reply) => {
    const admin = requireAdmin(request, reply);
    if (admin === null) return reply;
    const webhook = await webhookOf(request);
    const newSecret = await reveal.take(admin.sessionId, webhook.id);
    return renderWebhook(request, reply, webhook, { form: formOf(webhook), newSecret });
  });

  // The settings form: URL, events, description, enabled.
  app.post("/admin/webhooks/:id", page, async (request, reply) => {
    const { id } = request.params as { id: string };
    const admin = requireAdmin(request, reply, webhookPath(id));
    if (admin === null) return reply;
    const webhook = await webhookOf(request);
    const form = submittedForm(formBody(request));
    const t = pageContext(request).t;
    const bounds = boundsProblems(form);
    if (bounds.length > 0)
      return renderWebhook(request, reply, webhook, { form, problems: problemsInWords(t, bounds, form) });
    const outcome = await deps.webhooks.updateWebhook(
      webhook.id,
      { url: form.url, events: form.events, description: form.description, enabled: form.enabled },
      adminActor(request, admin),
    );
    if (outcome.ok) return seeOther(reply, withNotice(webhookPath(webhook.id), "saved"));
    if (outcome.code === "not_found") throw new ProblemError("not_found");
    return renderWebhook(request, reply, webhook, {
      form,
      problems: problemsInWords(t, outcome.problems, form),
    });
  });

  app.post("/admin/webhooks/:id/deliveries/:deliveryId/retry", page, async (request, reply) => {
    const { id, deliveryId } = request.params as { id: string; deliveryId: string };
    const admin = requireAdmin(request, reply, webhookPath(id));
    if (admin === null) return reply;
    const webhook = await webhookOf(request);
    if (deliveryId.length > MAX_ID) throw new ProblemError("not_found");
    // The attempts so far, so the page after can tell whether the retry has been tried yet.
    const before = (await deps.webhooks.listDeliveries(webhook.id, DELIVERY_LIMIT_DEFAULT))?.find(
      (delivery) => delivery.id === deliveryId,
    );
    if (!(await deps.webhooks.retryDelivery(webhook.id, deliveryId))) throw new ProblemError("not_found");
    return seeOther(reply, `${webhookPath(webhook.id)}?${retriedQuery(deliveryId, before?.attempts)}`);
  });

  app.get("/admin/webhooks/:id/delete", page, async (request, reply) => {
    if (requireAdmin(request, reply) === null) return reply;
    return sendPage(
      reply,
      <DeleteWebhookPage ctx={pageContext(request)} webhook={await webhookOf(request)} />,
    );
  });

  app.post("/admin/webhooks/:id/delete", page, async (request, reply) => {
    const { id } = request.params as { id: string };
    const admin = requireAdmin(request, reply, webhookPath(id));
    if (admin === null) return reply;
    const webhook = await webhookOf(request);
    if (!(await deps.webhooks.deleteWebhook(webhook.id, adminActor(request, admin)))) {
      throw new ProblemError("not_found");
    }
    return seeOther(reply, withNotice("/admin/webhooks", "deleted"));
  });
};
