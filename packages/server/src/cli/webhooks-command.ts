/**
 * `portcullis webhooks …`: webhooks from the command line, through the same service (rules and
 * audit events, with no actor) as the admin API. Output is JSON on stdout; a refusal goes to
 * stderr, naming each problem, with exit code 1. A server instance sees a webhook made here
 * within a few seconds (its cache of subscriptions expires).
 *
 *   webhooks create --url U --event T [--event T]… [--description D]
 *                               prints {webhook, secret} (the secret this once)
 *   webhooks list               prints {webhooks}
 *   webhooks delete ID          prints {deleted: ID}
 */
import type { Command } from "commander";
import type { Services } from "../app.js";
import type { WebhookInputProblem } from "../domain/webhooks/webhook-service.js";
import { presentWebhook, webhookProblemPointer } from "../http/routes/admin/admin-webhooks-routes.js";

/** Runs `work` with the services over the configured database, then closes them. */
export type WithServices = <T>(work: (services: Services) => Promise<T>) => Promise<T>;

const collect = (value: string, previous: string[]) => [...previous, value];
const CLI_ACTOR = { userId: null, client: null };

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function refuse(message: string, problems: WebhookInputProblem[] = []): void {
  const lines = [
    message,
    ...problems.map((problem) => `  ${webhookProblemPointer(problem)}: ${problem.reason}`),
  ];
  process.stderr.write(`${lines.join("\n")}\n`);
  // Not process.exit: the database is closed on the way out.
  process.exitCode = 1;
}

export function registerWebhooksCommand(program: Command, withServices: WithServices): void {
  const webhooks = program.command("webhooks").description("webhooks: endpoints that hear of audit events");

  webhooks
    .command("create")
    .description("register a webhook; prints it with its signing secret, shown this once")
    .requiredOption("--url <url>", "https:// endpoint (http:// outside production)")
    .requiredOption("--event <type>", 'an audit event type, or "*" for all; repeat for several', collect, [])
    .option("--description <text>", "what it is for")
    .action(async (options: { url: string; event: string[]; description?: string }) => {
      await withServices(async (services) => {
        const outcome = await services.webhooks.createWebhook(
          { url: options.url, events: options.event, description: options.description ?? null },
          CLI_ACTOR,
        );
        if (!outcome.ok) return refuse("Could not create the webhook:", outcome.problems);
        print({ webhook: presentWebhook(outcome.webhook), secret: outcome.secret });
      });
    });

  webhooks
    .command("list")
    .description("list the webhooks (never their secrets)")
    .action(async () => {
      await withServices(async (services) => {
        print({ webhooks: (await services.webhooks.listWebhooks()).map(presentWebhook) });
      });
    });

  webhooks
    .command("delete")
    .description("delete a webhook and its deliveries")
    .argument("<id>", "the webhook's id")
    .action(async (id: string) => {
      await withServices(async (services) => {
        if (!(await services.webhooks.deleteWebhook(id, CLI_ACTOR))) return refuse(`No webhook ${id}.`);
        print({ deleted: id });
      });
    });
}
