/** The recovery pages. */
import type { FastifyPluginAsync } from "fastify";
import type { PageDeps } from "../page-context.js";

export const recoveryPages: FastifyPluginAsync<PageDeps> = async (_app, _deps) => {};
