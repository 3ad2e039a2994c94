import type { GatewayPlugin, Slot } from 'llm-gateway/plugin';

export interface PromptGuardOptions {
  /** Regular expression sources; a prompt matching any of them is refused. */
  deny: string[];
  /** RegExp flags for every pattern (`d`, `i`, `m`, `s`, `u`). Default `"i"`. */
  flags?: string;
  /** The refusal message the client sees. */
  message?: string;
  /** Which messages to scan. Default `["user"]`. */
  roles?: Array<'system' | 'developer' | 'user' | 'assistant' | 'tool'>;
  /** Refuse conversations longer than this. */
  maxMessages?: number;
}

/** Set to `'passed'` on requests the guard let through. */
export declare const promptGuardVerdict: Slot<'passed'>;

/**
 * @example
 * plugins: [promptGuard({ deny: ['ignore (all )?previous instructions'] })]
 */
declare const promptGuard: (options: PromptGuardOptions) => GatewayPlugin;
export default promptGuard;
