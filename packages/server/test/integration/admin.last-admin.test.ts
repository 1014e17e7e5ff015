/**
 * The admin API cannot leave a deployment without an enabled administrator: disabling, deleting
 * or taking the role from the last one answers 409 last_admin and changes nothing; once there is
 * a second administrator, the same acts go through.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignedInUser, type SignedIn, send } from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

describe("admin API › the last administrator", () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await createSignedInUser(t, ["user", "admin"]);
  });
  afterAll(() => t.close());

  const userUrl = (user: SignedIn) => `/v1/admin/users/${user.user.id}`;

  it("refuses to disable, demote or delete the only enabled administrator", async () => {
    expectProblem(
      await send(t, "PATCH", userUrl(admin), admin.headers, { disabled: true }),
      409,
      "last_admin",
    );
    expectProblem(
      await send(t, "PATCH", userUrl(admin), admin.headers, { roles: ["user"] }),
      409,
      "last_admin",
    );
    expectProblem(await send(t, "DELETE", userUrl(admin), admin.headers), 409, "last_admin");
    const me = await send(t, "GET", "/v1/me", admin.headers);
    expect(me.json<{ user: { roles: string[] } }>().user.roles).toContain("admin");
  });

  it("lets an administrator step down once another one is enabled", async () => {
    const second = await createSignedInUser(t, ["user", "admin"]);
    const demoted = await send(t, "PATCH", userUrl(admin), second.headers, { roles: ["user"] });
    expect(demoted.statusCode).toBe(200);
    expect(demoted.json<{ user: { roles: string[] } }>().user.roles).toEqual(["user"]);
    // Now the second is the last one.
    expectProblem(await send(t, "DELETE", userUrl(second), second.headers), 409, "last_admin");
  });
});
