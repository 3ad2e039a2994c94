// A minimal MCP server over stdio (newline-delimited JSON-RPC 2.0, https://modelcontextprotocol.io/specification/basic/transports#stdio)
// offering the tools named in MCP_TOOLS (comma-separated); a call answers "called <name>".
import { createInterface } from 'node:readline';
const names = (process.env.MCP_TOOLS ?? 'ping').split(',');
const send = (msg) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  let req;
  try { req = JSON.parse(line); } catch { return; }
  if (req.id === undefined) return;
  if (req.method === 'initialize') return send({ id: req.id, result: { protocolVersion: req.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'review-mcp', version: '1.0.0' } } });
  if (req.method === 'tools/list') return send({ id: req.id, result: { tools: names.map((name) => ({ name, description: `The ${name} tool`, inputSchema: { type: 'object', properties: { note: { type: 'string' } } } })) } });
  if (req.method === 'tools/call') return send({ id: req.id, result: { content: [{ type: 'text', text: `called ${req.params?.name}` }] } });
  send({ id: req.id, result: {} });
});
