/**
 * The shape of a request from Claude Code 2.1.332 (`claude -p`), captured from the real CLI against
 * a local server and trimmed: long texts shortened, eleven of its twelve tools left out. What
 * matters is kept as sent: a `system` message inside `messages`, adaptive thinking,
 * `context_management`, `output_config`, `metadata.user_id` as a JSON string, a deferred tool,
 * `max_tokens: 128000`, and the path's `?beta=true` with the `anthropic-beta` header.
 */
export const CLAUDE_CODE_BETA =
  'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,per-turn-control-2026-07-01,mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24';

export function claudeCodeRequest(model: string, stream = true) {
  return {
    model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>\nAttribution for git commits and pull requests you create from here on…\n</system-reminder>' },
          { type: 'text', text: 'say pong' },
        ],
      },
      {
        role: 'system',
        content: [{ type: 'text', text: '# Environment\nYou have been invoked in the following environment: \n - Primary working directory: /tmp/work', cache_control: { type: 'ephemeral' } }],
      },
    ],
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332.201; cc_entrypoint=sdk-cli;' },
      { type: 'text', text: "You are a Claude agent, built on Anthropic's Claude Agent SDK.", cache_control: { type: 'ephemeral' } },
    ],
    tools: [
      {
        name: 'Bash',
        description: 'Executes a given bash command and returns its output.',
        input_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { command: { type: 'string' } }, required: ['command'], additionalProperties: false },
      },
      { name: 'DeferredToolPlaceholder', description: 'Placeholder', input_schema: { type: 'object', properties: {} }, defer_loading: true },
    ],
    metadata: { user_id: '{"device_id":"dae89b789bb2819b","account_uuid":"","session_id":"678eaccd-ed4a-4345-994b-c214cd76d420"}' },
    max_tokens: 128000,
    thinking: { type: 'adaptive', display: 'omitted' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'medium' },
    stream,
  };
}
