// The few WebAssembly globals Node provides that src/db/schema-engine.ts uses; @types/node 20
// does not declare them.
declare namespace WebAssembly {
  type Exports = Record<string, unknown>;
  type ModuleImports = Record<string, unknown>;
  type Module = object;
  interface Instance {
    readonly exports: Exports;
  }
  function compile(bytes: Uint8Array): Promise<Module>;
  function instantiate(module: Module, imports?: Record<string, ModuleImports>): Promise<Instance>;
}
