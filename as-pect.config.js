// as-pect runs the AssemblyScript specs in tests/assembly/ (npm test runs it before node:test).
// The specs import only ABI-free modules (crypto, parsing, configuration), so the test module needs
// no Proxy-Wasm imports. Compiler options: as-pect.asconfig.json (as-pect's own defaults).
export default {
  entries: ['tests/assembly/**/*.spec.ts'],
  include: ['tests/assembly/**/*.include.ts'],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
