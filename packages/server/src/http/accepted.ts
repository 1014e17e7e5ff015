/**
 * `202 Accepted` with an empty body, for requests whose outcome is deliberately not told (forgot
 * password, resend verification, registration with PORTCULLIS_EMAIL_TAKEN=notify): nothing in
 * the answer can differ between an address that has an account and one that has not.
 */
import type { FastifyReply } from "fastify";

export function sendAccepted(reply: FastifyReply): FastifyReply {
  return reply.code(202).send();
}
