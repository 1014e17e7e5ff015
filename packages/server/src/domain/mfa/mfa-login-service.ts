/**
 * The second step of a sign-in (`POST /v1/auth/mfa`), as named steps: find the mfaToken → the
 * account's code budget (mfa-failure-limit.ts) → take one of the token's attempts → check the
 * factor (a TOTP code, a backup code or a passkey; each spent with a compare-and-swap) → spend
 * the token → open the session the login asked for, with `amr` saying which factors were used
 * (RFC 8176: `["pwd","otp","mfa"]`, `["pwd","hwk","mfa"]`).
 *
 * A wrong factor counts against the token (5 attempts, then it ends: `invalid_mfa_token`) and
 * against the account, and is recorded as `mfa.code_failed`.
 */
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { ClientContext } from "../audit/audit-event.js";
import type { Persistence } from "../persistence.js";
import type { SignedIn, SignInCompleter } from "../users/sign-in.js";
import type { WebAuthnService } from "../webauthn/webauthn-service.js";
import type { MfaTokens } from "./mfa-tokens.js";
import type { SecondFactorVerifier } from "./second-factor.js";

/** Exactly one second factor. */
export type SecondFactorProof =
  | { code: string }
  | { backupCode: string }
  | { webauthn: AuthenticationResponseJSON };

export type MfaLoginOutcome =
  | SignedIn
  | { ok: false; code: "invalid_mfa_token" | "invalid_mfa_code" }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export interface MfaLoginService {
  complete(
    input: { mfaToken: string; proof: SecondFactorProof },
    client: ClientContext,
  ): Promise<MfaLoginOutcome>;
}

export interface MfaLoginServiceDeps {
  persistence: Persistence;
  mfaTokens: MfaTokens;
  verifier: SecondFactorVerifier;
  webauthn: Pick<WebAuthnService, "verifySecondFactor">;
  signIn: Pick<SignInCompleter, "openSession">;
}

/** RFC 8176: `otp` for a TOTP or backup code, `hwk` for a passkey. */
const amrOf = (proof: SecondFactorProof) => ("webauthn" in proof ? "hwk" : "otp");

export function createMfaLoginService(deps: MfaLoginServiceDeps): MfaLoginService {
  const { persistence, mfaTokens, verifier } = deps;

  return {
    async complete(input, client) {
      const token = await mfaTokens.find(input.mfaToken);
      if (token === undefined) return { ok: false, code: "invalid_mfa_token" };
      const { userId } = token.state;

      const wait = await verifier.retryAfter(userId);
      if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };
      const attempt = await mfaTokens.takeAttempt(token);
      if (!attempt.ok) return { ok: false, code: "invalid_mfa_token" };

      const { proof } = input;
      let accepted: boolean;
      if ("webauthn" in proof) {
        const check = await deps.webauthn.verifySecondFactor(token, proof.webauthn);
        if (check.ok) await verifier.recordSuccess(userId);
        else await verifier.recordFailure(userId, "webauthn", "sign_in", check.reason, client);
        accepted = check.ok;
      } else {
        const check =
          "code" in proof
            ? await verifier.verifyTotp(userId, proof.code, "sign_in", client)
            : await verifier.verifyBackupCode(userId, proof.backupCode, "sign_in", client);
        if (!check.ok && check.code === "rate_limited") return check;
        accepted = check.ok;
      }
      if (!accepted) {
        if (attempt.last) await mfaTokens.end(token);
        return { ok: false, code: "invalid_mfa_code" };
      }

      // Single use: of two requests that both proved a factor, one signs in.
      if (!(await mfaTokens.spend(token))) return { ok: false, code: "invalid_mfa_token" };
      const user = await persistence.users.findUserById(userId);
      if (user === undefined || user.disabledAt !== null) return { ok: false, code: "invalid_mfa_token" };
      return deps.signIn.openSession(
        {
          user,
          amr: [...token.state.amr, amrOf(proof), "mfa"],
          rememberMe: token.state.rememberMe,
          transport: token.state.transport,
          method: token.state.method,
        },
        client,
      );
    },
  };
}
