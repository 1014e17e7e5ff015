/** Schema of GET /v1/auth/csrf. */
import { Type } from "@sinclair/typebox";

export const GetCsrfTokenSchema = {
  tags: ["auth"],
  summary: "A CSRF token for the current cookie session (send it as X-CSRF-Token); also set as pc_csrf",
  response: {
    200: Type.Object(
      {
        csrfToken: Type.String({
          description: "Signed for the session of the request's cookie; without a session it passes no check",
        }),
      },
      { additionalProperties: false },
    ),
  },
};
