/**
 * `portcullis clients …`: the OpenID provider's OAuth clients from the command line, through the
 * same service (and rules, and audit events, with no actor) as the admin API. Output is JSON on
 * stdout; a refusal goes to stderr, naming each problem, with exit code 1.
 *
 *   clients create --name N --type confidential --redirect-uri U --grant authorization_code
 *     --grant refresh_token --scope "openid email" [--first-party] [--post-logout-redirect-uri U]
 *     [--backchannel-logout-uri U]           prints {client, clientSecret} (the secret this once)
 *   clients list                             prints {clients}
 *   clients rotate-secret ID                 prints {client, clientSecret}
 *   clients delete ID                        prints {deleted: ID}; its grants and tokens are revoked
 */
import { type Command, Option } from "commander";
import type { Services } from "../app.js";
import type { ClientFieldError } from "../domain/oauth-clients/client-registration.js";
import { CLIENT_TYPES, type ClientType } from "../domain/oauth-clients/oauth-client.js";
import { presentClient } from "../http/routes/admin/clients-routes.js";

/** Runs `work` with the services over the configured database, then closes them. */
export type WithServices = <T>(work: (services: Services) => Promise<T>) => Promise<T>;

/** A repeated option, each value once (so a problem's `/redirectUris/N` is the Nth one given). */
const collect = (value: string, previous: string[]) =>
  previous.includes(value) ? previous : [...previous, value];
/** `--scope "openid email" --scope profile` → every scope named, space-separated or repeated. */
const collectScopes = (value: string, previous: string[]) =>
  value
    .split(" ")
    .filter((scope) => scope !== "")
    .reduce((scopes, scope) => collect(scope, scopes), previous);

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function refuse(message: string, errors: ClientFieldError[] = []): void {
  const lines = [message, ...errors.map((error) => `  ${error.pointer}: ${error.detail}`)];
  process.stderr.write(`${lines.join("\n")}\n`);
  // Not process.exit: the database is closed on the way out.
  process.exitCode = 1;
}

interface CreateOptions {
  name: string;
  type: ClientType;
  redirectUri: string[];
  postLogoutRedirectUri: string[];
  grant: string[];
  scope: string[];
  firstParty?: boolean;
  backchannelLogoutUri?: string;
}

/**
 * Adds `clients` and its subcommands to `program`.
 * @example registerClientsCommand(program, withServices);
 */
export function registerClientsCommand(program: Command, withServices: WithServices): void {
  const clients = program.command("clients").description("manage the OpenID provider's OAuth clients");

  clients
    .command("create")
    .description(
      "register an OAuth client; prints it with its secret (confidential clients), shown this once",
    )
    .requiredOption("--name <name>", "what people see on the consent page (1–100 characters)")
    .addOption(
      new Option("--type <type>", "confidential or public").choices(CLIENT_TYPES).makeOptionMandatory(),
    )
    .option("--redirect-uri <uri>", "a redirect URI, matched exactly; repeat for several", collect, [])
    .option("--post-logout-redirect-uri <uri>", "where logout may return to; repeat for several", collect, [])
    .option(
      "--grant <grant>",
      "authorization_code, refresh_token or client_credentials; repeat for several",
      collect,
      [],
    )
    .option(
      "--scope <scopes>",
      'scopes, space-separated ("openid email"); may be repeated',
      collectScopes,
      [],
    )
    .option("--first-party", "our own app: people are not asked for consent")
    .option("--backchannel-logout-uri <uri>", "where the provider posts logout tokens")
    .action(async (options: CreateOptions) => {
      await withServices(async (services) => {
        const outcome = await services.clients.createClient(
          {
            name: options.name,
            type: options.type,
            redirectUris: options.redirectUri,
            postLogoutRedirectUris: options.postLogoutRedirectUri,
            grantTypes: options.grant,
            scopes: options.scope,
            firstParty: options.firstParty === true,
            backchannelLogoutUri: options.backchannelLogoutUri ?? null,
          },
          null,
        );
        if (!outcome.ok) return refuse("Could not create the client (validation_failed):", outcome.errors);
        print({ client: presentClient(outcome.client), clientSecret: outcome.clientSecret });
      });
    });

  clients
    .command("list")
    .description("print every client, oldest first (never a secret)")
    .action(async () => {
      await withServices(async (services) => {
        print({ clients: (await services.clients.listClients()).map(presentClient) });
      });
    });

  clients
    .command("rotate-secret")
    .description("give a confidential client a new secret; the old one stops working at once")
    .argument("<id>", "the client's id")
    .action(async (id: string) => {
      await withServices(async (services) => {
        const outcome = await services.clients.rotateClientSecret(id, null);
        if (outcome.ok)
          return print({ client: presentClient(outcome.client), clientSecret: outcome.clientSecret });
        refuse(
          outcome.code === "not_found"
            ? `No client has the id ${JSON.stringify(id)} (not_found).`
            : "A public client has no secret to rotate (public_client).",
        );
      });
    });

  clients
    .command("delete")
    .description("delete a client and revoke its grants and tokens")
    .argument("<id>", "the client's id")
    .action(async (id: string) => {
      await withServices(async (services) => {
        if (await services.clients.deleteClient(id, null)) return print({ deleted: id });
        refuse(`No client has the id ${JSON.stringify(id)} (not_found).`);
      });
    });
}
