/** Schemas shared by several routes: the user, the token response, the problem body. */
import { Type } from "@sinclair/typebox";

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    emailVerified: Type.Boolean(),
    name: Type.Union([Type.String(), Type.Null()]),
    roles: Type.Array(Type.String()),
    mfaEnabled: Type.Boolean(),
    createdAt: Type.String({ description: "ISO 8601, UTC" }),
  },
  { $id: "User", additionalProperties: false },
);

export const TokenResponseSchema = Type.Object(
  {
    tokenType: Type.Literal("Bearer"),
    accessToken: Type.String(),
    expiresIn: Type.Integer({ description: "seconds" }),
    refreshToken: Type.String(),
    refreshExpiresIn: Type.Integer({ description: "seconds" }),
    user: Type.Ref(UserSchema),
  },
  { $id: "TokenResponse", additionalProperties: false },
);

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: "Stable snake_case code clients switch on" }),
    detail: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({ pointer: Type.String(), detail: Type.String(), code: Type.Optional(Type.String()) }),
      ),
    ),
  },
  { $id: "Problem", description: "RFC 9457 problem details" },
);

export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, Type.Ref(ProblemSchema)]));

export const NoContent = Type.Null({ description: "No content" });

export const sharedSchemas = [UserSchema, TokenResponseSchema, ProblemSchema];
