// Public API of lynx-exit: the method core, engines and pipelines.
export { UserError } from './errors.ts';
