/** Worker-thread error codes (WG_WORKER_*): what the supervisor logs about its data-plane workers. */
import { defineErrors, registerErrors } from '@wasmgate/host';

export const WORKER_ERRORS = defineErrors({
  WG_WORKER_CRASHED: {
    summary: 'A data-plane worker thread died (an uncaught error, or it was out of memory); the supervisor replaces it.',
    hint: 'The log line before this one has the worker\'s error. Requests on that worker\'s connections were lost; other workers were not affected.',
  },
  WG_WORKER_UNRESPONSIVE: {
    summary: 'A worker stayed inside one plugin call long after its interrupt flag was set; the supervisor terminated and replaced it.',
    hint: 'This is a backstop that should not fire: report the plugin and the log lines around it.',
  },
  WG_WORKER_START: {
    summary: 'A data-plane worker thread could not start or could not bind the listener with the others.',
    hint: 'Try --workers 1; on systems without SO_REUSEPORT only one worker can listen on a port.',
  },
  WG_WORKER_PROTOCOL: {
    summary: 'The supervisor and a worker disagreed about a generation (an internal error).',
    hint: 'Report it with the log lines around it.',
  },
});
registerErrors(WORKER_ERRORS);
