/**
 * @module `@cartlink/wire`: the status and outcome shapes exchanged between the linking handler and
 * the elements. Types only; nothing of it exists at run time.
 */
export {};
