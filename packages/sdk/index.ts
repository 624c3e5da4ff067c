// asc 0.28 resolves `import … from "@wasmgate/sdk"` to this file (it does not read `ascMain`),
// so the package root re-exports the AssemblyScript API.
export * from "./assembly/index";
