/**
 * What went wrong talking to a provider, as the flow's failure codes: a provider that does not
 * answer (network, timeout, 5xx) is `provider_unavailable`; one that answers with an OAuth error
 * or with something that fails validation is `provider_error`. The reason is for the log: error
 * messages of openid-client, which name what failed, never the value (no code, token or secret).
 */
import * as oidc from "openid-client";
import type { ProviderFailure } from "../domain/oauth/provider-client.js";

const MAX_REASON_LENGTH = 300;

const unavailable = (reason: string): ProviderFailure => ({
  ok: false,
  code: "provider_unavailable",
  reason: reason.slice(0, MAX_REASON_LENGTH),
});
const providerError = (reason: string): ProviderFailure => ({
  ok: false,
  code: "provider_error",
  reason: reason.slice(0, MAX_REASON_LENGTH),
});

function isNetworkFailure(error: unknown): boolean {
  if (error instanceof TypeError) return true; // fetch: refused, reset, DNS, bad port
  const name = (error as { name?: unknown } | null)?.name;
  return name === "TimeoutError" || name === "AbortError";
}

function causeMessage(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : "";
}

/** Maps anything thrown while talking to a provider at `step` to a failure. */
export function classifyProviderError(step: string, error: unknown): ProviderFailure {
  if (isNetworkFailure(error)) return unavailable(`${step}: the provider did not answer`);
  if (error instanceof oidc.AuthorizationResponseError) {
    return error.error === "access_denied"
      ? { ok: false, code: "access_denied", reason: `${step}: the user denied consent` }
      : providerError(`${step}: the provider answered error=${error.error}`);
  }
  if (error instanceof oidc.ResponseBodyError) {
    return error.status >= 500
      ? unavailable(`${step}: the provider answered ${error.status}`)
      : providerError(`${step}: the provider answered ${error.status} error=${error.error}`);
  }
  if (error instanceof Error) {
    const response = error.cause;
    if (response instanceof Response && response.status >= 500) {
      return unavailable(`${step}: the provider answered ${response.status}`);
    }
    return providerError(`${step}: ${error.message}${causeMessage(error)}`);
  }
  return providerError(`${step}: unexpected failure`);
}
