/**
 * Starts a gateway in this process on a real socket (a free port), silent, with its state in
 * memory: what a plugin's integration tests call it through, with the official SDKs or fetch.
 */
import { createGateway, type Gateway, type GatewayConfig } from '../../index.js';
import { createLogger, silentLogger, type Logger } from '../../core/logger.js';

export interface RunningGateway {
  gateway: Gateway;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/v1`, for SDK clients. */
  baseURL: string;
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  /** Default: silent, unless TEST_GATEWAY_LOGS is set (then debug to stderr). */
  logger?: Logger;
  /** Where plugin package names in the config are resolved from. Default: cwd. */
  baseDir?: string;
}

/**
 * @example
 * const upstream = await startMockUpstream();
 * const gw = await startGateway({ providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL } }, plugins: [myPlugin()] });
 * const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused' });
 * // ... await gw.close(); await upstream.close();
 */
export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? (process.env.TEST_GATEWAY_LOGS ? createLogger({ level: 'debug' }) : silentLogger);
  // State in memory unless the config says otherwise: nothing lands in ./data.
  const gateway = await createGateway({ store: 'memory', ...config, server: { ...config.server, port: 0 } }, { logger, ...(options.baseDir ? { baseDir: options.baseDir } : {}) });
  const { url } = await gateway.listen();
  return { gateway, url, baseURL: `${url}/v1`, close: () => gateway.close() };
}
