/**
 * Gemini answers and stream events as the API sends them, for the adapter's tests. Each follows the
 * documented wire format:
 *
 * - answers: https://ai.google.dev/api/generate-content#generatecontentresponse (candidates, content
 *   parts, finishReason, usageMetadata, modelVersion, responseId)
 * - thought parts and thoughtsTokenCount: https://ai.google.dev/gemini-api/docs/thinking
 * - functionCall parts, parallel calls in one model turn: https://ai.google.dev/gemini-api/docs/function-calling
 * - thoughtSignature on the first functionCall part: https://ai.google.dev/gemini-api/docs/thought-signatures
 * - a blocked prompt (promptFeedback.blockReason, no candidates): https://ai.google.dev/api/generate-content#PromptFeedback
 * - stream events (`data: <GenerateContentResponse>` separated by CRLF CRLF, no [DONE]):
 *   https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 * - errors (`{error:{code,message,status,details}}`, RetryInfo): https://ai.google.dev/gemini-api/docs/troubleshooting
 * - model lists: https://ai.google.dev/api/models#method:-models.list
 * - embeddings: https://ai.google.dev/api/embeddings#method:-models.batchembedcontents
 */
import type { GeminiBatchEmbedResponse, GeminiErrorBody, GeminiModelList, GeminiPart, GeminiResponse } from '../../../plugins/gemini/wire.js';

export const MODEL = 'gemini-2.5-flash';

export const textAnswer: GeminiResponse = {
  candidates: [
    {
      content: { role: 'model', parts: [{ text: 'Hello' }, { text: ', world!' }] },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 4, totalTokenCount: 11 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-1',
};

/** A thinking model's answer: a thought summary, then the answer; prompt partly from the cache. */
export const thinkingAnswer: GeminiResponse = {
  candidates: [
    {
      content: {
        role: 'model',
        parts: [
          { text: 'The user wants a number. ', thought: true },
          { text: 'Forty-two is the classic.', thought: true },
          { text: '42' },
        ],
      },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: { promptTokenCount: 1200, cachedContentTokenCount: 1000, candidatesTokenCount: 2, thoughtsTokenCount: 150, totalTokenCount: 1352 },
  modelVersion: 'gemini-2.5-pro',
  responseId: 'resp-2',
};

/** Two parallel function calls in one model turn; the first carries the turn's thought signature. */
export const parallelCallsAnswer: GeminiResponse = {
  candidates: [
    {
      content: {
        role: 'model',
        parts: [
          { text: 'Let me check both.' },
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnLTE=' },
          { functionCall: { name: 'get_time', args: { city: 'Paris', format: '24h' } } },
        ],
      },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: { promptTokenCount: 30, candidatesTokenCount: 20, totalTokenCount: 50 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-3',
};

/** `candidateCount: 2`. */
export const twoCandidates: GeminiResponse = {
  candidates: [
    { content: { role: 'model', parts: [{ text: 'One' }] }, finishReason: 'STOP', index: 0 },
    { content: { role: 'model', parts: [{ text: 'Two, cut' }] }, finishReason: 'MAX_TOKENS', index: 1 },
  ],
  usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 6, totalTokenCount: 9 },
  modelVersion: 'gemini-2.5-flash',
};

export const blockedPrompt: GeminiResponse = {
  promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
  usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
  modelVersion: 'gemini-2.5-flash',
};

/** A candidate stopped by the safety filter: no content at all. */
export const safetyStopped: GeminiResponse = {
  candidates: [{ finishReason: 'SAFETY', index: 0 }],
  usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
};

export const withLogprobs: GeminiResponse = {
  candidates: [
    {
      content: { role: 'model', parts: [{ text: 'Hi!' }] },
      finishReason: 'STOP',
      index: 0,
      logprobsResult: {
        topCandidates: [
          { candidates: [{ token: 'Hi', logProbability: -0.1 }, { token: 'Hello', logProbability: -2.5 }] },
          { candidates: [{ token: '!', logProbability: -0.01 }] },
        ],
        chosenCandidates: [
          { token: 'Hi', logProbability: -0.1 },
          { token: '!', logProbability: -0.01 },
        ],
      },
    },
  ],
};

// ---- Streams -------------------------------------------------------------------------------------

/** One stream event: a GenerateContentResponse with one candidate. */
export function event(parts: GeminiPart[], extra: { finishReason?: string; usage?: GeminiResponse['usageMetadata']; index?: number } = {}): GeminiResponse {
  return {
    candidates: [{ content: { role: 'model', parts }, index: extra.index ?? 0, ...(extra.finishReason ? { finishReason: extra.finishReason } : {}) }],
    usageMetadata: extra.usage ?? { promptTokenCount: 7, totalTokenCount: 7 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'stream-1',
  };
}

/** How Gemini frames an event on the wire. */
export const sse = (value: unknown): string => `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\r\n\r\n`;

export const textStream: GeminiResponse[] = [
  event([{ text: 'Hel' }]),
  event([{ text: 'lo, wörld' }]),
  event([{ text: '!' }], { finishReason: 'STOP', usage: { promptTokenCount: 7, candidatesTokenCount: 3, totalTokenCount: 10 } }),
];

export const thinkingStream: GeminiResponse[] = [
  event([{ text: 'Thinking about it. ', thought: true }]),
  event([{ text: 'Done thinking.', thought: true }]),
  event([{ text: '42' }], { finishReason: 'STOP', usage: { promptTokenCount: 7, candidatesTokenCount: 1, thoughtsTokenCount: 40, cachedContentTokenCount: 4, totalTokenCount: 48 } }),
];

export const toolCallStream: GeminiResponse[] = [
  event([{ text: 'Checking.' }]),
  event(
    [
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2ln' },
      { functionCall: { name: 'get_time', args: { city: 'Paris' } } },
    ],
    { finishReason: 'STOP', usage: { promptTokenCount: 20, candidatesTokenCount: 10, totalTokenCount: 30 } },
  ),
];

// ---- Errors, models, embeddings ------------------------------------------------------------------

export const rateLimited: GeminiErrorBody = {
  error: {
    code: 429,
    message: 'You exceeded your current quota, please check your plan and billing details.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '22s' },
    ],
  },
};

export const invalidArgument: GeminiErrorBody = {
  error: { code: 400, message: 'Invalid JSON payload received. Unknown name "foo": Cannot find field.', status: 'INVALID_ARGUMENT' },
};

export const modelsPage1: GeminiModelList = {
  models: [
    { name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash', supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'] },
    { name: 'models/imagen-4.0-generate-001', displayName: 'Imagen 4', supportedGenerationMethods: ['predict'] },
  ],
  nextPageToken: 'page/2',
};

export const modelsPage2: GeminiModelList = {
  models: [
    { name: 'models/gemini-embedding-001', displayName: 'Gemini Embedding 001', supportedGenerationMethods: ['embedContent', 'countTextTokens', 'countTokens'] },
    { name: 'models/aqa', displayName: 'Model that performs Attributed Question Answering.', supportedGenerationMethods: ['generateAnswer'] },
  ],
};

export const embeddingsAnswer: GeminiBatchEmbedResponse = {
  embeddings: [{ values: [0.25, -0.5, 1] }, { values: [0.125, 0, -1] }],
};
