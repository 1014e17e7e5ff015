/**
 * Finds the fenced code blocks of a Markdown document that are marked to be run by the docs test:
 * an info string of `sh runnable` or `ts runnable` (docs/README.md describes the convention).
 * Fences may be indented (a block inside a list item); their indentation is removed from the code.
 */

export type SnippetLanguage = "sh" | "ts";

export interface RunnableSnippet {
  /** The document's path, as given. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly language: SnippetLanguage;
  readonly code: string;
}

export const RUNNABLE_MARKER = "runnable";

const LANGUAGES: ReadonlySet<string> = new Set<SnippetLanguage>(["sh", "ts"]);
// CommonMark: a fence is three or more backticks or tildes, indented at most three spaces beyond
// its container; a list item's content may sit deeper, so any indentation is accepted here.
const OPENING_FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

function isLanguage(word: string | undefined): word is SnippetLanguage {
  return word !== undefined && LANGUAGES.has(word);
}

/** Every block whose info string is `sh runnable` or `ts runnable` (more words may follow). */
export function extractRunnableSnippets(markdown: string, file: string): RunnableSnippet[] {
  const lines = markdown.split("\n");
  const snippets: RunnableSnippet[] = [];
  let index = 0;
  while (index < lines.length) {
    const opening = OPENING_FENCE.exec(lines[index] ?? "");
    if (opening === null) {
      index += 1;
      continue;
    }
    const [, indent = "", fence = "", info = ""] = opening;
    const closing = new RegExp(`^\\s*${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !closing.test(lines[end] ?? "")) {
      const line = lines[end] ?? "";
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
      end += 1;
    }
    const [language, ...flags] = info.trim().split(/\s+/);
    if (isLanguage(language) && flags.includes(RUNNABLE_MARKER)) {
      snippets.push({ file, line: index + 1, language, code: body.join("\n") });
    }
    index = end + 1;
  }
  return snippets;
}
