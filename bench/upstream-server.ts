/** The benchmark's upstream: the test suite's mock (OpenAI format), in its own process. */
import { startMockUpstream } from '../test/support/mock-upstream.js';

const upstream = await startMockUpstream({ record: false });
process.stdout.write(`${JSON.stringify({ port: upstream.port })}\n`);
