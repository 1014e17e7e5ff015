/**
 * A small stand-in for GitHub's OAuth endpoints and REST API on loopback (node:http), since the
 * real GitHub is out of reach in tests. It behaves as GitHub documents: `/login/oauth/authorize`
 * (the user is taken to be signed in and to consent, unless `denyNext()`), the token endpoint
 * answering JSON with HTTP 200 even for errors (`bad_verification_code`), PKCE S256 checked,
 * codes single use; `GET /api/v3/user` and `/api/v3/user/emails` with the bearer token (the
 * GitHub Enterprise Server layout, so `PORTCULLIS_OAUTH_GITHUB_API_URL` = `<url>/api/v3`).
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GitHubAccount {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface FakeGitHub {
  url: string;
  clientId: string;
  clientSecret: string;
  setNextUser(account: GitHubAccount): void;
  /** The next authorization is refused by the "user" (error=access_denied). */
  denyNext(): void;
  /** The REST API answers 502 until told otherwise. */
  setApiDown(down: boolean): void;
  portcullisEnv(): Record<string, string>;
  close(): Promise<void>;
}

interface IssuedCode {
  account: GitHubAccount;
  redirectUri: string;
  challenge: string;
}

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const clientId = "Iv1.portcullis";
  const clientSecret = randomBytes(20).toString("hex");
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, GitHubAccount>();
  let next: GitHubAccount = { id: 1, login: "octocat", name: null, emails: [] };
  let deny = false;
  let apiDown = false;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? "/", "http://github.test");
    if (request.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const redirect = new URL(url.searchParams.get("redirect_uri") ?? "");
      const state = url.searchParams.get("state");
      if (url.searchParams.get("client_id") !== clientId)
        return json(response, 404, { error: "unknown client" });
      if (deny) {
        deny = false;
        redirect.searchParams.set("error", "access_denied");
      } else {
        const code = randomBytes(10).toString("hex");
        codes.set(code, {
          account: next,
          redirectUri: redirect.href,
          challenge:
            url.searchParams.get("code_challenge_method") === "S256"
              ? (url.searchParams.get("code_challenge") ?? "")
              : "",
        });
        redirect.searchParams.set("code", code);
      }
      if (state !== null) redirect.searchParams.set("state", state);
      response.writeHead(302, { location: redirect.href }).end();
      return;
    }
    if (request.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = new URLSearchParams(await readBody(request));
      if (form.get("client_id") !== clientId || form.get("client_secret") !== clientSecret) {
        return json(response, 200, { error: "incorrect_client_credentials" });
      }
      const code = form.get("code") ?? "";
      const issued = codes.get(code);
      codes.delete(code);
      if (
        issued === undefined ||
        issued.redirectUri !== form.get("redirect_uri") ||
        issued.challenge === "" ||
        issued.challenge !== s256(form.get("code_verifier") ?? "")
      ) {
        // GitHub answers errors of the token endpoint with 200.
        return json(response, 200, {
          error: "bad_verification_code",
          error_description: "The code passed is incorrect or expired.",
        });
      }
      const token = `gho_${randomBytes(18).toString("hex")}`;
      tokens.set(token, issued.account);
      return json(response, 200, {
        access_token: token,
        token_type: "bearer",
        scope: "read:user,user:email",
      });
    }
    if (
      request.method === "GET" &&
      (url.pathname === "/api/v3/user" || url.pathname === "/api/v3/user/emails")
    ) {
      if (apiDown) return json(response, 502, { message: "Server Error" });
      const account = tokens.get((request.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (account === undefined) return json(response, 401, { message: "Bad credentials" });
      if (url.pathname === "/api/v3/user/emails") return json(response, 200, account.emails);
      return json(response, 200, { id: account.id, login: account.login, name: account.name });
    }
    json(response, 404, { message: "Not Found" });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => json(response, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    clientId,
    clientSecret,
    setNextUser(account) {
      next = account;
    },
    denyNext() {
      deny = true;
    },
    setApiDown(down) {
      apiDown = down;
    },
    portcullisEnv: () => ({
      PORTCULLIS_OAUTH_GITHUB_CLIENT_ID: clientId,
      PORTCULLIS_OAUTH_GITHUB_CLIENT_SECRET: clientSecret,
      PORTCULLIS_OAUTH_GITHUB_URL: url,
      PORTCULLIS_OAUTH_GITHUB_API_URL: `${url}/api/v3`,
    }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
