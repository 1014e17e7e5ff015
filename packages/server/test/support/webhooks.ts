/** The webhook admin API as tests use it: create a webhook, read its deliveries, register a user. */
import { expect } from "vitest";
import { type SignedIn, send } from "./accounts.js";
import { STRONG_PASSWORD, type TestApp, uniqueEmail } from "./test-app.js";

export interface WebhookJson {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  createdAt: string;
}

export interface DeliveryJson {
  id: string;
  eventType: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatusCode: number | null;
  createdAt: string;
  deliveredAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

export async function createWebhook(
  t: TestApp,
  admin: SignedIn,
  body: { url: string; events: string[]; description?: string },
): Promise<{ webhook: WebhookJson; secret: string }> {
  const response = await send(t, "POST", "/v1/admin/webhooks", admin.headers, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ webhook: WebhookJson; secret: string }>();
}

export async function listDeliveries(
  t: TestApp,
  admin: SignedIn,
  webhookId: string,
): Promise<DeliveryJson[]> {
  const response = await send(t, "GET", `/v1/admin/webhooks/${webhookId}/deliveries`, admin.headers);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ deliveries: DeliveryJson[] }>().deliveries;
}

/** Registers a new account through the API (the act behind `user.registered`); returns its id. */
export async function registerUser(t: TestApp, email = uniqueEmail("hooked")): Promise<string> {
  const response = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ user: { id: string } }>().user.id;
}
