// A child process running one of the application's bundled entries (a file of plain JavaScript beside
// its bundle: main/workers/pool.ts workerEntry), as one of the two ways of starting it gives it: Node's
// child_process.fork (the command line, `serve`, the tests) or Electron's utilityProcess (the desktop
// app, main/electron/utility-child.ts: its binary does not run as Node, a fuse turns
// ELECTRON_RUN_AS_NODE off, and a fork of it would start the whole application again). One message
// each way is all its users need.
import { fork } from 'node:child_process';

export interface ChildHandle {
  /** Its process id, once started. */
  readonly pid: number | undefined;
  send(message: unknown): void;
  /** Ends it at once. */
  kill(): void;
  stderr: NodeJS.ReadableStream | null;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  onError(listener: (error: Error) => void): void;
}

export type StartChild = (file: string, env: NodeJS.ProcessEnv) => ChildHandle;

/** A child as Node starts one (child_process.fork), its stderr piped, stdin and stdout ignored. */
export const forkChild: StartChild = (file, env) => {
  const child = fork(file, [], {
    execArgv: [], // the entry is plain JavaScript (a bundle): no loader, no inspector of the parent's
    // (under Electron's binary in development, where the fuse allows it, ELECTRON_RUN_AS_NODE makes it
    // Node; never given to a utility process, which it would start as Node instead of itself)
    env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced',
  });
  return {
    get pid() { return child.pid; },
    send: (message) => { child.send(message as object); },
    kill: () => { child.kill('SIGKILL'); },
    stderr: child.stderr,
    onMessage: (listener) => { child.on('message', listener); },
    onExit: (listener) => { child.once('exit', listener); },
    onError: (listener) => { child.once('error', listener); },
  };
};
