/** `/admin`: the console's front page — how many users, the last day's sign-ins, and the service's health. */
import type { PageContext } from "../page-context.js";
import { AdminFrame, UserSearch } from "./admin-frame.js";

export interface OverviewView {
  users: number;
  signIns: number;
  failedSignIns: number;
  databaseUp: boolean;
  /** `deps.optionalDependencies()`, as `/readyz` reports it (absent: not configured). */
  optional: Record<string, "ok" | "degraded">;
}

export function OverviewPage({ ctx, view }: { ctx: PageContext; view: OverviewView }) {
  const { t } = ctx;
  const number = new Intl.NumberFormat(ctx.locale.code);
  const health = t.admin.health;
  const rows: { name: string; status: string; ok: boolean }[] = [
    { name: health.database, status: view.databaseUp ? health.ok : health.down, ok: view.databaseUp },
    view.optional.redis === undefined
      ? { name: health.redis, status: health.redisAbsent, ok: true }
      : { name: health.redis, status: health[view.optional.redis], ok: view.optional.redis === "ok" },
    view.optional.revocation_bus === undefined
      ? { name: health.revocation_bus, status: health.busLocal, ok: true }
      : {
          name: health.revocation_bus,
          status: health[view.optional.revocation_bus],
          ok: view.optional.revocation_bus === "ok",
        },
    ...Object.entries(view.optional)
      .filter(([name]) => name !== "redis" && name !== "revocation_bus")
      .map(([name, status]) => ({ name, status: health[status], ok: status === "ok" })),
  ];
  return (
    <AdminFrame ctx={ctx} section="overview" title={t.admin.overview}>
      <h1>{t.admin.title}</h1>
      <UserSearch ctx={ctx} />
      <section class="card">
        <h2 id="stats-heading">{t.admin.stats.heading}</h2>
        <dl class="admin-stats">
          <div>
            <dt>{t.admin.stats.users}</dt>
            <dd>
              <a href="/admin/users">{number.format(view.users)}</a>
            </dd>
          </div>
          <div>
            <dt>{t.admin.stats.signIns}</dt>
            <dd>
              <a href="/admin/audit?type=login.succeeded">{number.format(view.signIns)}</a>
            </dd>
          </div>
          <div>
            <dt>{t.admin.stats.failedSignIns}</dt>
            <dd>
              <a href="/admin/audit?type=login.failed">{number.format(view.failedSignIns)}</a>
            </dd>
          </div>
        </dl>
      </section>
      <section class="card">
        <h2 id="health-heading">{health.heading}</h2>
        <dl class="admin-details">
          {rows.map((row) => (
            <div key={row.name}>
              <dt>{row.name}</dt>
              <dd>
                <span class={row.ok ? "badge" : "badge badge-problem"}>{row.status}</span>
              </dd>
            </div>
          ))}
        </dl>
      </section>
    </AdminFrame>
  );
}
