/**
 * Before its fix, an OpenAI Agents SDK (`@openai/agents`) agent with function tools and a structured
 * `outputType` (zod), its model served by Gemini 2.5, failed on its first turn. The SDK sends the
 * tools and, on every turn, the output schema (`text.format: { type: 'json_schema', ... }` on the
 * Responses API, `response_format` on chat completions), and the gateway sent it to Gemini as
 * `generationConfig.responseMimeType: 'application/json'` + `responseJsonSchema` beside
 * `tools[].functionDeclarations`. Gemini before 3 refuses that combination with 400 INVALID_ARGUMENT
 * "Function calling with a response mime type: 'application/json' is unsupported" (symfony/ai#803,
 * google/adk-python#5735); structured outputs with tools are a Gemini 3 feature
 * (https://ai.google.dev/gemini-api/docs/structured-output#structured_outputs_with_tools).
 *
 * Now the answer goes as a function of its own, beside the agent's (plugins/gemini/answer-function.ts,
 * as the anthropic adapter does): the model must call some function (mode ANY), and its call of the
 * answer function comes back as the assistant's text. The mock Gemini does not enforce Google's rule,
 * so the test asserts what reached it, and that the agent's run ends with its parsed output, on both
 * APIs, whole and streamed. The mock answers the forced call with its text in the schema's string
 * property.
 */
import { Agent, OpenAIProvider, Runner, tool } from '@openai/agents';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

let gemini: MockGemini;
let gw: RunningGateway;

beforeAll(async () => {
  gemini = await startMockGemini();
  gw = await startGateway({ providers: { gem: mockGeminiProvider(gemini) } });
});
afterAll(async () => {
  await gw?.close();
  await gemini?.close();
});
beforeEach(() => gemini.reset());

const weather = tool({
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => `sunny in ${city}`,
});

interface GenerateBody {
  tools?: Array<{ functionDeclarations?: Array<{ name: string }> }>;
  toolConfig?: { functionCallingConfig?: { mode?: string } };
  generationConfig?: { responseMimeType?: string };
}

const generateBodies = () => gemini.requests.filter((r) => /:(stream)?[gG]enerateContent/.test(r.path)).map((r) => r.body as GenerateBody);

function agentOn(model: string) {
  return new Agent({
    name: 'forecaster',
    instructions: 'Use the tool, then answer.',
    model,
    tools: [weather],
    outputType: z.object({ answer: z.string() }),
  });
}

function runnerFor(api: 'responses' | 'chat_completions') {
  return new Runner({
    modelProvider: new OpenAIProvider({ baseURL: gw.baseURL, apiKey: 'client', useResponses: api === 'responses' }),
    tracingDisabled: true,
  });
}

describe('@openai/agents: tools + outputType on a Gemini 2.5 model', () => {
  it.each([
    ['responses', false],
    ['responses', true],
    ['chat_completions', false],
    ['chat_completions', true],
  ] as const)('%s (streamed: %s): never asks for JSON output beside function declarations, and the run ends with the parsed output', async (api, stream) => {
    const runner = runnerFor(api);
    const agent = agentOn('gem/gemini-2.5-flash');
    const finalOutput = stream
      ? await runner.run(agent, 'call get_weather', { stream: true }).then(async (result) => {
          for await (const _event of result) {
            // drained: the run goes on as its events are read
          }
          await result.completed;
          return result.finalOutput;
        })
      : (await runner.run(agent, 'call get_weather')).finalOutput;

    const bodies = generateBodies();
    // The tool's turn, then the answer's.
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      // Real Gemini 2.5 answers a body with both with 400 "Function calling with a response mime
      // type: 'application/json' is unsupported".
      expect(body.generationConfig?.responseMimeType).toBeUndefined();
      expect(body.tools?.[0]?.functionDeclarations?.map((d) => d.name)).toEqual(['get_weather', 'json_response']);
      expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    }
    expect(finalOutput).toEqual({ answer: 'tool results: get_weather={"result":"sunny in Paris"}' });
  });

  it('keeps the native JSON output beside the tools for Gemini 3, which takes both', async () => {
    // The mock's forced-call rule does not apply (no mode ANY): the run may fail on its text answer.
    await runnerFor('chat_completions').run(agentOn('gem/gemini-3-flash-preview'), 'call get_weather').catch(() => undefined);
    const bodies = generateBodies();
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(body.generationConfig?.responseMimeType).toBe('application/json');
      expect(body.tools?.[0]?.functionDeclarations?.map((d) => d.name)).toEqual(['get_weather']);
    }
  });
});
