// The entry of a property worker when nanhunt runs from its TypeScript sources (its own repository,
// under vitest or tsx). Piscina loads a worker's task module by file name, and a worker thread does
// not inherit the main thread's tsx loader: this plain-JavaScript file registers tsx in the worker,
// then hands piscina the task of property-worker.ts. Installed, nanhunt runs the compiled
// dist/src/cli/property-worker.js directly.
const { register } = await import('tsx/esm/api');
register();
const worker = await import('./property-worker.ts');
export default worker.default;
