/**
 * The hosted pages: sign-in, sign-up, recovery, the account pages, the admin console and, when the
 * OpenID provider is on, its login and consent. Registered after every API route.
 */
import { NO_PLACES } from "../domain/places/place-lookup.js";
import { loadCsvPlaceLookup } from "../store/geoip/csv-place-lookup.js";
import { pages } from "../ui/pages.js";
import type { OpenIdProvider } from "./openid-provider-feature.js";
import type { Platform } from "./platform-feature.js";

export function servePages({ config, host, openId, isDependencyDown }: Platform & OpenIdProvider): void {
  host.serveWith(async (app, http) => {
    await app.register(pages, {
      ...http,
      openId: openId?.pages,
      isDependencyDown,
      // Read when the server is built, not by the CLI.
      places: config.ui.geoipCsv === undefined ? NO_PLACES : loadCsvPlaceLookup(config.ui.geoipCsv),
    });
  });
}
