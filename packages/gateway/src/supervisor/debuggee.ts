/**
 * Shutting down under `--inspect`: a worker paused at a breakpoint runs nothing — not the close
 * request, not even `worker.terminate()` (measured: terminate() of a paused worker never settles).
 * So before closing, the supervisor attaches to the worker's own inspector as one more CDP client
 * and resumes it whenever it pauses, until the worker is gone. See RATIONALE, "Plugin debugging".
 * @module
 */

/** Keeps the debuggee at `url` running; the returned function disconnects. */
export function keepRunning(url: string): () => void {
  let id = 0;
  let ws: WebSocket;
  try {
    ws = new WebSocket(url);
  } catch {
    return () => undefined;
  }
  const send = (method: string) => ws.send(JSON.stringify({ id: ++id, method }));
  ws.onopen = () => {
    send('Debugger.enable');
    // Paused before we came: resume now (an error answer, when it is not paused, is ignored).
    send('Debugger.resume');
  };
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data)) as { method?: string };
    if (m.method === 'Debugger.paused') send('Debugger.resume');
  };
  ws.onerror = () => undefined;
  return () => {
    try {
      ws.close();
    } catch {
      // already closed
    }
  };
}
