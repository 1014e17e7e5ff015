/** The one check that keeps a deployment administrable: no act may leave it without an enabled administrator. */
import { ADMIN_ROLE } from "../authz/roles.js";
import type { Stores } from "../persistence.js";
import type { User } from "../users/user.js";

/**
 * An enabled administrator with no other enabled one beside them. Callers hold
 * `stores.userAdmin.lockRoleHolders()`, so two such acts at once cannot each see the other.
 */
export async function isLastEnabledAdmin(stores: Stores, user: User): Promise<boolean> {
  return (
    user.roles.includes(ADMIN_ROLE) &&
    user.disabledAt === null &&
    !(await stores.userAdmin.hasOtherEnabledUserWithRole(ADMIN_ROLE, user.id))
  );
}
