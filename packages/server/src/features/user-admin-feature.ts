/**
 * User administration: what administrators do to other accounts (roles, disabling, revoking
 * sessions, resetting MFA). Serves /v1/admin/users and /v1/admin/events.
 */
import { createUserAdminService, type UserAdminService } from "../domain/admin/user-admin-service.js";
import { adminRoutes } from "../http/routes/admin/admin-routes.js";
import type { Platform } from "./platform-feature.js";
import type { Sessions } from "./sessions-feature.js";

export interface UserAdmin {
  userAdmin: UserAdminService;
}

export function createUserAdmin(deps: Platform & Sessions): UserAdmin {
  const { config } = deps;
  const userAdmin = createUserAdminService({
    persistence: deps.persistence,
    clock: deps.clock,
    sessions: deps.sessions,
    revocations: deps.revocations,
    bus: deps.bus,
    roles: config.roles,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  deps.host.serve(adminRoutes);
  return { userAdmin };
}
