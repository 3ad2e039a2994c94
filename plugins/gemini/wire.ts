/**
 * The Gemini API's JSON (`generativelanguage.googleapis.com/v1beta`), as far as the adapter reads or
 * writes it. Field names are the REST API's camelCase. Only what we use is typed; the translators
 * narrow whatever comes back before trusting it.
 *
 * Sources: https://ai.google.dev/api/generate-content, https://ai.google.dev/api/caching (Content,
 * Part), https://ai.google.dev/api/embeddings, https://ai.google.dev/api/models,
 * https://ai.google.dev/api/tokens, https://ai.google.dev/gemini-api/docs/troubleshooting (errors).
 */

// ---- Content -------------------------------------------------------------------------------------

/**
 * One piece of a turn. A part holds exactly one kind of data (text, inlineData, fileData,
 * functionCall, functionResponse); `thought` and `thoughtSignature` qualify it.
 */
export interface GeminiPart {
  text?: string;
  /** True on a thought-summary part (answers with `thinkingConfig.includeThoughts`). */
  thought?: boolean;
  /**
   * Opaque signature of the model's reasoning, on functionCall parts (and sometimes text parts) of
   * thinking models. Gemini 3 refuses a function-calling turn whose calls come back without it.
   */
  thoughtSignature?: string;
  /** Bytes sent inline, base64. */
  inlineData?: GeminiBlob;
  /** A file by URI: a Files API URI, a Cloud Storage URI or (since 2026) a public https URL. */
  fileData?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
}

export interface GeminiBlob {
  mimeType: string;
  data: string;
}

export interface GeminiFileData {
  mimeType?: string;
  fileUri: string;
}

export interface GeminiFunctionCall {
  /** Optional; recent models may send one. The adapter makes one up when absent. */
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  /** Must be a JSON object; the keys are free (`result`, `output`, `error`...). */
  response: Record<string, unknown>;
}

/** A turn. `role` is `user` or `model`; function responses go in a `user` turn. */
export interface GeminiContent {
  role?: 'user' | 'model';
  parts: GeminiPart[];
}

// ---- Request -------------------------------------------------------------------------------------

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /**
   * The parameters as JSON Schema (`parametersJsonSchema`), the alternative to the OpenAPI-subset
   * `parameters` field; the two are mutually exclusive. JSON Schema is what OpenAI tools carry, so
   * no lossy conversion is needed.
   */
  parametersJsonSchema?: Record<string, unknown>;
}

export interface GeminiTool {
  functionDeclarations?: GeminiFunctionDeclaration[];
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';

export interface GeminiToolConfig {
  functionCallingConfig: {
    mode: GeminiFunctionCallingMode;
    /** Only with mode ANY (or VALIDATED): the functions the model may call. */
    allowedFunctionNames?: string[];
  };
}

export interface GeminiThinkingConfig {
  /** Return thought summaries as `thought: true` parts. */
  includeThoughts?: boolean;
  /** Tokens the model may think with; 0 turns thinking off where the model allows it. */
  thinkingBudget?: number;
}

export interface GeminiGenerationConfig {
  stopSequences?: string[];
  responseMimeType?: string;
  /** JSON Schema of the answer (the alternative to the OpenAPI-subset `responseSchema`). */
  responseJsonSchema?: Record<string, unknown>;
  candidateCount?: number;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseLogprobs?: boolean;
  /** Top alternatives per token, with `responseLogprobs`. */
  logprobs?: number;
  thinkingConfig?: GeminiThinkingConfig;
}

/** The body of `models/{model}:generateContent` and `:streamGenerateContent`. */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
}

// ---- Response ------------------------------------------------------------------------------------

/**
 * Why a candidate stopped. Absent while a streamed candidate is still being generated. The list
 * grows with new models, so any other string may come.
 */
export type GeminiFinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | (string & {});

export interface GeminiLogprobsCandidate {
  token?: string;
  tokenId?: number;
  logProbability?: number;
}

export interface GeminiLogprobsResult {
  /** One entry per decoding step: the alternatives considered. */
  topCandidates?: Array<{ candidates?: GeminiLogprobsCandidate[] }>;
  /** One entry per decoding step: the token chosen. */
  chosenCandidates?: GeminiLogprobsCandidate[];
}

export interface GeminiCandidate {
  content?: GeminiContent;
  finishReason?: GeminiFinishReason;
  /** Explains an unusual finishReason in words. */
  finishMessage?: string;
  index?: number;
  logprobsResult?: GeminiLogprobsResult;
}

export interface GeminiUsageMetadata {
  /** The whole prompt, cached part included. */
  promptTokenCount?: number;
  /** The answer, thoughts excluded. */
  candidatesTokenCount?: number;
  /** The part of the prompt read from the context cache. */
  cachedContentTokenCount?: number;
  /** Thinking tokens, billed as output. */
  thoughtsTokenCount?: number;
  /** Results of built-in tools fed back to the model (not used by this adapter). */
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiPromptFeedback {
  /** Set when the prompt itself was blocked: then there are no candidates at all. */
  blockReason?: string;
  blockReasonMessage?: string;
}

/** The answer of generateContent, and each event of streamGenerateContent (one chunk of it). */
export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: GeminiPromptFeedback;
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

// ---- Errors --------------------------------------------------------------------------------------

/** Google's error body: `{ error: { code: 429, message, status: 'RESOURCE_EXHAUSTED', details } }`. */
export interface GeminiErrorBody {
  error: {
    code?: number;
    message?: string;
    /** The gRPC status name: INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE... */
    status?: string;
    /** google.rpc details; `RetryInfo.retryDelay` ("22s") says when to try again. */
    details?: Array<Record<string, unknown>>;
  };
}

// ---- Embeddings, models, token counts ------------------------------------------------------------

export interface GeminiEmbedContentRequest {
  /** `models/{model}`: must be the model of the URL. */
  model: string;
  content: GeminiContent;
  outputDimensionality?: number;
}

/** The body of `models/{model}:batchEmbedContents`. */
export interface GeminiBatchEmbedRequest {
  requests: GeminiEmbedContentRequest[];
}

export interface GeminiBatchEmbedResponse {
  /** One per request, in the same order. */
  embeddings?: Array<{ values?: number[] }>;
}

export interface GeminiModel {
  /** `models/gemini-2.5-flash`. */
  name: string;
  displayName?: string;
  supportedGenerationMethods?: string[];
}

/** `GET models`: at most `pageSize` models, and a `nextPageToken` while more remain. */
export interface GeminiModelList {
  models?: GeminiModel[];
  nextPageToken?: string;
}

/** The body of `models/{model}:countTokens`, counting a whole generateContent request. */
export interface GeminiCountTokensRequest {
  generateContentRequest: GeminiRequest & { model: string };
}

export interface GeminiCountTokensResponse {
  totalTokens?: number;
}
