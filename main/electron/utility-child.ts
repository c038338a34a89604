// A child process (main/base/child-process.ts) as an Electron utility process: the packaged binary
// does not run as Node (the runAsNode fuse is off, electron-builder.yml), so a child_process.fork of
// it would start the whole application again. A utility process runs the entry's bundle with Node
// inside it, native modules (onnxruntime-node) included. Used for the AI models' checks.
import { utilityProcess } from 'electron';
import type { StartChild } from '../base/child-process.ts';

export const utilityChild: StartChild = (file, env) => {
  // (without ELECTRON_RUN_AS_NODE: where the fuse allows it, in development, Electron's binary may read it
  // before its process type and start as plain Node rather than as the utility process)
  const { ELECTRON_RUN_AS_NODE: _asNode, ...childEnv } = env;
  const child = utilityProcess.fork(file, [], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'], serviceName: 'Binome model check' });
  return {
    get pid() { return child.pid; },
    send: (message) => { child.postMessage(message); },
    // SIGTERM on POSIX (its default action ends the process, inside a native call too), TerminateProcess on Windows
    kill: () => { child.kill(); },
    stderr: child.stderr,
    onMessage: (listener) => { child.on('message', listener); },
    // (a utility process's exit gives its code only)
    onExit: (listener) => { child.once('exit', (code) => listener(code, null)); },
    // (a start that fails is an exit: it has no 'error' of its own for that)
    onError: () => undefined,
  };
};
