/**
 * Tool names an OpenAI-format host or Gemini takes, for an Anthropic client's request.
 *
 * Anthropic takes a tool name of up to 128 characters (`^[a-zA-Z0-9_-]{1,128}$`), and Claude Code
 * names MCP tools `mcp__<server>__<tool>`, which often pass 64. OpenAI's functions take
 * `^[a-zA-Z0-9_-]{1,64}$` and Gemini's declarations 64 characters too: one such name and the
 * whole request is refused. So a name outside OpenAI's pattern goes up as a stand-in that keeps
 * as much of it as fits, with a hash of the whole name, and the answer's calls get the client's
 * name back (from-openai-response.ts). The stand-in depends only on the name (and, on a clash,
 * on the request's other tool names), so each turn of a conversation sends the same one.
 *
 * Nothing is allocated until a name needs a stand-in: most requests have none.
 */
import { createHash } from 'node:crypto';

/** What OpenAI's `FunctionDefinition.name` takes. */
const ACCEPTED = /^[a-zA-Z0-9_-]{1,64}$/;
/** 55 kept + '_' + 8 hex digits = 64. */
const KEPT = 55;

/** Stand-in → the client's own name, for the names that needed one. */
export type ToolNameMap = ReadonlyMap<string, string>;

export class SentToolNames {
  private back: Map<string, string> | undefined;
  private given: Map<string, string> | undefined;
  private taken: Set<string> | undefined;

  /** `offered`: the request's own tool names, which a stand-in must not take. */
  constructor(private readonly offered: () => Iterable<string>) {}

  /** The name the upstream gets for the client's `name`. */
  sent(name: string): string {
    // A name that is no string is the upstream's to refuse, as before.
    if (typeof name !== 'string' || ACCEPTED.test(name)) return name;
    const known = this.given?.get(name);
    if (known !== undefined) return known;
    this.back ??= new Map();
    this.given ??= new Map();
    this.taken ??= new Set(this.offered());
    let standIn = standInFor(name, 0);
    // Only a tool named like another's stand-in clashes (a 32-bit hash apart from that).
    for (let salt = 1; this.taken.has(standIn); salt++) standIn = standInFor(name, salt);
    this.taken.add(standIn);
    this.given.set(name, standIn);
    this.back.set(standIn, name);
    return standIn;
  }

  /** Stand-in → client's name, or undefined when every name went up as it was. */
  get map(): ToolNameMap | undefined {
    return this.back;
  }
}

/** The client's name for a name the upstream used. */
export function clientToolName(name: string, map: ToolNameMap | undefined): string {
  return map?.get(name) ?? name;
}

function standInFor(name: string, salt: number): string {
  // Gemini wants a letter or an underscore first, and OpenAI's characters throughout.
  let kept = name.slice(0, KEPT).replace(/[^a-zA-Z0-9_-]/g, '_');
  if (!/^[a-zA-Z_]/.test(kept)) kept = `_${kept}`;
  const hash = createHash('sha256').update(salt === 0 ? name : `${name}\u0000${salt}`).digest('hex').slice(0, 8);
  return `${kept.slice(0, KEPT)}_${hash}`;
}
