/**
 * The part of `oidc-provider` (v9, which ships no type definitions) that Portcullis uses; its
 * docs/README.md describes the whole API. Kept narrow on purpose: what is not declared here is
 * not used.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export type UnknownObject = Record<string, unknown>;

  export interface InteractionDetails {
    uid: string;
    /** When the request began (seconds since the epoch). */
    iat: number;
    /** When it expires (seconds since the epoch). */
    exp: number;
    prompt: {
      name: string;
      reasons: string[];
      details: {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      } & UnknownObject;
    };
    params: UnknownObject & { client_id: string; redirect_uri?: string; scope?: string };
    session?: { accountId?: string; uid?: string };
    grantId?: string;
    lastSubmission?: UnknownObject;
    returnTo: string;
  }

  export interface Grant {
    readonly jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    rejectOIDCScope(scope: string): void;
    rejectResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface ClientInstance {
    clientId: string;
    clientName?: string;
    clientSecret?: string;
    clientAuthMethod: string;
    redirectUris: string[];
    grantTypeAllowed(type: string): boolean;
    compareClientSecret(actual: string): boolean | Promise<boolean>;
    [metadata: string]: unknown;
  }

  export interface Token {
    readonly kind: string;
    jti: string;
    accountId?: string;
    clientId: string;
    grantId?: string;
    scope?: string;
    aud?: string | string[];
    sessionUid?: string;
    [property: string]: unknown;
  }

  export interface OIDCContext {
    readonly route: string;
    readonly client?: ClientInstance;
    readonly session?: { accountId?: string; loginTs?: number; uid: string };
    readonly params?: UnknownObject;
    readonly entities: Readonly<Record<string, unknown>>;
    readonly issuer: string;
  }

  export interface KoaContextWithOIDC {
    req: IncomingMessage;
    res: ServerResponse;
    oidc: OIDCContext;
    type: string;
    body: unknown;
    status: number;
    host: string;
  }

  export interface Account {
    accountId: string;
    claims(
      use: string,
      scope: string,
      claims: UnknownObject,
      rejected: string[],
    ): Promise<UnknownObject> | UnknownObject;
  }

  export interface AdapterPayload extends UnknownObject {
    grantId?: string;
    uid?: string;
    consumed?: number;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<unknown>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export class Check {
    constructor(
      reason: string,
      description: string,
      check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>,
    );
    static readonly REQUEST_PROMPT: true;
    static readonly NO_NEED_TO_PROMPT: false;
  }

  export interface Prompt {
    readonly name: string;
    readonly checks: { add(check: Check, index?: number): void };
  }

  export interface Policy extends Array<Prompt> {
    get(name: string): Prompt | undefined;
  }

  export const interactionPolicy: {
    base(): Policy;
    Check: typeof Check;
  };

  export class OIDCProviderError extends Error {
    constructor(message?: string, detail?: string);
    readonly error: string;
    readonly status: number;
    error_description?: string;
  }

  export const errors: {
    InvalidGrant: new (detail?: string) => OIDCProviderError;
    InvalidTarget: new (detail?: string) => OIDCProviderError;
    InvalidScope: new (detail: string, scope?: string) => OIDCProviderError;
    AccessDenied: new (detail?: string) => OIDCProviderError;
  };

  export class Provider {
    constructor(issuer: string, configuration: UnknownObject);
    proxy: boolean;
    readonly issuer: string;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      request: IncomingMessage,
      response: ServerResponse,
      result: UnknownObject,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    interactionResult(
      request: IncomingMessage,
      response: ServerResponse,
      result: UnknownObject,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    readonly Grant: {
      new (init: { accountId: string; clientId: string }): Grant;
      find(id: string): Promise<Grant | undefined>;
    };
    readonly Client: {
      find(id: string): Promise<ClientInstance | undefined>;
      prototype: ClientInstance;
    };
    readonly Interaction: {
      find(uid: string): Promise<{ params: UnknownObject; uid: string } | undefined>;
    };
    on(event: string, listener: (...args: never[]) => void): this;
    /** Adds a Koa middleware in front of the provider's routes. */
    use(middleware: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>): this;
  }

  export default Provider;
}
