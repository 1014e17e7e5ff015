import { describe, expect, it } from "vitest";
import { needsFreshSignIn } from "./fresh-sign-in.js";

const began = 1_800_000_000;
const loginPrompt = { reasons: ["login_prompt"], iat: began };
const sent = async () => true;
const notSent = async () => false;

describe("needsFreshSignIn", () => {
  it("lets a signed-in person through when the request asks nothing of the sign-in", async () => {
    await expect(
      needsFreshSignIn({ reasons: ["op_scopes_missing"], iat: began }, began - 60, notSent),
    ).resolves.toBe(false);
  });

  it("asks again for a sign-in older than the request, under prompt=login or max_age", async () => {
    await expect(needsFreshSignIn(loginPrompt, began - 1, sent)).resolves.toBe(true);
    await expect(needsFreshSignIn({ reasons: ["max_age"], iat: began }, began - 1, sent)).resolves.toBe(true);
  });

  it("accepts a sign-in in a later second than the request's", async () => {
    await expect(needsFreshSignIn(loginPrompt, began + 1, notSent)).resolves.toBe(false);
  });

  it("in the request's own second, accepts the sign-in only of a browser sent to sign in", async () => {
    await expect(needsFreshSignIn(loginPrompt, began, sent)).resolves.toBe(false);
    await expect(needsFreshSignIn(loginPrompt, began, notSent)).resolves.toBe(true);
  });
});
