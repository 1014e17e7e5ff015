/**
 * `/admin/keys`: the signing keys (id, algorithm, created, status, and when a retired one leaves
 * the JWKS), and "Rotate" — the same rotation as `npm run cli -- keys rotate`, recorded with the
 * administrator as the actor.
 */
import type { SigningKeySummary } from "../../domain/tokens/signing-key-service.js";
import { CsrfField } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { AdminFrame, formatTime, TableRegion, Time } from "./admin-frame.js";

export function KeysPage({
  ctx,
  keys,
  notice,
}: {
  ctx: PageContext;
  keys: SigningKeySummary[];
  notice?: string | undefined;
}) {
  const { t } = ctx;
  const labels = t.admin.keys;
  return (
    <AdminFrame ctx={ctx} section="keys" title={labels.heading} notice={notice}>
      <h1 id="keys-heading">{labels.heading}</h1>
      <section class="card">
        <p class="admin-lead">{labels.intro}</p>
        <TableRegion labelledBy="keys-heading">
          <table>
            <thead>
              <tr>
                <th scope="col">{labels.kid}</th>
                <th scope="col">{labels.alg}</th>
                <th scope="col">{labels.created}</th>
                <th scope="col">{labels.status}</th>
                <th scope="col">{labels.retires}</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.kid}>
                  <th scope="row">
                    <code>{key.kid}</code>
                  </th>
                  <td>{key.alg}</td>
                  <td>
                    <Time ctx={ctx} at={key.createdAt} />
                  </td>
                  <td>
                    {key.status === "current" ? (
                      <span class="badge">{labels.current}</span>
                    ) : key.status === "retired" ? (
                      key.retiredAt === null ? (
                        labels.retired
                      ) : (
                        labels.retiredAt(formatTime(ctx, key.retiredAt))
                      )
                    ) : (
                      labels.unused
                    )}
                  </td>
                  <td>
                    {key.retiresAt === null ? (
                      key.status === "current" ? (
                        labels.signsNewTokens
                      ) : (
                        ""
                      )
                    ) : (
                      <Time ctx={ctx} at={key.retiresAt} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
        <form method="post" action="/admin/keys/rotate" class="admin-action">
          <CsrfField ctx={ctx} />
          <button type="submit" aria-describedby="rotate-hint">
            {labels.rotate}
          </button>
          <span class="muted" id="rotate-hint">
            {labels.rotateHint}
          </span>
        </form>
      </section>
    </AdminFrame>
  );
}
