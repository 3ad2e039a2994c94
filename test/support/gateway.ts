/** Starts an in-process gateway on a real socket (port 0), silent, for integration tests. */
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

export async function startGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<RunningGateway> {
  const logger = options.logger ?? (process.env.TEST_GATEWAY_LOGS ? createLogger({ level: 'debug' }) : silentLogger);
  // Tests keep their state in memory unless they say otherwise: nothing lands in ./data.
  const gateway = await createGateway({ store: 'memory', ...config, server: { ...config.server, port: 0 } }, { logger });
  const { url } = await gateway.listen();
  return { gateway, url, baseURL: `${url}/v1`, close: () => gateway.close() };
}
