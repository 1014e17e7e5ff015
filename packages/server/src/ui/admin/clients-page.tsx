/**
 * `/admin/clients`: where the OpenID provider's OAuth clients will be managed. The provider is not
 * part of this server yet, so the page says so instead of showing anything made up.
 */
import type { PageContext } from "../page-context.js";
import { AdminFrame } from "./admin-frame.js";

export function ClientsPage({ ctx }: { ctx: PageContext }) {
  const { t } = ctx;
  return (
    <AdminFrame ctx={ctx} section="clients" title={t.admin.clientsPage.heading}>
      <h1>{t.admin.clientsPage.heading}</h1>
      <div class="info">
        <p>{t.admin.clientsPage.notYet(ctx.productName)}</p>
      </div>
    </AdminFrame>
  );
}
