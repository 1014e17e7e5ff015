/**
 * API keys: keys a user or a service presents in `X-API-Key`. Their `lastUsedAt` is gathered in
 * memory and written in batches, and once more when the server closes. Serves /v1/api-keys.
 */
import { type ApiKeyService, createApiKeyService } from "../domain/api-keys/api-key-service.js";
import { apiKeysRoutes } from "../http/routes/api-keys/api-keys-routes.js";
import type { Platform } from "./platform-feature.js";

/** API keys' `lastUsedAt` is written in batches this often, never once per request. */
const API_KEY_LAST_USED_FLUSH_INTERVAL_MS = 15_000;

export interface ApiKeys {
  apiKeys: ApiKeyService;
}

export function createApiKeys({ clock, persistence, host }: Platform): ApiKeys {
  const apiKeys = createApiKeyService({ persistence, clock });
  const failure = "API key lastUsedAt flush failed";
  host.every(API_KEY_LAST_USED_FLUSH_INTERVAL_MS, () => apiKeys.flushLastUsed(), failure);
  host.beforeClose(() => apiKeys.flushLastUsed(), failure);
  host.serve(apiKeysRoutes);
  return { apiKeys };
}
