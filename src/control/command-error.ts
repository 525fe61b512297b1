/** A refused command: the reason goes back to the client in /fail. */
export class CommandError extends Error {}
