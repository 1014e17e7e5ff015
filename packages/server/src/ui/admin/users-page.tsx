/**
 * `/admin/users`: the users in creation order, searched by email or name ("Search users", a GET
 * form) and paged with the admin API's cursor; and the form that creates a user the way the
 * CLI's `users create` does.
 */
import type { User } from "../../domain/users/user.js";
import { CsrfField, ErrorAlert, Field } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { AdminFrame, TableRegion, Time, UserSearch } from "./admin-frame.js";

export interface CreateUserForm {
  email?: string;
  name?: string;
  roles: string[];
  emailVerified: boolean;
  /** What is wrong, in words: the form's alert, and the field it is about. */
  error?: { message: string; field?: "email" | "password"; details?: string[] };
}

export interface UsersView {
  users: User[];
  query: string | undefined;
  /** The cursor this page was asked with (for the "First page" link). */
  cursor: string | undefined;
  nextCursor: string | null;
  /** Every role the server knows (`config.roles`). */
  roles: readonly string[];
  create: CreateUserForm;
  notice?: string | undefined;
  error?: string | undefined;
}

const listUrl = (query: string | undefined, cursor?: string) => {
  const params = new URLSearchParams();
  if (query !== undefined) params.set("q", query);
  if (cursor !== undefined) params.set("cursor", cursor);
  const search = params.toString();
  return search === "" ? "/admin/users" : `/admin/users?${search}`;
};

export function UsersPage({ ctx, view }: { ctx: PageContext; view: UsersView }) {
  const { t } = ctx;
  const columns = t.admin.columns;
  return (
    <AdminFrame
      ctx={ctx}
      section="users"
      title={t.admin.usersHeading}
      notice={view.notice}
      error={view.error}
    >
      <h1>{t.admin.usersHeading}</h1>
      <UserSearch ctx={ctx} query={view.query} />
      <section class="card">
        <h2 id="users-list-heading">
          {view.query === undefined ? t.admin.allUsers : t.admin.matching(view.query)}
        </h2>
        {view.users.length === 0 ? (
          <p>{t.admin.noUsers}</p>
        ) : (
          <TableRegion labelledBy="users-list-heading">
            <table>
              <thead>
                <tr>
                  <th scope="col">{columns.email}</th>
                  <th scope="col">{columns.name}</th>
                  <th scope="col">{columns.roles}</th>
                  <th scope="col">{columns.status}</th>
                  <th scope="col">{columns.twoFactor}</th>
                  <th scope="col">{columns.created}</th>
                </tr>
              </thead>
              <tbody>
                {view.users.map((user) => (
                  <tr key={user.id}>
                    <th scope="row">
                      <a href={`/admin/users/${encodeURIComponent(user.id)}`}>{user.email}</a>
                    </th>
                    <td>{user.name ?? <span class="muted">{t.admin.notSet}</span>}</td>
                    <td>{user.roles.join(", ")}</td>
                    <td>
                      {user.disabledAt === null ? (
                        t.admin.active
                      ) : (
                        <span class="badge badge-problem">{t.admin.disabled}</span>
                      )}
                    </td>
                    <td>{user.mfaEnabled ? t.admin.on : t.admin.off}</td>
                    <td>
                      <Time ctx={ctx} at={user.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
        {view.cursor === undefined && view.nextCursor === null ? null : (
          <nav class="actions admin-pager" aria-label={t.admin.usersHeading}>
            {view.cursor === undefined ? null : <a href={listUrl(view.query)}>{t.admin.firstPage}</a>}
            {view.nextCursor === null ? null : (
              <a href={listUrl(view.query, view.nextCursor)} rel="next">
                {t.admin.nextPage}
              </a>
            )}
          </nav>
        )}
      </section>
      <CreateUserSection ctx={ctx} roles={view.roles} form={view.create} />
    </AdminFrame>
  );
}

function CreateUserSection({
  ctx,
  roles,
  form,
}: {
  ctx: PageContext;
  roles: readonly string[];
  form: CreateUserForm;
}) {
  const { t } = ctx;
  const create = t.admin.create;
  const error = form.error;
  return (
    <section class="card">
      <h2 id="create-user-heading">{create.heading}</h2>
      <p class="muted">{create.intro}</p>
      <ErrorAlert message={error?.message} details={error?.details ?? []} />
      <form method="post" action="/admin/users" class="stack" novalidate>
        <CsrfField ctx={ctx} />
        <Field
          id="new-email"
          name="email"
          type="email"
          label={t.common.email}
          value={form.email}
          autocomplete="off"
          required
          maxLength={320}
          error={error?.field === "email" ? error.message : undefined}
        />
        <Field
          id="new-password"
          name="password"
          type="password"
          label={t.common.password}
          autocomplete="new-password"
          required
          maxLength={256}
          error={error?.field === "password" ? error.message : undefined}
        />
        <Field
          id="new-name"
          name="name"
          label={`${t.common.name} (${t.common.optional})`}
          value={form.name}
          autocomplete="off"
          maxLength={200}
        />
        <RoleCheckboxes
          idPrefix="new-role"
          roles={roles}
          checked={form.roles}
          legend={t.admin.columns.roles}
        />
        <div class="field">
          <div class="checkbox">
            <input
              type="checkbox"
              id="new-email-verified"
              name="emailVerified"
              checked={form.emailVerified}
              aria-describedby="new-email-verified-hint"
            />
            <label for="new-email-verified">{create.emailVerified}</label>
          </div>
          <span class="hint" id="new-email-verified-hint">
            {create.emailVerifiedHint}
          </span>
        </div>
        <div class="actions">
          <button type="submit">{create.submit}</button>
        </div>
      </form>
    </section>
  );
}

/** One checkbox per role the server knows (`role.<name>` fields), in a fieldset named by `legend`. */
export function RoleCheckboxes({
  idPrefix,
  roles,
  checked,
  legend,
  hint,
}: {
  idPrefix: string;
  roles: readonly string[];
  checked: readonly string[];
  legend: string;
  hint?: string;
}) {
  return (
    <fieldset class="admin-roles" aria-describedby={hint === undefined ? undefined : `${idPrefix}_hint`}>
      <legend>{legend}</legend>
      {hint === undefined ? null : (
        <p class="hint muted" id={`${idPrefix}_hint`}>
          {hint}
        </p>
      )}
      {roles.map((role) => (
        <div class="checkbox" key={role}>
          <input
            type="checkbox"
            id={`${idPrefix}-${role}`}
            name={`role.${role}`}
            checked={checked.includes(role)}
          />
          <label for={`${idPrefix}-${role}`}>{role}</label>
        </div>
      ))}
    </fieldset>
  );
}
