/** The admin pages. */
import type { FastifyPluginAsync } from "fastify";
import type { PageDeps } from "../page-context.js";

export const adminPages: FastifyPluginAsync<PageDeps> = async (_app, _deps) => {};
