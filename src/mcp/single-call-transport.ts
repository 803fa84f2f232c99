import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCErrorResponse, isJSONRPCResultResponse, type JSONRPCMessage, type JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';

/**
 * An SDK `Transport` (the SDK's supported extension point) that carries exactly one JSON-RPC
 * request into a `Server` and hands back the server's answer to it. The `Server` still does all of
 * the protocol (request validation, handler dispatch, result validation, errors); this only skips
 * what the web-standard Streamable HTTP transport adds around a single request in stateless JSON
 * mode — a `Request`, header re-checks the route already made, stream bookkeeping and a
 * `Response` read back as text. Notifications the server might send while answering are dropped,
 * as that transport drops them in JSON mode.
 */
export class SingleCallTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private settle!: (message: JSONRPCMessage) => void;
  /** The server's answer (a result or a JSON-RPC error) to the request given to `dispatch`. */
  readonly answer = new Promise<JSONRPCMessage>((resolve) => {
    this.settle = resolve;
  });

  start(): Promise<void> {
    return Promise.resolve();
  }

  dispatch(request: JSONRPCRequest): Promise<JSONRPCMessage> {
    this.onmessage?.(request);
    return this.answer;
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) this.settle(message);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.onclose?.();
    return Promise.resolve();
  }
}
