/** `Intl.DateTimeFormat`s are costly to build (~50 µs): one per locale and style, made once. */
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The shared formatter for `locale` with `options` (always in UTC: servers and their logs are).
 * @example dateTimeFormat("de", { dateStyle: "medium" }).format(Date.now());
 */
export function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let found = formats.get(key);
  if (found === undefined) {
    found = new Intl.DateTimeFormat(locale, { ...options, timeZone: "UTC" });
    formats.set(key, found);
  }
  return found;
}
