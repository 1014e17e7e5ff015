/** The sign-up pages. */
import type { FastifyPluginAsync } from "fastify";
import type { PageDeps } from "../page-context.js";

export const signUpPages: FastifyPluginAsync<PageDeps> = async (_app, _deps) => {};
