/** The account pages. */
import type { FastifyPluginAsync } from "fastify";
import type { PageDeps } from "../page-context.js";

export const accountPages: FastifyPluginAsync<PageDeps> = async (_app, _deps) => {};
