/**
 * Whether an OpenID request needs the person to sign in again before it goes on: `prompt=login`,
 * or a `max_age` the sign-in is older than, asks for a sign-in made since the request began.
 *
 * Sign-in times and the request's start are whole seconds, so a sign-in in the second the request
 * began is ambiguous: it counts only when this browser came to the request signed out and was
 * sent to sign in (`sentToSignIn`), never for a session that was already there.
 */
export async function needsFreshSignIn(
  request: { reasons: readonly string[]; iat: number },
  authTime: number,
  sentToSignIn: () => Promise<boolean>,
): Promise<boolean> {
  const asked = request.reasons.some((reason) => reason === "login_prompt" || reason === "max_age");
  if (!asked || authTime > request.iat) return false;
  if (authTime < request.iat) return true;
  return !(await sentToSignIn());
}
