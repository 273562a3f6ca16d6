// The subset of the WebAssembly JS API the engine uses. TypeScript ships these typings only in lib.dom,
// which would bring browser globals into a Node program; Node provides WebAssembly at runtime.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
  function validate(bytes: Uint8Array): boolean;
}
