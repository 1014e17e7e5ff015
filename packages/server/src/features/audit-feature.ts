/**
 * The audit log: the hash-chained record of security events, pruned past its retention. Serves
 * GET /v1/me/events, a user's own events.
 */
import { type AuditLogService, createAuditLogService } from "../domain/audit/audit-log-service.js";
import { meEventsRoutes } from "../http/routes/me/me-events-routes.js";
import type { Platform } from "./platform-feature.js";

const AUDIT_PRUNE_INTERVAL_MS = 60 * 60_000;

export interface AuditLog {
  auditLog: AuditLogService;
}

export function createAuditLog({ config, clock, persistence, host }: Platform): AuditLog {
  const auditLog = createAuditLogService({
    persistence,
    clock,
    retentionMs: config.auditRetentionSeconds === null ? null : config.auditRetentionSeconds * 1000,
  });
  host.every(AUDIT_PRUNE_INTERVAL_MS, () => auditLog.prune(), "audit log pruning failed");
  host.serve(meEventsRoutes);
  return { auditLog };
}
