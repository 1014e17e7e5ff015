/** Global setup of every test run: builds the pages' browser assets (esbuild, well under a second). */
import { buildPageAssets } from "../packages/server/scripts/build-page-assets.js";

export async function setup(): Promise<void> {
  await buildPageAssets();
}
