/**
 * The benchmark's upstream: the test suite's OpenAI-format mock (default echo scenario), in its own
 * process, recording nothing. Prints `{"port":N}`; exits when its parent closes stdin or goes away.
 */
import { startMockUpstream } from '../test/support/mock-upstream.js';

const upstream = await startMockUpstream({ record: false });
process.stdin.on('close', () => process.exit(0)).resume();
process.stdout.write(`${JSON.stringify({ port: upstream.port })}\n`);
