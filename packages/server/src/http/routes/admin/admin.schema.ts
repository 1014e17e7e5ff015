/** Schemas of /v1/admin/*: the contract's User object plus `disabled`, and the audit events. */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses, UserSchema } from "../../schemas.js";
import { AdminEventSchema, EventLimit } from "../me/me-events.schema.js";

export const USER_LIMIT_DEFAULT = 50;

const security = [{ bearerAuth: [] }, { apiKey: [] }];
const guarded = problemResponses(400, 401, 403, 404);

export const AdminUserSchema = Type.Object(
  { ...UserSchema.properties, disabled: Type.Boolean() },
  { additionalProperties: false },
);

const UserId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ListUsersSchema = {
  tags: ["admin"],
  summary: "List users in creation order; `q` searches email and name",
  security,
  querystring: Type.Object(
    {
      q: Type.Optional(Type.String({ maxLength: 320 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: USER_LIMIT_DEFAULT })),
      cursor: Type.Optional(Type.String({ maxLength: 512, description: "`nextCursor` of the page before" })),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object(
      { users: Type.Array(AdminUserSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) },
      { additionalProperties: false },
    ),
    ...guarded,
  },
};

export const GetUserSchema = {
  tags: ["admin"],
  summary: "One user",
  security,
  params: UserId,
  response: { 200: Type.Object({ user: AdminUserSchema }, { additionalProperties: false }), ...guarded },
};

export const PatchUserSchema = {
  tags: ["admin"],
  summary: "Change roles, disable or enable; disabling revokes every session at once",
  security,
  params: UserId,
  body: Type.Object(
    {
      roles: Type.Optional(
        Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32, uniqueItems: true }),
      ),
      disabled: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ user: AdminUserSchema }, { additionalProperties: false }), ...guarded },
};

export const DeleteUserSchema = {
  tags: ["admin"],
  summary: "Delete a user and everything they own; their tokens are refused at once",
  security,
  params: UserId,
  response: { 204: NoContent, ...guarded },
};

export const RevokeUserSessionsSchema = {
  tags: ["admin"],
  summary: "Revoke every session of a user",
  security,
  params: UserId,
  body: Type.Object({}, { additionalProperties: false }),
  response: { 204: NoContent, ...guarded },
};

export const ResetUserMfaSchema = {
  tags: ["admin"],
  summary:
    "Remove every second factor of a user who lost them all (TOTP, backup codes, passkeys); every session ends and the user is mailed",
  security,
  params: UserId,
  body: Type.Object({}, { additionalProperties: false }),
  response: { 204: NoContent, ...guarded },
};

export const ListEventsSchema = {
  tags: ["admin"],
  summary: "Audit events, newest first, filtered by subject and type",
  security,
  querystring: Type.Object(
    {
      userId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      type: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      limit: Type.Optional(EventLimit),
      cursor: Type.Optional(Type.String({ maxLength: 512 })),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object(
      { events: Type.Array(AdminEventSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) },
      { additionalProperties: false },
    ),
    ...guarded,
  },
};
