/**
 * `/admin/users/:id`: one user — details, the acts an administrator may do ("Disable"/"Enable",
 * "Sign out everywhere", "Reset two-factor"), roles as checkboxes, their live sessions and latest
 * events, and a way to delete them (behind a confirmation page).
 */
import type { AuditEventView } from "../../domain/audit/audit-record.js";
import type { Session } from "../../domain/sessions/session.js";
import type { User } from "../../domain/users/user.js";
import { CsrfField } from "../components/form.js";
import type { ConnectedApp } from "../consent/interaction-pages.js";
import type { PageContext } from "../page-context.js";
import { AdminFrame, formatTime, TableRegion, Time } from "./admin-frame.js";
import { EventTable } from "./audit-page.js";
import { RoleCheckboxes } from "./users-page.js";

export interface UserView {
  user: User;
  roles: readonly string[];
  /** The roles to show checked (the submitted ones after a refused change). */
  checkedRoles: readonly string[];
  sessions: Session[];
  /** The apps allowed to use the account; null when this server is no OpenID provider. */
  apps: ConnectedApp[] | null;
  events: AuditEventView[];
  /** Emails of the users named in `events`, by id. */
  emails: ReadonlyMap<string, string>;
  notice?: string | undefined;
  error?: string | undefined;
}

const userPath = (user: User) => `/admin/users/${encodeURIComponent(user.id)}`;

function ActionForm({
  ctx,
  action,
  label,
  hint,
  id,
  danger = false,
}: {
  ctx: PageContext;
  action: string;
  label: string;
  hint: string;
  id: string;
  danger?: boolean;
}) {
  return (
    <li>
      <form method="post" action={action} class="admin-action">
        <CsrfField ctx={ctx} />
        <button type="submit" class={danger ? "danger" : "secondary"} aria-describedby={id}>
          {label}
        </button>
        <span class="muted" id={id}>
          {hint}
        </span>
      </form>
    </li>
  );
}

export function UserPage({ ctx, view }: { ctx: PageContext; view: UserView }) {
  const { t } = ctx;
  const labels = t.admin.user;
  const { user } = view;
  const path = userPath(user);
  return (
    <AdminFrame
      ctx={ctx}
      section="users"
      sectionRoot={false}
      title={labels.title(user.email)}
      notice={view.notice}
      error={view.error}
    >
      <h1 class="admin-title">{user.email}</h1>
      <section class="card">
        <h2 id="details-heading">{labels.detailsHeading}</h2>
        <dl class="admin-details">
          <div>
            <dt>{labels.id}</dt>
            <dd>
              <code>{user.id}</code>
            </dd>
          </div>
          <div>
            <dt>{t.common.name}</dt>
            <dd>{user.name ?? <span class="muted">{t.admin.notSet}</span>}</dd>
          </div>
          <div>
            <dt>{labels.emailVerified}</dt>
            <dd>{user.emailVerified ? t.admin.yes : t.admin.no}</dd>
          </div>
          <div>
            <dt>{labels.status}</dt>
            <dd>
              {user.disabledAt === null ? (
                t.admin.active
              ) : (
                <span class="badge badge-problem">
                  {labels.disabledSince(formatTime(ctx, user.disabledAt))}
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>{labels.twoFactor}</dt>
            <dd>{user.mfaEnabled ? t.admin.on : t.admin.off}</dd>
          </div>
          <div>
            <dt>{labels.created}</dt>
            <dd>
              <Time ctx={ctx} at={user.createdAt} />
            </dd>
          </div>
          <div>
            <dt>{labels.updated}</dt>
            <dd>
              <Time ctx={ctx} at={user.updatedAt} />
            </dd>
          </div>
        </dl>
      </section>

      <section class="card">
        <h2 id="actions-heading">{labels.actionsHeading}</h2>
        <ul class="plain admin-actions">
          {user.disabledAt === null ? (
            <ActionForm
              ctx={ctx}
              action={`${path}/disable`}
              label={labels.disable}
              hint={labels.disableHint}
              id="disable-hint"
              danger
            />
          ) : (
            <ActionForm
              ctx={ctx}
              action={`${path}/enable`}
              label={labels.enable}
              hint={labels.enableHint}
              id="enable-hint"
            />
          )}
          <ActionForm
            ctx={ctx}
            action={`${path}/sign-out`}
            label={labels.signOutEverywhere}
            hint={labels.signOutHint}
            id="sign-out-hint"
          />
          <ActionForm
            ctx={ctx}
            action={`${path}/reset-two-factor`}
            label={labels.resetTwoFactor}
            hint={labels.resetHint}
            id="reset-hint"
          />
        </ul>
      </section>

      <section class="card">
        <h2 id="roles-heading">{labels.rolesHeading}</h2>
        <form method="post" action={`${path}/roles`} class="stack">
          <CsrfField ctx={ctx} />
          <RoleCheckboxes
            idPrefix="role"
            roles={view.roles}
            checked={view.checkedRoles}
            legend={labels.rolesLegend}
            hint={labels.rolesHint}
          />
          <div class="actions">
            <button type="submit" class="secondary">
              {labels.saveRoles}
            </button>
          </div>
        </form>
      </section>

      <section class="card">
        <h2 id="sessions-heading">{labels.sessionsHeading}</h2>
        {view.sessions.length === 0 ? (
          <p>{labels.noSessions}</p>
        ) : (
          <TableRegion labelledBy="sessions-heading">
            <table>
              <thead>
                <tr>
                  <th scope="col">{labels.started}</th>
                  <th scope="col">{labels.lastSeen}</th>
                  <th scope="col">{labels.kind}</th>
                  <th scope="col">{labels.ip}</th>
                  <th scope="col">{labels.device}</th>
                </tr>
              </thead>
              <tbody>
                {view.sessions.map((session) => (
                  <tr key={session.id}>
                    <td>
                      <Time ctx={ctx} at={session.createdAt} />
                    </td>
                    <td>
                      <Time ctx={ctx} at={session.lastSeenAt} />
                    </td>
                    <td>{session.transport === "cookie" ? labels.browser : labels.app}</td>
                    <td>{session.ip ?? labels.unknownDevice}</td>
                    <td class="admin-wrap">{session.userAgent ?? labels.unknownDevice}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </section>

      {view.apps === null ? null : (
        <section class="card">
          <h2 id="apps-heading">{labels.appsHeading}</h2>
          {view.apps.length === 0 ? (
            <p>{labels.noApps}</p>
          ) : (
            <ul class="plain">
              {view.apps.map((app) => (
                <li key={app.clientId}>
                  <form
                    method="post"
                    action={`${path}/apps/${encodeURIComponent(app.clientId)}/remove`}
                    class="admin-action"
                  >
                    <CsrfField ctx={ctx} />
                    <span id={`app-${app.clientId}`}>
                      <strong>{app.name}</strong> · {app.scopes.join(" ")}
                    </span>
                    <button type="submit" class="secondary" aria-describedby={`app-${app.clientId}`}>
                      {labels.removeApp}
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      <section class="card">
        <h2 id="events-heading">{labels.eventsHeading}</h2>
        {view.events.length === 0 ? (
          <p>{labels.noEvents}</p>
        ) : (
          <EventTable ctx={ctx} events={view.events} emails={view.emails} labelledBy="events-heading" />
        )}
        <p>
          <a href={`/admin/audit?userId=${encodeURIComponent(user.id)}`}>{labels.allEvents}</a>
        </p>
      </section>

      <section class="card">
        <h2 id="delete-heading">{labels.deleteHeading}</h2>
        <p>{labels.deleteHint}</p>
        <p>
          <a href={`${path}/delete`}>{labels.deleteLink}</a>
        </p>
      </section>
    </AdminFrame>
  );
}

/** `/admin/users/:id/delete`: the confirmation; only its POST deletes. */
export function DeleteUserPage({
  ctx,
  user,
  error,
}: {
  ctx: PageContext;
  user: User;
  error?: string | undefined;
}) {
  const { t } = ctx;
  const labels = t.admin.user;
  const path = userPath(user);
  return (
    <AdminFrame
      ctx={ctx}
      section="users"
      sectionRoot={false}
      title={labels.deleteTitle(user.email)}
      error={error}
    >
      <h1 class="admin-title">{labels.deleteTitle(user.email)}</h1>
      <div class="card stack">
        <p>{labels.deleteWarning}</p>
        <form method="post" action={`${path}/delete`} class="actions">
          <CsrfField ctx={ctx} />
          <button type="submit" class="danger">
            {labels.deleteSubmit}
          </button>
          <a href={path}>{labels.backToUser}</a>
        </form>
      </div>
    </AdminFrame>
  );
}
